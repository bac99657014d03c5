"""Human numbers (``CS-000123``, ``KB-000042``) claimed atomically from the counter table."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from casedesk.models import Counter


def claim_numbers(session: Session, name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive numbers of sequence ``name`` in this transaction."""
    last = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    ).scalar_one()
    return range(last - count + 1, last + 1)
