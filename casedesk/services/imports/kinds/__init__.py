"""The record kinds an import reads: their fields, key, references and how they are written.

* ``base`` — what a kind is (``Kind``, ``Ctx``, ``Pending``, ``RowError``) and its rules.
* ``people`` — contacts, accounts, agents, queues.
* ``cases`` — cases (policy and deadlines of imported cases).
* ``records`` — interactions and articles.
* ``holdings`` — products held by accounts, contracts and their lines.
* ``matching`` — which stored (or earlier) record a contact or account row is.
* ``customers`` — the customers a case or interaction row names, written first.
* ``history`` — the SLA columns of an imported case from the times it brings.
* ``registry`` — ``KINDS``: every kind by name.

May import the models, ``services.imports.values`` / ``mapping`` / ``refs``, ``services.sla``
and ``services.context``. Never the UI or the CLI.
"""
