"""Human numbers (``CS-000123``, ``KB-000042``): claimed atomically from the counter table,
written (``case_label``, ``article_label``) and read back (``parse_case_number``,
``parse_article_number``). The one home for them."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlmodel import Session, col

from casedesk.errors import NotFound, ValidationError
from casedesk.models import Counter
from casedesk.models.base import MAX_ID


def claim_numbers(session: Session, name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive numbers of sequence ``name`` in this transaction."""
    last = session.execute(
        update(Counter)
        .where(col(Counter.name) == name)
        .values(value=col(Counter.value) + count)
        .returning(col(Counter.value))
    ).scalar_one()
    return range(last - count + 1, last + 1)


_CASE_NUMBER = re.compile(r"^\s*(?:cs-?)?0*(\d+)\s*$", re.IGNORECASE)


def case_label(number: int) -> str:
    """``CS-000123``: the number people see and say."""
    return f"CS-{number:06d}"


def parse_case_number(text: str | int) -> int:
    """Accept ``CS-000123``, ``cs-123``, ``123`` or an int (1 … 2**63 - 1)."""
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise ValidationError(f"{text!r} is not a case number (expected e.g. CS-000123)")
    if isinstance(text, int):
        number = text
    else:
        match = _CASE_NUMBER.match(text)
        if not match:
            raise ValidationError(f"{text!r} is not a case number (expected e.g. CS-000123)")
        digits = match.group(1)
        if len(digits) > 19:  # int() of a huge digit string is slow and pointless
            shown = text.strip() if len(text.strip()) <= 30 else text.strip()[:30] + "…"
            raise NotFound(f"no case {shown}: case numbers stop at {MAX_ID}")
        number = int(digits)
    if not 0 < number <= MAX_ID:
        raise NotFound(f"no case {shown_number(number)}: case numbers run from 1 to {MAX_ID}")
    return number


def shown_number(value: int) -> str:
    """An int for a message (Python refuses to print ints of over 4 300 digits)."""
    return str(value) if abs(value) < 10**30 else "with a number of over 30 digits"


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
