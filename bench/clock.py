"""The clock on its own: one SLA clock tick over 1,000,000 open cases, few of them due.

Run from the repository root::

    python bench/clock.py                    # SQLite and PostgreSQL, 1,000,000 cases
    python bench/clock.py --cases 100000 --db sqlite

A tick is what every workstation and ``casedesk worker`` do each minute
(:meth:`casedesk.services.sla.lease.ClockRunner.step`): hold the lease, claim the tick with
its guarded UPDATE, run every step of the scan (each its own transaction), record the run.

The cases are inserted set-based by the database itself (a recursive CTE on SQLite,
``generate_series`` on PostgreSQL): open, waiting in the demo queues, with first-response,
resolution and inactivity deadlines spread over the ten days after T0 and their warning
times before them, so each minute of the clock finds almost nothing to do.

Measured, each on a frozen clock moved on one minute per tick:

* **tick, nothing due**: the steady state (best and median of 20);
* **tick, 10 due**: ten cases' resolution warning time put one second in the past before
  each tick (untimed), so each tick records ten warnings (median of 20);
* **raw baseline**: the very statements one nothing-due tick sent (captured from the
  engine, with their transaction boundaries) replayed on a bare driver connection: the
  same queries in plain driver SQL, without SQLAlchemy, the ORM or the runner (median of 20);
* the supervisor's reads: ``clock_status`` and ``flagged_cases`` (nothing flagged: the
  worst case, a walk down the primary key over the open cases).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text  # noqa: E402

from casedesk.clock import FrozenClock  # noqa: E402
from casedesk.db import make_engine, upgrade  # noqa: E402
from casedesk.services import demo  # noqa: E402
from casedesk.services.context import Desk  # noqa: E402
from casedesk.services.queries import board  # noqa: E402
from casedesk.services.sla.lease import ClockRunner  # noqa: E402

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
RUNS = 20

_SQLITE_FILL = """
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n)
INSERT INTO "case" (number, title, description, area, priority, severity, status, queue_id,
    sla_policy_id, created_at, updated_at, last_activity_at, due_at, first_response_due,
    first_response_warn, resolution_due, resolution_warn, inactivity_due, paused_seconds,
    sla_flags, version)
SELECT 100000 + i, 'Caso generado ' || i, '', 'technical', 'medium', 'minor',
    CASE WHEN i % 3 = 0 THEN 'in_progress' ELSE 'new' END,
    QUEUE, :policy,
    ts(-(i % 86400)), ts(-(i % 86400)), ts(-(i % 86400)),
    ts(86400 + i % 864000), ts(86400 + i % 864000), ts(72000 + i % 864000),
    ts(172800 + i % 864000), ts(158400 + i % 864000), ts(100000 + i % 864000), 0, 0, 1
FROM s
"""

_PG_FILL = """
INSERT INTO "case" (number, title, description, area, priority, severity, status, queue_id,
    sla_policy_id, created_at, updated_at, last_activity_at, due_at, first_response_due,
    first_response_warn, resolution_due, resolution_warn, inactivity_due, paused_seconds,
    sla_flags, version)
SELECT 100000 + i, 'Caso generado ' || i, '', 'technical', 'medium', 'minor',
    CASE WHEN i % 3 = 0 THEN 'in_progress' ELSE 'new' END,
    QUEUE, :policy,
    :t0 - make_interval(secs => i % 86400), :t0 - make_interval(secs => i % 86400),
    :t0 - make_interval(secs => i % 86400),
    :t0 + make_interval(secs => 86400 + i % 864000),
    :t0 + make_interval(secs => 86400 + i % 864000),
    :t0 + make_interval(secs => 72000 + i % 864000),
    :t0 + make_interval(secs => 172800 + i % 864000),
    :t0 + make_interval(secs => 158400 + i % 864000),
    :t0 + make_interval(secs => 100000 + i % 864000), 0, 0, 1
