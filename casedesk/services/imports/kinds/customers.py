"""The customer a case or interaction row names, written in the row's own transaction.

A ticket export names its customer on every row ("Customer Name", "Customer Email", a
phone, a company). Cases and interactions take those columns as the fields
``customer_name``, ``customer_email``, ``customer_phone`` and ``customer_account``; each
batch first writes the accounts (matched by folded name) and the contacts (matched as
:mod:`.matching` says) its rows name, with the contacts and accounts kinds themselves, then
the rows point at them. One customer named on many rows is one contact; the summary
counts contacts (and accounts) created and matched, apart from the rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from casedesk.i18n import _
from casedesk.models import Account, Contact
from casedesk.models.base import table_of
from casedesk.services.imports import values as v
from casedesk.services.imports.kinds.base import Ctx, Pending
from casedesk.services.imports.kinds.matching import record_id
from casedesk.services.imports.mapping import FieldSpec
from casedesk.services.imports.refs import chunks

CUSTOMER_SPECS = (
    FieldSpec("customer_name", ("customer name", "nombre cliente", "nombre del cliente",
                                "requester", "requester name", "contact name",
                                "nombre contacto", "cliente nombre"), max_length=200),
    FieldSpec("customer_email", ("customer email", "customer e-mail", "requester email",
                                 "contact email", "email cliente", "correo cliente",
                                 "correo del cliente", "e-mail cliente", "correo electrónico",
                                 "correo electronico", "email", "e-mail"),
              v.email_address, max_length=254),
    FieldSpec("customer_phone", ("customer phone", "requester phone", "contact phone",
                                 "teléfono", "telefono", "teléfono cliente", "phone",
                                 "telephone", "móvil"), v.phone_number, max_length=40),
    FieldSpec("customer_account", ("company", "empresa", "organization", "organisation",
                                   "organización", "customer company", "requester company",
                                   "cuenta cliente"), max_length=200),
)
CUSTOMER_FIELDS = frozenset(s.name for s in CUSTOMER_SPECS)
#: tally names in ``ctx.cache["tally"]``: (record, created or matched)
TALLY = "tally"


def names_customer(provided: frozenset[str] | None) -> bool:
    """Whether rows of these fields name a customer to write (None: JSON Lines, not known
    before each record: planned in a second process until a batch does, see
    :mod:`casedesk.services.imports.parallel`)."""
    return provided is not None and bool(provided & CUSTOMER_FIELDS)


def write_customers(session: Session, live: list[Pending], ctx: Ctx) -> None:
    """Write the accounts and contacts ``live`` rows name; set each row's ``contact``
    reference (id, account id, tier) — or its reason, when its customer is refused."""
    from casedesk.services.imports.batch import process_batch
    from casedesk.services.imports.kinds.people import Accounts, Contacts

    named = [p for p in live if p.reason is None and CUSTOMER_FIELDS & p.fields.keys()]
    if not named:
        return
    account_of: dict[int, int] = {}
    with_account = [p for p in named if "customer_account" in p.fields]
    if with_account:
        accounts = Accounts()
        accounts.want_ids = True
        rows = [_pending(p, {"name": p.fields["customer_account"]}) for p in with_account]
        process_batch(session, accounts, rows, frozenset({"name"}), ctx)
        firsts = _firsts(rows)
        for p, row in zip(with_account, rows, strict=True):
            if row.reason is not None:
                p.reason = _("{field}: {problem}").format(field="customer_account",
                                                          problem=row.reason)
                continue
            rid = record_id(row, firsts, "account")
            if rid is not None:
                account_of[id(p)] = rid
        _count(ctx, "accounts", rows)
    people = []
    for p in named:
        if p.reason is not None:
            continue
        f = p.fields
        name = f.get("customer_name") or f.get("customer_email") or f.get("customer_phone")
        if name is None:
            continue  # only a company: the row's account, no contact
        fields: dict[str, Any] = {"name": name}
        if "customer_email" in f:
            fields["email"] = f["customer_email"]
        if "customer_phone" in f:
            fields["phone"] = f["customer_phone"]
        if id(p) in account_of:
            fields["account"] = f"casedesk:account:{account_of[id(p)]}"
        people.append((p, _pending(p, fields)))
    if people:
        contacts = Contacts()
        contacts.want_ids = True
        provided = frozenset(k for _, row in people for k in row.fields)
        rows = [row for _, row in people]
        process_batch(session, contacts, rows, provided, ctx)
        firsts = _firsts(rows)
        contact_ids: dict[int, int] = {}
        for p, row in people:
            if row.reason is not None:
                p.reason = _("{field}: {problem}").format(field="customer", problem=row.reason)
                continue
            rid = record_id(row, firsts, "contact")
            if rid is not None:
                contact_ids[id(p)] = rid
        _count(ctx, "contacts", rows)
        facts = _contact_facts(session, set(contact_ids.values()))
        for p, _row in people:
            cid = contact_ids.get(id(p))
            if cid is not None and p.reason is None:
                p.refs["contact"] = facts[cid]
    for p in with_account:  # a company without a person: the case's account
        if p.reason is None and "contact" not in p.refs and id(p) in account_of:
            p.refs["account"] = _account_facts(session, account_of[id(p)])


def _pending(p: Pending, fields: dict[str, Any]) -> Pending:
    row = Pending(p.line, p.end, None)
    row.fields = fields
    row.key = "h-customer"  # replaced by the matching
    return row


def _firsts(rows: list[Pending]) -> dict[str, Pending]:
    firsts: dict[str, Pending] = {}
    for row in rows:
        if row.status == "created":
            firsts.setdefault(row.key, row)
    return firsts


def _count(ctx: Ctx, record: str, rows: list[Pending]) -> None:
    tally: dict[str, int] = ctx.cache.setdefault(TALLY, {})
    for row in rows:
        if row.reason is None:
            name = f"{record} created" if row.status == "created" else f"{record} matched"
            tally[name] = tally.get(name, 0) + 1


def _contact_facts(session: Session, ids: set[int]
                   ) -> dict[int, tuple[int, int | None, str | None]]:
    contact, account = table_of(Contact), table_of(Account)
    out: dict[int, tuple[int, int | None, str | None]] = {}
    for part in chunks(ids):
        for cid, aid, tier in session.execute(
            select(contact.c.id, contact.c.account_id, account.c.tier)
            .outerjoin(account, account.c.id == contact.c.account_id)
            .where(contact.c.id.in_(part))
        ):
            out[cid] = (cid, aid, tier)
    return out


def _account_facts(session: Session, account_id: int) -> tuple[int, str | None]:
    account = table_of(Account)
    tier = session.execute(select(account.c.tier).where(account.c.id == account_id)).scalar_one()
    return (account_id, tier)
