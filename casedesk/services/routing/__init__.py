"""Routing: where a new case goes and who gets it (DESIGN §Routing).

- ``rules`` — routing rules as data: loading them from TOML/YAML, the ordered match of a
  new case (area, priority, severity, tier, product, contract, channel, keywords) with the
  reason it matched, and :func:`~casedesk.services.routing.rules.decide`, which the
  workflow's ``open_case`` and the importers call inside the creating transaction.
- ``assign`` — the queue strategies that pick an agent (manual, round robin, least
  loaded, skills, affinity), among available agents under capacity, deterministically.

May import models, ``casedesk.db``, ``services.context`` and pure helpers; never the
workflow, the queries or the UI (the workflow calls routing, not the other way round).
"""
