"""Quotes agents attach to a case for the customer to approve or decline in the portal.

:func:`add_quote` (``casedesk case quote CS-000123 120.50 --note …``): whoever may work on
the case (its owner, a member of its queue, a supervisor) attaches a price; it is one
append on the case (one ``quote`` event). The customer decides in the portal
(:func:`casedesk.services.portal.cases.decide_quote`). Amounts are whole cents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlmodel import col

from casedesk.db import read_session, write_session
from casedesk.errors import ValidationError
from casedesk.i18n import _
from casedesk.models.base import saved_id
from casedesk.models.portal import Quote
from casedesk.services.context import Actor, Desk, load_case, storable
from casedesk.services.workflow.cases import require_work_on
from casedesk.services.workflow.changes import apply_change

_AMOUNT = re.compile(r"^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def parse_amount(text: str) -> int:
    """``"120"``, ``"120.5"``, ``"120,50"`` → cents (12000, 12050, 12050); ValidationError
    for anything else (negative, more than two decimals, thousands separators)."""
    match = _AMOUNT.match(text or "")
    if match is None:
        raise ValidationError(
            _("{amount!r} is not an amount: write it like 120.50").format(amount=text))
    whole, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(whole) * 100 + int(cents)


@dataclass(frozen=True)
class QuoteRow:
    id: int
    case_number: int
    amount_cents: int
    currency: str
    description: str
    status: str
    created_at: datetime
    decided_at: datetime | None


def add_quote(desk: Desk, actor: Actor, number: int | str, amount: str, *,
              currency: str = "EUR", description: str = "") -> QuoteRow:
    """Attach a quote to a case (pending until the customer decides)."""
    cents = parse_amount(amount)
    if cents <= 0:
        raise ValidationError(_("a quote needs an amount above zero"))
    currency = (currency or "").strip().upper()
    if not _CURRENCY.match(currency):
        raise ValidationError(
            _("{currency!r} is not a currency code such as EUR").format(currency=currency))
    description = storable((description or "").strip(), _("the description"), 2000)
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number, lock=True)
        require_work_on(session, actor, case, _("attach a quote to it"))
        quote_id: int = session.execute(insert(Quote).values(
            case_id=case.id, amount_cents=cents, currency=currency, description=description,
            status="pending", created_by=actor.id, created_at=now,
        ).returning(col(Quote.id))).scalar_one()
        apply_change(session, case, actor, now, kind="quote", values={},
                     note=f"quote {cents / 100:.2f} {currency}: {description}".rstrip(": ")
                     [:500], data={"quote": quote_id, "amount_cents": cents,
                                   "currency": currency}, append=True)
        return QuoteRow(quote_id, case.number, cents, currency, description, "pending", now,
                        None)


def quotes_of(desk: Desk, number: int | str) -> list[QuoteRow]:
    """The quotes of a case, oldest first."""
    with read_session(desk.engine) as session:
        case = load_case(session, number)
        return [QuoteRow(saved_id(q.id), case.number, q.amount_cents, q.currency,
                         q.description, q.status, q.created_at, q.decided_at)
                for q in session.execute(select(Quote).where(col(Quote.case_id) == case.id)
                                         .order_by(col(Quote.id))).scalars()]
