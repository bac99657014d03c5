"""Customers: accounts and their contacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, select
from sqlalchemy import text as sql
from sqlmodel import Session, col

from casedesk.db import is_sqlite, read_session, write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import (
    Account,
    Contact,
    Tier,
)
from casedesk.models.base import saved_id
from casedesk.services.context import (
    Desk,
    searchable,
    storable,
    storable_id,
)
from casedesk.services.directory.addresses import check_email
from casedesk.services.knowledge.folding import MIN_PREFIX, tokens

#: a phone is matched by its digits alone (``+34 600-12.34.56`` → ``34600123456``); one
#: with fewer digits than this matches nothing
MIN_PHONE_DIGITS = 6
_NOT_DIGIT = re.compile(r"\D+")


def email_key(email: str | None) -> str | None:
    """The e-mail as contacts are matched by it: trimmed, lower case (None when empty)."""
    text = (email or "").strip().lower()
    return text[:254] or None


def phone_key(phone: str | None) -> str | None:
    """The digits of a phone (the rule :func:`find_contacts` uses for spaced phones);
    None when it has fewer than :data:`MIN_PHONE_DIGITS`."""
    digits = _NOT_DIGIT.sub("", phone or "")
    return digits[:40] if len(digits) >= MIN_PHONE_DIGITS else None


def name_key(name: str | None) -> str | None:
    """A name folded as the workstation's search folds it, then its words joined: accents,
    case and separators off (``Ana-María  PÉREZ`` and ``ana maria perez`` → ``anamariaperez``,
    ``Núñez, S.L.`` and ``NUNEZ SL`` → ``nunezsl``)."""
    text = "".join(tokens(name or ""))
    return text[:200] or None


def contact_keys(name: str | None, email: str | None, phone: str | None) -> dict[str, str | None]:
    """The matching columns of a contact (``email_key``, ``phone_key``, ``name_key``): the
    one function every writer of contacts uses."""
    return {"email_key": email_key(email), "phone_key": phone_key(phone),
            "name_key": name_key(name)}


def add_account(desk: Desk, *, name: str, tier: str = "standard") -> int:
    """Create a customer account; returns its id."""
    if tier not in [t.value for t in Tier]:
        raise ValidationError(_("tier {tier} is not one of standard, gold, vip").format(
            tier=repr(tier)))
    name = storable(name.strip(), N_("the name"), 200)
    if not name:
        raise ValidationError(_("an account needs a name"))
    with write_session(desk.engine) as session:
        account_id: int = session.execute(
            insert(Account)
            .values(name=name.strip(), tier=tier, created_at=desk.now(),
                    name_key=name_key(name))
            .returning(col(Account.id))
        ).scalar_one()
        return account_id


def add_contact(
    desk: Desk,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    account_id: int | None = None,
    marketing_consent: bool = False,
) -> int:
    """Create a contact; the e-mail, when given, must be an address (quoted local parts too)."""
    name = storable(name.strip(), N_("the name"), 200)
    if not name:
        raise ValidationError(_("a contact needs a name"))
    email = check_email(email)
    phone = storable((phone or "").strip(), N_("the phone"), 40) or None
    with write_session(desk.engine) as session:
        taken = email_key(email)
        if taken is not None and session.execute(
            select(col(Contact.id)).where(col(Contact.email_key) == taken)
        ).first() is not None:
            raise ValidationError(_("a contact with the e-mail {email} already exists").format(
                email=email))
        if account_id is not None and session.get(
            Account, storable_id(account_id, "account")
        ) is None:
            raise NotFound(_("no account {id}").format(id=account_id))
        contact_id: int = session.execute(
            insert(Contact)
            .values(
                name=name,
                email=email,
                phone=phone,
                account_id=account_id,
                marketing_consent=marketing_consent,
                created_at=desk.now(),
                **contact_keys(name, email, phone),
            )
            .returning(col(Contact.id))
        ).scalar_one()
        return contact_id


#: above every character a key can hold: ``k <= key < k + KEY_END`` is "starts with k"
#: in byte order (SQLite's BINARY collation, PostgreSQL's ``C`` collation)
KEY_END = "\U0010ffff"
#: the expression of PostgreSQL's word index (migration 0012), repeated exactly
_PG_NAME_WORDS = ("to_tsvector('simple'::regconfig, casedesk_fold("
                  "coalesce(contact.name, '') || ' ' || coalesce(contact.phone, '')))")
_PHONE_TEXT = re.compile(r"[\d\s().+/-]+")


def in_byte_order(column: Any, *, sqlite: bool) -> Any:
    """A key column compared in byte order, as its prefix index (migration 0012) holds it."""
    return column if sqlite else column.collate("C")


def starts_with(column: Any, key: str, *, sqlite: bool) -> ColumnElement[bool]:
    """``column`` (a key column) starts with ``key``, as a range its index serves."""
    column = in_byte_order(column, sqlite=sqlite)
    return and_(column >= key, column < key + KEY_END)


@dataclass(frozen=True)
class LookupTerms:
    """What :func:`find_contacts` looks for in what was typed (see :func:`lookup_terms`)."""

    name: str | None
    words: list[str]
    email: str | None
    phone: str | None


def lookup_terms(text: str) -> LookupTerms:
    """What :func:`find_contacts` looks for in ``text``: the folded name prefix
    (``name``), the words each to be a prefix of a word of the name or of a group of the
    phone's digits (``words``, those of at least
    :data:`~casedesk.services.knowledge.folding.MIN_PREFIX` characters, or all of several
    initials), an e-mail
    prefix (``email``, when ``text`` has no space) and phone digits (``phone``, when
    ``text`` is written like a phone and holds at least 3 digits)."""
    text = searchable(text).strip()
    every = tokens(text)
    words = [w for w in every if len(w) >= MIN_PREFIX]
    if not words and len(every) > 1:
        words = every  # initials (``a g``): short prefixes, but together they narrow
    digits = _NOT_DIGIT.sub("", text)
    return LookupTerms(
        name=name_key(text),
        words=words,
        email=email_key(text) if text and not any(c.isspace() for c in text) else None,
        phone=digits if len(digits) >= 3 and _PHONE_TEXT.fullmatch(text) else None,
    )


def _word_ids(session: Session, words: list[str], limit: int, *, sqlite: bool) -> list[int]:
    """Ids of some ``limit`` contacts with a name word or phone group starting with each
    of ``words`` (in any order). Not sorted in SQL: a short common prefix matches a large
    share of the contacts, and sorting them all is what would make typing slow."""
    if sqlite:
        stmt = sql(
            "SELECT contact.id FROM contact JOIN contact_fts ON contact_fts.rowid = contact.id "
            "WHERE contact_fts MATCH :q LIMIT :n"
        )
        query = " AND ".join(f'"{w}"*' for w in words)
    else:
        stmt = sql(
            f"SELECT contact.id FROM contact WHERE {_PG_NAME_WORDS} "  # noqa: S608 - a constant
            "@@ to_tsquery('simple'::regconfig, :q) LIMIT :n"
        )
        query = " & ".join(f"{w}:*" for w in words)
    return [int(i) for i in session.execute(stmt, {"q": query, "n": limit}).scalars()]


def _key_ids(session: Session, column: Any, key: str, limit: int, *, sqlite: bool) -> list[int]:
    """Ids of contacts whose key ``column`` starts with ``key``, in key order."""
    stmt = (select(col(Contact.id)).where(starts_with(column, key, sqlite=sqlite))
            .order_by(in_byte_order(column, sqlite=sqlite)).limit(limit))
    return [int(i) for i in session.execute(stmt).scalars()]


def _matches(
    session: Session, terms: LookupTerms, limit: int, *, sqlite: bool
) -> Iterator[list[int]]:
    """The groups of matching contact ids, best first, each queried only when asked for."""
    if terms.name:
        yield _key_ids(session, col(Contact.name_key), terms.name, limit, sqlite=sqlite)
    if terms.words:
        yield _word_ids(session, terms.words, limit, sqlite=sqlite)
    if terms.email:
        yield _key_ids(session, col(Contact.email_key), terms.email, limit, sqlite=sqlite)
    if terms.phone:
        yield _key_ids(session, col(Contact.phone_key), terms.phone, limit, sqlite=sqlite)


def find_contacts(desk: Desk, text: str, *, limit: int = 20) -> list[dict[str, object]]:
    """Contacts matching what a person types, by the one search rule (lookup as you type).

    Case, accents and separators do not matter: a contact is found by a prefix of its
    folded name (``laura gom``, ``LAURA GÓMEZ`` → Laura Gómez), by a prefix of every typed
    word among its name's words, in any order (``gómez laura``), by a prefix of its e-mail
    or of its phone's digits (``+34 600-12`` → +34 600 123 456), or by groups of the phone
    as written (``600 12``). (A local number typed without the country code its phone is
    stored with and without spaces, ``600123456``, is not found: that needs a key of its
    own, as a contains match would read every phone.) Each is an indexed range
    (migration 0012), so it stays fast at millions of contacts. Whole-name prefixes come
    first, then word matches, e-mails and phones; each group in name order.
    """
    terms = lookup_terms(text)
    sqlite = is_sqlite(desk.engine)
    found: dict[int, int] = {}  # contact id → its group (0 the best)
    with read_session(desk.engine) as session:
        for group, ids in enumerate(_matches(session, terms, limit, sqlite=sqlite)):
            for cid in ids:
                found.setdefault(cid, group)
            if len(found) >= limit:
                break
        ids = list(found)[:limit]
        if not ids:
            return []
        rows = session.execute(
            select(Contact, col(Account.name), col(Account.tier))
            .outerjoin(Account, col(Account.id) == col(Contact.account_id))
            .where(col(Contact.id).in_(ids))
        ).all()
    rows = sorted(rows, key=lambda r: (found[saved_id(r[0].id)], r[0].name_key or "", r[0].id))
    return [
        {
            "id": c.id,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "account": acc,
            "tier": tier,
        }
        for c, acc, tier in rows
    ]
