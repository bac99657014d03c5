"""Cases opened, resolved and closed per day of the desk's calendar.

Each day is counted by its own index range (``created_at``, ``resolved_at``,
``closed_at``: migration 0010's covering indexes): one correlated count per day and
column, read from the index alone, whatever the number of cases. ``resolved`` and
``closed`` count the case's latest resolution or closing (a reopened case clears them,
and counts again on the day it is resolved again); child cases count as cases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlmodel import Session, col

from casedesk.models import Case
from casedesk.services.reports.scope import Scope, day_bounds, utc
from casedesk.services.reports.views import DayVolume


def _days_table(scope: Scope) -> Any:
    bounds = day_bounds(scope.start, scope.end, scope.zone)
    parts = [
        select(
            literal(i).label("i"), utc(since).label("since"), utc(until).label("until")
        )
        for i, (_day, since, until) in enumerate(bounds)
    ]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("days"), bounds


def per_day(session: Session, scope: Scope) -> list[DayVolume]:
    days, bounds = _days_table(scope)

    def count_in(column: Any) -> Any:
        return (
            select(func.count())
            .select_from(Case)
            .where(col(column) >= days.c.since, col(column) < days.c.until, scope.case_filter())
            .scalar_subquery()
        )

    rows = session.execute(
        select(
            days.c.i,
            count_in(Case.created_at),
            count_in(Case.resolved_at),
            count_in(Case.closed_at),
        ).order_by(days.c.i)
    ).all()
    return [
        DayVolume(bounds[i][0], int(opened), int(resolved), int(closed))
        for i, opened, resolved, closed in rows
    ]
