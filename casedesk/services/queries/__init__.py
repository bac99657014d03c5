"""Reads: the read models and the queries that fill them (nothing here writes).

* ``views`` — the read-model dataclasses every layer receives (the one home for them); a
  leaf that every service package may import.
* ``reads`` — case lists (inbox, WIP bin, search), case detail, timelines, histories.
* ``board`` — the supervisor's view: queue and agent loads, warning times.
* ``live`` — the change token the workstation polls to refresh.

May import the models, ``casedesk.db``, ``services.context``, ``services.numbers`` and
``services.sla``. Never ``services.workflow``, the UI or the CLI.
"""
