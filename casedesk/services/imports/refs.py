"""References between records, resolved a batch at a time (one query per batch, cached).

A contact is named by its external id or its e-mail address (``email_key``); an account by
external id, exact name or folded name (``name_key``); a case by its external id, else its
number (``CS-000123``); agents by login and queues by name (those two tables are small
and read once per import). Records created in casedesk (no external id) are exported as
``casedesk:TABLE:ID`` and found by that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session, col

from casedesk.i18n import N_, _
from casedesk.models import Account, Agent, Case, Contact, Queue
from casedesk.models.base import table_of
from casedesk.services.directory.customers import email_key, name_key
from casedesk.services.imports.values import fold, quoted

_CASE_NUMBER = re.compile(r"^\s*(?:cs-?)?0*(\d{1,9})\s*$", re.IGNORECASE)
CACHE_LIMIT = 200_000
IN_CHUNK = 5_000


def internal_id(value: str, table: str) -> int | None:
    """``casedesk:contact:17`` → 17 (the id an export gives records with no external id)."""
    prefix = f"casedesk:{table}:"
    if value.startswith(prefix) and value[len(prefix):].isdigit():
        return int(value[len(prefix):])
    return None


def chunks(values: Iterable[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Ref:
    """Resolves the text of one reference column to what the row needs (an id, a tuple)."""

    column: str = ""
    #: the reason for a value that names nothing (marked ``N_``, ``{value}`` quoted)
    not_found: str = ""

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}

    def resolve(self, session: Session, values: set[str]) -> dict[str, Any]:
        wanted = {v for v in values if v not in self.cache}
        if wanted:
            if len(self.cache) > CACHE_LIMIT:
                self.cache.clear()
            self.cache.update(self.lookup(session, wanted))
        return self.cache

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        raise NotImplementedError

    def missing(self, value: str) -> str:
        return _(self.not_found).format(value=quoted(value))


def _by_external_id(session: Session, table: Table, base: Any, values: set[str],
                    name: str) -> dict[str, Any]:
    """Rows of ``base`` (a select) for values that are external ids or ``casedesk:`` ids."""
    found: dict[str, Any] = {}
    plain = [v for v in values if internal_id(v, name) is None]
    ids = {internal_id(v, name): v for v in values if internal_id(v, name) is not None}
    for part in chunks(plain):
        stmt = base.add_columns(table.c.external_id).where(table.c.external_id.in_(part))
        for *rest, ext in session.execute(stmt):
            found[ext] = tuple(rest)
    for part in chunks(ids):
        stmt = base.add_columns(table.c.id).where(table.c.id.in_(part))
        for *rest, rid in session.execute(stmt):
            found[ids[rid]] = tuple(rest)
    return found


class ContactRef(Ref):
    """→ (contact id, its account id, the account's tier).

    By external id (or ``casedesk:contact:ID``), or, for a value with an ``@``, by e-mail
    compared as contacts are matched (``contact.email_key``: trimmed, lower case, unique
    since migration 0008): ``Juan@Example.COM`` finds ``juan@example.com``. One indexed
    query per batch each way.
    """

    column, not_found = "contact_id", N_("no contact with id or e-mail {value}")

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        table = table_of(Contact)
        base = select(table.c.id, table.c.account_id, col(Account.tier)).outerjoin(
            Account, col(Account.id) == table.c.account_id
        )
        emails = {v for v in values if "@" in v}
        found = _by_external_id(session, table, base, values - emails, "contact")
        wanted: dict[str, list[str]] = {}
        for email in emails:
            key = email_key(email)
            if key is not None:
                wanted.setdefault(key, []).append(email)
        for part in chunks(wanted):
            stmt = base.add_columns(table.c.email_key).where(table.c.email_key.in_(part))
            for cid, account, tier, key in session.execute(stmt):
                for email in wanted[key]:
                    found[email] = (cid, account, tier)
        return found


class AccountRef(Ref):
    """→ (account id, tier): by external id, exact name, else the name folded
    (``account.name_key``; of several, the oldest)."""

    column, not_found = "account_id", N_("no account with id or name {value}")

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        table = table_of(Account)
        base = select(table.c.id, table.c.tier)
        found = _by_external_id(session, table, base, values, "account")
        for part in chunks(values - set(found)):
            stmt = base.add_columns(table.c.name).where(table.c.name.in_(part))
            for aid, tier, name in session.execute(stmt.order_by(table.c.id.desc())):
                found[name] = (aid, tier)
        folded: dict[str, list[str]] = {}
        for value in values - set(found):
            key = name_key(value)
            if key is not None:
                folded.setdefault(key, []).append(value)
        for part in chunks(folded):
            stmt = base.add_columns(table.c.name_key).where(table.c.name_key.in_(part))
            for aid, tier, key in session.execute(stmt.order_by(table.c.id.desc())):
                for value in folded[key]:
                    found[value] = (aid, tier)
        return found


class CaseRef(Ref):
    """→ case id, from an external id, else ``CS-000123`` / ``123`` (a case number)."""

    column, not_found = "case_id", N_("no case {value}")

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        table = table_of(Case)
        numbers: dict[int, str] = {}
        for value in values:
            match = _CASE_NUMBER.match(value)
            if match:
                numbers[int(match.group(1))] = value
        # an external id first: a ticket export's "Ticket ID" 17 is that ticket, not CS-000017
        found: dict[str, Any] = {
            k: v[0] for k, v in _by_external_id(session, table, select(table.c.id), values,
                                               "case").items()}
        numbers = {n: value for n, value in numbers.items() if value not in found}
        for part in chunks(numbers):
            for number, cid in session.execute(
                select(table.c.number, table.c.id).where(table.c.number.in_(part))
            ):
                found[numbers[number]] = cid
        return found


class AgentRef(Ref):
    """→ agent id, by login (case-insensitive)."""

    column, not_found = "agent_id", N_("no agent with login {value}")

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        logins = dict(session.execute(select(col(Agent.login), col(Agent.id))).all())
        return {v: logins[v.lower()] for v in values if v.lower() in logins}


class QueueRef(Ref):
    """→ (queue id, queue name), by name (case- and accent-insensitive)."""

    column, not_found = "queue_id", N_("no queue {value}")

    def lookup(self, session: Session, values: set[str]) -> dict[str, Any]:
        rows = session.execute(select(col(Queue.name), col(Queue.id)).order_by(col(Queue.id))).all()
        exact = {name: (qid, name) for name, qid in rows}
        folded: dict[str, tuple[int, str]] = {}
        for name, qid in rows:
            folded.setdefault(fold(name), (qid, name))
        out = {}
        for value in values:
            hit = exact.get(value) or folded.get(fold(value))
            if hit:
                out[value] = hit
        return out
