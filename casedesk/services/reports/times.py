"""How long cases waited for a first response and took to be resolved: the median and
the 90th percentile, in whole seconds of wall-clock time.

PostgreSQL answers with ``percentile_cont``; SQLite, which has none, counts the values
and reads the one or two around each rank (``ORDER BY … LIMIT 2 OFFSET k``), then
interpolates exactly as ``percentile_cont`` does — the same figure on both.

First response: cases opened in the period that have one (``first_response_at``).
Resolution: cases resolved in the period (their latest resolution, from when they were
opened; a reopened case counts from its opening to its last resolution).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from casedesk.models import Case
from casedesk.services.reports.scope import (
    Scope,
    epoch_seconds,
    interpolate,
    percentile_position,
)
from casedesk.services.reports.views import DurationRow

FRACTIONS = (0.5, 0.9)


def _percentiles(session: Session, values: Any) -> tuple[int, list[float | None]]:
    """(count, [percentile for each of FRACTIONS]) of the column ``values`` of a subquery."""
    if session.get_bind().dialect.name != "sqlite":
        row = session.execute(
            select(func.count(), *[
                func.percentile_cont(f).within_group(values) for f in FRACTIONS
            ])
        ).one()
        count = int(row[0])
        return count, [float(v) if v is not None else None for v in row[1:]]
    count = int(session.execute(select(func.count(values))).scalar_one())
    out: list[float | None] = []
    for fraction in FRACTIONS:
        if not count:
            out.append(None)
            continue
        low, weight = percentile_position(count, fraction)
        picked = [
            float(v) for v in session.execute(
                select(values).order_by(values).limit(2).offset(low)
            ).scalars()
        ]
        out.append(interpolate(picked[0], picked[-1], weight) if weight else picked[0])
    return count, out


def durations(session: Session, scope: Scope) -> list[DurationRow]:
    rows = []
    first = (
        select((epoch_seconds(session, Case.first_response_at)
                - epoch_seconds(session, Case.created_at)).label("seconds"))
        .where(scope.in_period(Case.created_at), col(Case.first_response_at).is_not(None),
               scope.case_filter())
        .subquery()
    )
    count, (median, p90) = _percentiles(session, first.c.seconds)
    rows.append(DurationRow("first_response", count, median, p90))
    resolved = (
        select((epoch_seconds(session, Case.resolved_at)
                - epoch_seconds(session, Case.created_at)).label("seconds"))
        .where(scope.in_period(Case.resolved_at), scope.case_filter())
        .subquery()
    )
    count, (median, p90) = _percentiles(session, resolved.c.seconds)
    rows.append(DurationRow("resolution", count, median, p90))
    return rows
