"""The SLA: every rule about service-level clocks lives in this package.

* ``calendar`` — business-time arithmetic over a calendar (pure, no database).
* ``clocks`` — flags, states, deadlines and targets of a case's clocks, and what a status
  change does to them (``status_values``); the list warning threshold.
* ``scanner`` — the periodic scan that records warnings and breaches.
* ``explanations`` — each clock in words (``casedesk sla explain``, the case screen).
* ``policy_files`` — SLA policies and business calendars as data files (TOML / YAML).

May import the models, ``casedesk.db``, ``services.context``, ``services.numbers``, the
read models (``services.queries.views``) and pure helpers (``casedesk.durations``). Never
the workflow, the other reads, the UI or the CLI: the workflow calls the SLA, not the
other way round.
"""