FROM generate_series(1, :n) AS i
"""


def _sqlite_fill() -> str:
    """The SQLite fill with ``ts(x)`` = T0 + x seconds, as the UTC column stores it."""
    base = T0.strftime("%Y-%m-%d %H:%M:%S")
    return re.sub(
        r"ts\(([^()]*(?:\([^()]*\))?[^()]*)\)",
        lambda m: f"(strftime('%Y-%m-%d %H:%M:%S', '{base}', ({m.group(1)}) || ' seconds')"
        " || '.000000')",
        _SQLITE_FILL,
    )


def build(url: str, n: int) -> Desk:
    """The demo's people, queues and policies, and ``n`` open cases inserted set-based."""
    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine, FrozenClock(T0))
    demo.seed(desk, cases=0)
    started = time.perf_counter()
    with engine.begin() as conn:
        queues = list(conn.execute(text("SELECT id FROM queue ORDER BY id")).scalars())
        queue = f"CASE i % {len(queues)} " + " ".join(
            f"WHEN {k} THEN {qid}" for k, qid in enumerate(queues)) + " END"
        policy = conn.execute(
            text("SELECT id FROM sla_policy WHERE name = 'standard'")
        ).scalar_one()
        params = {"n": n, "policy": policy}
        if engine.dialect.name == "sqlite":
            conn.execute(text(_sqlite_fill().replace("QUEUE", queue)), params)
        else:
            conn.execute(text(_PG_FILL.replace("QUEUE", queue)), params | {"t0": T0})
    print(f"  built {n:,} open cases in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return desk


def make_due(desk: Desk, count: int, rng: random.Random, n: int) -> None:
    """Put ``count`` random cases' resolution warning one second before the clock's now."""
    at = desk.now() - timedelta(seconds=1)
    value: Any = at.replace(tzinfo=None) if desk.engine.dialect.name == "sqlite" else at
    with desk.engine.begin() as conn:
        for number in rng.sample(range(100_001, 100_001 + n), count):
            conn.execute(
                text('UPDATE "case" SET resolution_warn = :at WHERE number = :number'),
                {"at": value, "number": number},
            )


class Capture:
    """The statements an engine sends (with COMMITs), to replay them on a bare connection."""

    def __init__(self, desk: Desk) -> None:
        self.engine = desk.engine
        self.log: list[tuple[str, Any]] = []
        self.on = False

    def __enter__(self) -> Capture:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        self.on = True
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def _statement(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                   context: Any, executemany: bool) -> None:
        self.log.append((statement, parameters))

    def _commit(self, conn: Any) -> None:
        self.log.append(("COMMIT", None))


def replay(desk: Desk, log: list[tuple[str, Any]]) -> float:
    """Run the captured statements on a driver connection; seconds taken."""
    raw = desk.engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, parameters in log:
            if statement == "COMMIT":
                raw.commit()
            elif parameters:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            else:
                cursor.execute(statement)
                if cursor.description is not None:
                    cursor.fetchall()
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def measure(desk: Desk, label: str, n: int) -> dict[str, float]:
    clock = desk.clock
    assert isinstance(clock, FrozenClock)
    runner = ClockRunner(desk, "bench", tick_seconds=60)
    rng = random.Random(7)
    clock.advance(timedelta(minutes=1))
    first = runner.step()  # warms caches; nothing is due yet
    assert first is not None

    idle: list[float] = []
    log: list[tuple[str, Any]] = []
    for i in range(RUNS):
        clock.advance(timedelta(minutes=1))
        if i == RUNS - 1:
            with Capture(desk) as capture:
                idle.append(timed(runner.step))
            log = capture.log
        else:
            idle.append(timed(runner.step))
    busy: list[float] = []
    recorded = 0
    for _ in range(RUNS):
        clock.advance(timedelta(minutes=1))
        make_due(desk, 10, rng, n)
        started = time.perf_counter()
        run = runner.step()
        busy.append(time.perf_counter() - started)
        assert run is not None
        recorded += run.report.total
    raw = [replay(desk, log) for _ in range(RUNS)]
    status = [timed(lambda: board.clock_status(desk, tick_seconds=60)) for _ in range(5)]
    flagged = [timed(lambda: board.flagged_cases(desk)) for _ in range(3)]
    runner.close()

    statements = sum(1 for s, _ in log if s != "COMMIT")
    commits = len(log) - statements
    ms = 1e3
    figures = {
        "idle_best": min(idle) * ms,
        "idle_p50": statistics.median(idle) * ms,
        "busy_p50": statistics.median(busy) * ms,
        "raw_p50": statistics.median(raw) * ms,
        "status_p50": statistics.median(status) * ms,
        "flagged_p50": statistics.median(flagged) * ms,
    }
    print(f"  {label}: {n:,} open cases")
    print(f"    tick, nothing due: best {figures['idle_best']:.1f} ms · "
          f"p50 {figures['idle_p50']:.1f} ms ({statements} statements, {commits} commits)")
    print(f"    tick, 10 due:      p50 {figures['busy_p50']:.1f} ms "
          f"({recorded} recorded over {RUNS} ticks)")
    print(f"    raw baseline:      p50 {figures['raw_p50']:.1f} ms · ratio "
          f"{figures['idle_p50'] / figures['raw_p50']:.2f}×")
    print(f"    supervisor reads:  clock_status {figures['status_p50']:.2f} ms · "
          f"flagged_cases (none flagged) {figures['flagged_p50']:.1f} ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/casedesk-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"the SLA clock: one tick over {args.cases:,} open cases")
    if args.db in ("sqlite", "both"):
        path = args.workdir / f"clock-{args.cases}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        desk = build(f"sqlite:///{path}", args.cases)
        measure(desk, "SQLite", args.cases)
        desk.engine.dispose()
    if args.db in ("postgresql", "both"):
        from tests.pgserver import start_postgres

        server = start_postgres()
        try:
            url = server.create_database("bench_clock")
            desk = build(url, args.cases)
            measure(desk, "PostgreSQL", args.cases)
            desk.engine.dispose()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
