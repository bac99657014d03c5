"""Human numbers (``CS-000123``, ``KB-000042``): claimed atomically — case numbers from the
``case_number_seq`` sequence on PostgreSQL (no lock held until commit), everything else from
the counter table —, written (``case_label``, ``article_label``) and read back
(``parse_case_number``, ``parse_article_number``). The one home for them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import bindparam, text, update
from sqlmodel import Session, col

from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import _
from casedesk.models import Counter
from casedesk.models.base import MAX_ID

#: sequences that live in a PostgreSQL SEQUENCE rather than a counter row (migration 0011)
_PG_SEQUENCES = {"case": "case_number_seq"}
_NEXTVALS = {
    name: text(f"SELECT nextval('{seq}') FROM generate_series(1, :n)").bindparams(
        bindparam("n")
    )
    for name, seq in _PG_SEQUENCES.items()
}


def claim_numbers(session: Session, name: str, count: int = 1) -> Sequence[int]:
    """Reserve ``count`` numbers of sequence ``name`` in this transaction, ascending.

    From the counter row they are consecutive; from a PostgreSQL sequence they are unique
    but another transaction's numbers may sit between them (and a rolled-back claim leaves
    a gap): callers must not assume ``numbers[-1] - numbers[0] == count - 1``.
    """
    if name in _NEXTVALS and session.get_bind().dialect.name == "postgresql":
        got = session.execute(_NEXTVALS[name], {"n": count}).scalars().all()
        return sorted(int(n) for n in got)
    last = session.execute(
        update(Counter)
        .where(col(Counter.name) == name)
        .values(value=col(Counter.value) + count)
        .returning(col(Counter.value))
    ).scalar_one()
    return range(last - count + 1, last + 1)


def set_last_number(session: Session, name: str, value: int) -> None:
    """Make the next number claimed ``value + 1`` (tests, and moving a desk's numbering)."""
    session.execute(update(Counter).where(col(Counter.name) == name).values(value=value))
    if name in _PG_SEQUENCES and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT setval('{_PG_SEQUENCES[name]}', :v, :called)"),
                        {"v": max(value, 1), "called": value >= 1})


_CASE_NUMBER = re.compile(r"^\s*(?:cs-?)?0*(\d+)\s*$", re.IGNORECASE)


def case_label(number: int) -> str:
    """``CS-000123``: the number people see and say."""
    return f"CS-{number:06d}"


def parse_case_number(text: str | int) -> int:
    """Accept ``CS-000123``, ``cs-123``, ``123`` or an int (1 … 2**63 - 1)."""
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise ValidationError(_("{text} is not a case number (expected e.g. CS-000123)").format(
            text=repr(text)))
    if isinstance(text, int):
        number = text
    else:
        match = _CASE_NUMBER.match(text)
        if not match:
            raise ValidationError(
                _("{text} is not a case number (expected e.g. CS-000123)").format(
                    text=repr(text)))
        digits = match.group(1)
        if len(digits) > 19:  # int() of a huge digit string is slow and pointless
            shown = text.strip() if len(text.strip()) <= 30 else text.strip()[:30] + "…"
            raise NotFound(_("no case {case}: case numbers stop at {max}").format(
                case=shown, max=MAX_ID))
        number = int(digits)
    if not 0 < number <= MAX_ID:
        raise NotFound(_("no case {case}: case numbers run from 1 to {max}").format(
            case=shown_number(number), max=MAX_ID))
    return number


def shown_number(value: int) -> str:
    """An int for a message (Python refuses to print ints of over 4 300 digits)."""
    return str(value) if abs(value) < 10**30 else _("with a number of over 30 digits")


_ARTICLE_NUMBER = re.compile(r"^\s*kb\s*-?\s*0*(\d{1,9})\s*$", re.IGNORECASE)


def article_label(number: int) -> str:
    """``KB-000042``: the number people see and say."""
    return f"KB-{number:06d}"


def parse_article_number(text: str | int) -> int | None:
    """``KB-000042``, ``kb-42``, ``KB 42`` → 42; anything else → None."""
    if isinstance(text, int):
        return text
    match = _ARTICLE_NUMBER.match(text)
    return int(match.group(1)) if match else None
