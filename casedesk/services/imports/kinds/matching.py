"""One customer is one contact: which stored (or earlier) record a contact or account row is.

A contact row with an external id is that record (stored or new), and its e-mail must not
be another contact's. A row without one is matched by its keys
(``services.directory.customers.contact_keys``), first in the database, then among the
earlier rows of the batch:

1. the e-mail key (trimmed, lower case; unique since migration 0008);
2. else the phone key (digits only), of a contact whose e-mail does not differ;
3. else the name key (folded: accents, case, separators off), of a contact whose e-mail
   and phone do not differ.

"Does not differ": a key the row or the contact lacks never conflicts, so a row naming
only "Ana Pérez" joins the stored ``ana perez`` with her e-mail, while a row with another
e-mail starts a contact of its own. A matched row's key becomes ``casedesk:contact:ID``
(or the first earlier row's key), so the generic compare sees that record; its stored (or
earlier) values win and the row fills only the fields they leave empty (rows spelling one
customer differently settle on one record; a re-import changes nothing). A new identity without an
external id is keyed ``casedesk:new:…`` and stored without one.

Accounts without an external id are matched the same way by their folded name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert, select
from sqlmodel import Session

from casedesk.i18n import _
from casedesk.services.directory.customers import contact_keys, name_key
from casedesk.services.imports.kinds.base import Pending
from casedesk.services.imports.refs import chunks, internal_id

NEW = "casedesk:new:"


def is_new_identity(key: str) -> bool:
    return key.startswith(NEW)


@dataclass
class Identity:
    """A contact a row may be: stored (``id``) or first seen in this batch."""

    key: str
    email_key: str | None
    phone_key: str | None
    name_key: str | None
    id: int | None = None
    #: the stored values (``id`` set) or the accumulated fields of the batch's rows
    current: dict[str, Any] = field(default_factory=dict)
    #: the stored extras, or those of the batch's rows so far (earlier keys win)
    extras: dict[str, Any] = field(default_factory=dict)

    def conflicts(self, email: str | None, phone: str | None, *, with_phone: bool) -> bool:
        if email and self.email_key and email != self.email_key:
            return True
        return bool(with_phone and phone and self.phone_key and phone != self.phone_key)


class Index:
    """The identities of a batch by each key (the oldest first)."""

    def __init__(self) -> None:
        self.email: dict[str, Identity] = {}
        self.phone: dict[str, list[Identity]] = {}
        self.name: dict[str, list[Identity]] = {}

    def add(self, who: Identity) -> None:
        if who.email_key:
            self.email.setdefault(who.email_key, who)
        if who.phone_key:
            self.phone.setdefault(who.phone_key, []).append(who)
        if who.name_key:
            self.name.setdefault(who.name_key, []).append(who)

    def find(self, email: str | None, phone: str | None, name: str | None) -> Identity | None:
        if email:
            hit = self.email.get(email)
            if hit is not None:
                return hit
        if phone:
            for who in self.phone.get(phone, ()):
                if not who.conflicts(email, None, with_phone=False):
                    return who
        if name:
            for who in self.name.get(name, ()):
                if not who.conflicts(email, phone, with_phone=True):
                    return who
        return None

    def learn(self, who: Identity, email: str | None, phone: str | None) -> None:
        """A matched row brought keys its identity lacked: find it by them from now on."""
        if email and not who.email_key:
            who.email_key = email
            self.email.setdefault(email, who)
        if phone and not who.phone_key:
            who.phone_key = phone
            self.phone.setdefault(phone, []).append(who)


CONTACT_FIELDS = ("name", "email", "phone", "account_id", "marketing_consent", "created_at")
#: what a matched row takes from its identity
MERGED = (*CONTACT_FIELDS, "account")


def match_contacts(session: Session, table: Table, live: list[Pending]) -> None:
    """Give every row of a contacts batch its identity (``p.key``), see the module doc."""
    rows = []
    for p in live:
        f = p.fields
        keys = contact_keys(f.get("name"), f.get("email"), f.get("phone"))
        rows.append((p, keys["email_key"], keys["phone_key"], keys["name_key"]))
    stored_ext = _stored(session, table, [p.fields["external_id"] for p in live
                                          if "external_id" in p.fields])
    index = Index()
    for who in _candidates(session, table, rows):
        index.add(who)
    for p, email, phone, name in rows:
        ext = p.fields.get("external_id")
        if ext is not None:  # an external id is the record: the e-mail must be free
            owner = index.email.get(email) if email else None
            mine = f"casedesk:contact:{stored_ext[ext]}" if ext in stored_ext else ext
            if owner is not None and owner.key != mine:
                p.reason = _("email: {email} is the e-mail of another contact (two contacts "
                             "never share one)").format(email=p.fields["email"])
            elif owner is None and email:
                index.email[email] = Identity(mine, email, phone, name)
            continue
        if not (email or phone or name):
            continue  # nothing to match by: keyed by its row, as before
        found = index.find(email, phone, name)
        if found is None:
            key = NEW + (f"e:{email}" if email else f"p:{phone}" if phone else f"n:{name}")
            fresh = Identity(key, email, phone, name, current=dict(p.fields),
                             extras=dict(p.extras))
            index.add(fresh)
            p.key = key
            continue
        who = found
        if not who.key.startswith("casedesk:"):  # the row of an external id: keep apart
            p.reason = _("email: {email} is the e-mail of the contact {key} of an earlier row "
                         "(two contacts never share one)").format(
                email=p.fields.get("email"), key=who.key)
            continue
        index.learn(who, email, phone)
        # the stored (or earlier) values win; the row fills only what they leave empty, so
        # rows spelling one customer differently settle on one record, and a re-import
        # finds nothing to change
        merged = dict(p.fields)
        merged.update({k: v for k, v in who.current.items() if k in MERGED and v is not None})
        if merged.get("account_id") is not None:
            merged.pop("account", None)
        p.fields = merged
        p.extras = {**p.extras, **who.extras}
        who.extras = dict(p.extras)
        if who.id is None:
            who.current = dict(merged)
        p.key = who.key


def _stored(session: Session, table: Table, external_ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in chunks(set(external_ids)):
        out.update({ext: rid for ext, rid in session.execute(
            select(table.c.external_id, table.c.id).where(table.c.external_id.in_(part)))})
    return out


def _candidates(session: Session, table: Table,
                rows: list[tuple[Pending, str | None, str | None, str | None]]) -> list[Identity]:
    """The stored contacts sharing a key with a row of the batch, oldest first."""
    names = ["id", "email_key", "phone_key", "name_key", "extras", *CONTACT_FIELDS]
    found: dict[int, Identity] = {}
    for column, position in (("email_key", 1), ("phone_key", 2), ("name_key", 3)):
        wanted = {r[position] for r in rows if r[position]}
        for part in chunks(wanted):
            for values in session.execute(
                select(*(table.c[n] for n in names)).where(table.c[column].in_(part))
            ):
                item = dict(zip(names, values, strict=True))
                rid = item.pop("id")
                if rid not in found:
                    found[rid] = Identity(
                        f"casedesk:contact:{rid}", item.pop("email_key"), item.pop("phone_key"),
                        item.pop("name_key"), rid, extras=dict(item.pop("extras") or {}),
                        current=item)
    return [found[rid] for rid in sorted(found)]


def match_accounts(session: Session, table: Table, live: list[Pending]) -> None:
    """Accounts without an external id: by folded name, stored first, then earlier rows;
    as for contacts, the stored (or earlier) values win over a matched row's."""
    todo = [(p, name_key(p.fields.get("name"))) for p in live
            if p.fields.get("external_id") is None]
    known: dict[str, Identity] = {}
    for part in chunks({k for _line, k in todo if k}):
        for rid, key, name, tier, created, extras in session.execute(
            select(table.c.id, table.c.name_key, table.c.name, table.c.tier, table.c.created_at,
                   table.c.extras)
            .where(table.c.name_key.in_(part)).order_by(table.c.id.desc())
        ):
            known[key] = Identity(f"casedesk:account:{rid}", None, None, key, rid,
                                  {"name": name, "tier": tier, "created_at": created},
                                  dict(extras or {}))
    for p, key in todo:
        if not key:
            continue
        who = known.get(key)
        if who is None:
            known[key] = Identity(f"{NEW}n:{key}", None, None, key, None, dict(p.fields),
                                  dict(p.extras))
            p.key = known[key].key
            continue
        p.key = who.key
        p.fields = {**p.fields, **{k: v for k, v in who.current.items() if v is not None}}
        p.extras = {**p.extras, **who.extras}
        who.extras = dict(p.extras)


def insert_with_ids(session: Session, table: Table, new: list[Pending]) -> None:
    """Insert ``new`` rows and note each one's id in ``p.refs["id"]`` (file order)."""
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = session.execute(stmt, [p.row for p in new]).scalars().all()
    for p, rid in zip(new, ids, strict=True):
        p.refs["id"] = rid


def record_id(p: Pending, firsts: dict[str, Pending], name: str) -> int | None:
    """The id of the record a written row became (stored, or inserted by its first row)."""
    rid = internal_id(p.key, name)
    if rid is not None:
        return rid
    first = firsts.get(p.key)
    found = first.refs.get("id") if first is not None else None
    return int(found) if found is not None else None
