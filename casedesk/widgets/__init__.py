"""Reusable Textual widgets (paged case table, SLA countdowns, filters, history, call timer).

Same walls as the screens: no SQL, no models, no app; outside text through ``casedesk.plain``.
"""
