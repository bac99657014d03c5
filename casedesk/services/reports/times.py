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

from sqlalchemy import and_, func, literal_column, select, text
from sqlmodel import Session, col

from casedesk.models import Case
from casedesk.models.base import UTCDateTime
from casedesk.services.reports.scope import (
    Scope,
    epoch_seconds,
    interpolate,
    percentile_position,
    utc,
)
from casedesk.services.reports.views import DurationRow

FRACTIONS = (0.5, 0.9)
#: PostgreSQL: memory for the percentile sort (a million seconds take about 40 MB).
SORT_MEMORY = "64MB"


#: SQLite: the seconds each measure takes, written exactly as the expression indexes of
#: migration 0010 say (``ix_case_first_response_seconds``, ``ix_case_resolution_seconds``),
#: so that ``ORDER BY`` walks the index instead of sorting a million rows.
SQLITE_SECONDS = {
    "first_response": "(strftime('%s', first_response_at) - strftime('%s', created_at))",
    "resolution": "(strftime('%s', resolved_at) - strftime('%s', created_at))",
}


def _percentiles(session: Session, values: Any) -> tuple[int, list[float | None]]:
    """(count, [percentile for each of FRACTIONS]) of the column ``values`` of a subquery."""
    if session.get_bind().dialect.name != "sqlite":
        # the sort behind percentile_cont in memory, not in temporary files (this read's
        # transaction only)
        session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
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


def unindexed_period(scope: Scope, measure: str) -> Any:
    """The period on the measure's time column written ``+column``, which no index serves."""
    name = '+"case".created_at' if measure == "first_response" else '+"case".resolved_at'
    column = literal_column(name, type_=UTCDateTime())
    return and_(column >= utc(scope.since), column < utc(scope.until))


def _sqlite_percentiles(
    session: Session, scope: Scope, measure: str, where: list[Any]
) -> DurationRow:
    """SQLite: count the values through the period's index, then read the one or two
    around each rank in order of the expression index (no sort)."""
    seconds: Any = literal_column(SQLITE_SECONDS[measure])
    # the count from the period's own index (covered); then ``+column``: no index serves
    # the period's range, so the ordered reads walk the measure's expression index
    count = int(session.execute(select(func.count()).select_from(Case).where(*where))
                .scalar_one())
    where = [unindexed_period(scope, measure), *where[1:]]
    out: list[float | None] = []
    for fraction in FRACTIONS:
        if not count:
            out.append(None)
            continue
        low, weight = percentile_position(count, fraction)
        picked = [float(v) for v in session.execute(
            select(seconds).select_from(Case).where(*where).order_by(seconds).limit(2)
            .offset(low)
        ).scalars()]
        out.append(interpolate(picked[0], picked[-1], weight) if weight else picked[0])
    return DurationRow(measure, count, out[0], out[1])


def durations(session: Session, scope: Scope) -> list[DurationRow]:
    if session.get_bind().dialect.name == "sqlite":
        return [
            _sqlite_percentiles(session, scope, "first_response", [
                scope.in_period(Case.created_at), col(Case.first_response_at).is_not(None),
                scope.case_filter()]),
            _sqlite_percentiles(session, scope, "resolution", [
                scope.in_period(Case.resolved_at), col(Case.resolved_at).is_not(None),
                scope.case_filter()]),
        ]
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
