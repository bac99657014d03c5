"""Micro-benchmark for casedesk.services.sla.calendar.BusinessCalendar.

Run: ``python bench/sla_calendar.py`` (from the repository root). Plain perf_counter timing.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casedesk.services.sla.calendar import BusinessCalendar  # noqa: E402

N_CALLS = 50_000
N_YEAR = 1_000


def main() -> None:
    rng = random.Random(20260101)
    shifts = [("09:00", "14:00"), ("15:00", "18:00")]
    cal = BusinessCalendar("Europe/Madrid", {d: shifts for d in range(5)}, country="ES")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    span = 2 * 365 * 86_400

    starts = [base + timedelta(seconds=rng.randrange(span)) for _ in range(N_CALLS)]
    durations = [timedelta(seconds=rng.randrange(3_600, 40 * 3_600)) for _ in range(N_CALLS)]
    ends = [s + timedelta(seconds=rng.randrange(30 * 86_400)) for s in starts]

    t0 = time.perf_counter()
    cal.add(base, timedelta(days=3 * 365))  # warm caches for the whole range once
    warm = time.perf_counter() - t0

    t0 = time.perf_counter()
    for s, d in zip(starts, durations, strict=True):
        cal.add(s, d)
    add_rate = N_CALLS / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for s, e in zip(starts, ends, strict=True):
        cal.elapsed(s, e)
    elapsed_rate = N_CALLS / (time.perf_counter() - t0)

    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    one_year = cal.elapsed(start, start.replace(year=2027))  # a calendar year of business time
    t0 = time.perf_counter()
    for _ in range(N_YEAR):
        cal.add(start, one_year)
    year_us = (time.perf_counter() - t0) / N_YEAR * 1e6

    cold = BusinessCalendar("Europe/Madrid", {d: shifts for d in range(5)}, country="ES")
    t0 = time.perf_counter()
    cold.add(start, one_year)
    cold_ms = (time.perf_counter() - t0) * 1e3

    print("calendar: Europe/Madrid, Mon-Fri 09-14 + 15-18, ES public holidays")
    print(f"cache warm-up (3 years of days):        {warm * 1e3:10.1f} ms")
    print(f"add()     1-40 h durations:             {add_rate:10,.0f} calls/s")
    print(f"elapsed() spans up to 30 days:          {elapsed_rate:10,.0f} calls/s")
    hours = one_year / timedelta(hours=1)
    print(f"add() of 1 year ({hours:.0f} business h), warm: {year_us:7.1f} µs (mean of {N_YEAR})")
    print(f"add() of 1 year on a cold calendar:     {cold_ms:10.1f} ms")


if __name__ == "__main__":
    main()
