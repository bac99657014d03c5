"""The directory: who works at the desk and who the customers are.

* ``staff`` — agents, their roles (only admins make admins; one admin always stays),
  status and capacity.
* ``presence`` — available / away / offline and since when; going offline returns the
  agent's untouched cases to their queues (one guarded change each, via
  ``workflow.changes``).
* ``queue_setup`` — queues, membership and each queue's assignment strategy.
* ``customers`` — customer accounts and their contacts.
* ``addresses`` — e-mail address rules.

May import the models, ``casedesk.db``, ``services.context`` and ``services.queries.views``
(``presence`` also ``services.workflow.changes``).
Never the UI or the CLI.
"""
