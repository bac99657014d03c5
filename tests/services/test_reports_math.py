"""The reports' arithmetic: days of the desk's calendar across DST, and percentiles that
are PostgreSQL's ``percentile_cont`` on both databases."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from casedesk.bulk import fast_insert
from casedesk.db import read_session, write_session
from casedesk.models import Case
from casedesk.models.base import table_of
from casedesk.services.reports import times
from casedesk.services.reports.scope import day_bounds, interpolate, percentile_position
from casedesk.services.sla.clocks import FAR_FUTURE

MADRID = ZoneInfo("Europe/Madrid")


def test_dst_days_last_23_and_25_hours_in_madrid() -> None:
    spring = day_bounds(date(2026, 3, 28), date(2026, 3, 30), MADRID)
    assert [(b - a) / timedelta(hours=1) for _d, a, b in spring] == [24, 23, 24]
    assert spring[1][1] == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    autumn = day_bounds(date(2026, 10, 25), date(2026, 10, 25), MADRID)
    assert (autumn[0][2] - autumn[0][1]) == timedelta(hours=25)


@given(st.lists(st.integers(0, 10**7), min_size=2, max_size=60),
       st.sampled_from([0.5, 0.9]))
def test_percentile_position_is_percentile_cont(values: list[int], fraction: float) -> None:
    ordered = sorted(values)
    low, weight = percentile_position(len(ordered), fraction)
    high = ordered[min(low + 1, len(ordered) - 1)]
    got = interpolate(ordered[low], high, weight)
    expected = statistics.quantiles(ordered, n=10 if fraction == 0.9 else 2,
                                    method="inclusive")[-1 if fraction == 0.9 else 0]
    assert abs(got - expected) <= 1e-6 * max(1.0, abs(expected))


def test_percentiles_agree_with_python_on_each_database(desk) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(14)
    start = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    waits = [rng.randrange(0, 200_000) for _ in range(101)] + [5, 5, 5]
    rows = [{
        "number": i + 1, "title": "t", "description": "", "area": "general",
        "priority": "medium", "severity": "minor", "status": "resolved",
        "created_at": start, "updated_at": start, "due_at": FAR_FUTURE, "sla_flags": 0,
        "paused_seconds": 0, "version": 1, "resolved_at": start + timedelta(seconds=w),
    } for i, w in enumerate(waits)]
    with write_session(desk.engine) as s:
        fast_insert(s, table_of(Case), rows)
    from casedesk.services.reports.scope import Scope, midnight

    scope = Scope(date(2026, 5, 4), date(2026, 5, 8), MADRID, midnight(date(2026, 5, 4), MADRID),
                  midnight(date(2026, 5, 9), MADRID), None, None, False, None)
    with read_session(desk.engine) as s:
        resolution = times.durations(s, scope)[1]
    ordered = sorted(waits)
    assert resolution.cases == len(waits)
    assert resolution.median_seconds == statistics.median(ordered)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1]
    assert resolution.p90_seconds is not None
    assert abs(resolution.p90_seconds - p90) < 1e-9
