"""Customers: accounts and their contacts."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import Mapped
from sqlmodel import col

from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.models import (
    Account,
    Contact,
    Tier,
)
from casedesk.services.context import (
    LIKE_ESCAPE,
    Desk,
    contains_pattern,
    searchable,
    storable,
    storable_id,
)
from casedesk.services.directory.addresses import check_email
from casedesk.services.knowledge.folding import tokens

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
        raise ValidationError(f"tier {tier!r} is not one of standard, gold, vip")
    name = storable(name.strip(), "the name", 200)
    if not name:
        raise ValidationError("an account needs a name")
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
    name = storable(name.strip(), "the name", 200)
    if not name:
        raise ValidationError("a contact needs a name")
    email = check_email(email)
    phone = storable((phone or "").strip(), "the phone", 40) or None
    with write_session(desk.engine) as session:
        taken = email_key(email)
        if taken is not None and session.execute(
            select(col(Contact.id)).where(col(Contact.email_key) == taken)
        ).first() is not None:
            raise ValidationError(f"a contact with the e-mail {email} already exists")
        if account_id is not None and session.get(
            Account, storable_id(account_id, "account")
        ) is None:
            raise NotFound(f"no account {account_id}")
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


def find_contacts(desk: Desk, text: str, *, limit: int = 20) -> list[dict[str, object]]:
    """Contacts whose name, e-mail or phone contains ``text`` (lookup as you type)."""
    text = searchable(text).strip()
    if not text:
        return []
    pattern = contains_pattern(text)
    digits = re.sub(r"\D", "", text)
    with read_session(desk.engine) as session:
        conditions = [
            col(Contact.name).ilike(pattern, escape=LIKE_ESCAPE),
            col(Contact.email).ilike(pattern, escape=LIKE_ESCAPE),
        ]
        if len(digits) >= 3:
            phone_digits: ColumnElement[Any] | Mapped[str | None] = col(Contact.phone)
            for separator in (" ", "-", ".", "(", ")", "/"):
                phone_digits = func.replace(phone_digits, separator, "")
            conditions.append(phone_digits.like(f"%{digits}%"))
        rows = session.execute(
            select(Contact, col(Account.name), col(Account.tier))
            .outerjoin(Account, col(Account.id) == col(Contact.account_id))
            .where(or_(*conditions))
            .order_by(col(Contact.name))
            .limit(limit)
        ).all()
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
