"""What each kind of record is: its fields, its key, its references and how it is written.

Keys: contacts, accounts, cases and interactions are keyed by ``external_id`` (an id
column, or ``h-`` + the SHA-1 of the normalised row when the file has none); agents by
login, queues by name, articles by external id when the article table has one, otherwise
by title. A row whose key exists is compared with the record on the columns the file
provides: equal → unchanged, different → updated (extras are merged, not replaced).

Cases: ``status``, ``queue`` and ``owner`` place a case when it is created; afterwards
they belong to the workflow, so re-importing a changed row updates the case's description
fields (title, description, area, priority, severity, channel, customer, resolution,
extras) and records one ``update`` event, re-evaluating the SLA policy when priority or
severity changed. Imported interactions are history: they do not move SLA clocks (mail
imports do, see :mod:`casedesk.services.imports.mail`).
"""

from __future__ import annotations

from casedesk.services.imports.base import (
    CREATED,
    EXT,
    Ctx,
    Kind,
    Pending,
    RowError,
    merged_extras,
    prepare_cache,
    row_hash,
)
from casedesk.services.imports.casekind import Cases, case_deadlines, default_queue, pick_policy
from casedesk.services.imports.people import Accounts, Agents, Contacts, Queues
from casedesk.services.imports.records import Articles, Interactions

KINDS: dict[str, type[Kind]] = {
    k.name: k for k in (Contacts, Accounts, Agents, Queues, Cases, Interactions, Articles)
}


__all__ = [
    "CREATED",
    "EXT",
    "KINDS",
    "Accounts",
    "Agents",
    "Articles",
    "Cases",
    "Contacts",
    "Ctx",
    "Interactions",
    "Kind",
    "Pending",
    "Queues",
    "RowError",
    "case_deadlines",
    "default_queue",
    "merged_extras",
    "pick_policy",
    "prepare_cache",
    "row_hash",
]
