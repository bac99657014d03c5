"""The directory: who works at the desk and who the customers are.

* ``agents`` — agents, their roles (only admins make admins; one admin always stays),
  status and capacity.
* ``queues`` — queues and membership.
* ``contacts`` — customer accounts and their contacts.
* ``addresses`` — e-mail address rules.

May import the models, ``casedesk.db``, ``services.context`` and ``services.queries.views``.
Never the UI or the CLI.
"""
