"""Every kind of record an import reads, by the name the CLI takes (``KINDS``).

What each kind of record is: its fields, its key, its references and how it is written.

Keys: cases and interactions are keyed by ``external_id`` (an id column, or ``h-`` + the
SHA-1 of the normalised row when the file has none); contacts and accounts by external
id, and without one by their matching keys (e-mail, phone, folded name: :mod:`.matching`);
agents by login, queues by name, articles by external id when the article table has one,
otherwise by title; contracts by number, account products and contract lines by what
they combine (:mod:`.holdings`). A row whose key exists is compared with the record on
the columns the file provides: equal → unchanged, different → updated (extras are merged,
not replaced).

Cases: ``status``, ``queue`` and ``owner`` place a case when it is created; afterwards
they belong to the workflow, so re-importing a changed row updates the case's description
fields (title, description, area, priority, severity, channel, customer, resolution,
extras) and records one ``update`` event, re-evaluating the SLA policy when priority or
severity changed. Imported interactions are history: they do not move SLA clocks (mail
imports do, see :mod:`casedesk.services.imports.mail`).
"""

from __future__ import annotations

from casedesk.services.imports.kinds.base import Kind
from casedesk.services.imports.kinds.cases import Cases
from casedesk.services.imports.kinds.holdings import AccountProducts, ContractLines, Contracts
from casedesk.services.imports.kinds.people import Accounts, Agents, Contacts, Queues
from casedesk.services.imports.kinds.records import Articles, Interactions

KINDS: dict[str, type[Kind]] = {
    k.name: k for k in (Contacts, Accounts, Agents, Queues, Cases, Interactions, Articles,
                        AccountProducts, Contracts, ContractLines)
}
