"""The directory: who works at the desk and who the customers are.

* ``staff`` — agents, their roles (only admins make admins; one admin always stays),
  status and capacity.
* ``queue_setup`` — queues and membership.
* ``customers`` — customer accounts and their contacts.
* ``addresses`` — e-mail address rules.

May import the models, ``casedesk.db``, ``services.context`` and ``services.queries.views``.
Never the UI or the CLI.
"""
