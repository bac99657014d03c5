"""Claims per second and claim latency with 8 worker processes doing ``next`` on one queue.

    python bench/claims.py [--cases 20000] [--workers 8] [--db sqlite|postgresql|both]
                           [--raw] [--seconds S]

``--raw``: after casedesk, the same number of processes claim with the statements written
directly on the driver (SQLite: ``BEGIN IMMEDIATE``, the claiming ``UPDATE … RETURNING``,
the event ``INSERT``, ``COMMIT`` on a ``sqlite3`` connection with the same busy timeout;
PostgreSQL: the one-statement claim of ``bench/floor.py``), on a fresh copy of the queue
— the database's own limit. ``--seconds``: stop each phase after S seconds instead of when
the queue is empty. ``CASEDESK_SQLITE_BUSY`` (``sqlite`` or ``spin``) picks the SQLite
busy wait under test (see :mod:`casedesk.db`); ``CLAIMS_PAUSE_MS`` makes each casedesk
worker pause between claims; ``CLAIMS_BREAKDOWN=1`` prints where a SQLite claim's time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from common import (  # type: ignore[import-not-found]
    databases,
    fresh_desk,
    percentile,
    summary,
)

#: ``CLAIMS_PAUSE_MS``: each casedesk worker waits this long between its claims (an agent
#: reads the case it took before the next; 0: back to back, 8 CPU-bound processes on the
#: machine's cores)
PAUSE_MS = float(os.environ.get("CLAIMS_PAUSE_MS", "0") or 0)


def worker(url: str, login: str, queue: str, until: float = float("inf")) -> list[float]:
    from casedesk.db import make_engine
    from casedesk.errors import QueueEmpty
    from casedesk.services.context import Desk
    from casedesk.services.workflow import transitions

    engine = make_engine(url)
    desk = Desk(engine)
    actor = desk.actor(login)
    latencies: list[float] = []
    parts = _breakdown(engine) if os.environ.get("CLAIMS_BREAKDOWN") else None
    if os.environ.get("CLAIMS_PAUSE_MAX"):  # try another longest pause (seconds)
        from casedesk import db

        db.BUSY_PAUSE_MAX = float(os.environ["CLAIMS_PAUSE_MAX"])
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            transitions.next_case(desk, actor, queue)
        except QueueEmpty:
            break
        latencies.append((time.perf_counter() - started) * 1000)
        if PAUSE_MS:
            time.sleep(PAUSE_MS / 1000)
    engine.dispose()
    if parts is not None:
        print(f"{login}: " + " · ".join(f"{k} p50 {statistics.median(v):.2f} ms, p99 "
                                         f"{percentile(v, 99):.2f} ms" for k, v in parts.items()
                                         if v), flush=True)
    return latencies


def _breakdown(engine: Any) -> dict[str, list[float]]:
    """SQLite (``CLAIMS_BREAKDOWN=1``): where a claim's time goes — waiting for the write
    lock, holding it (from BEGIN IMMEDIATE taken to the COMMIT's start), and the
    ``case_detail`` read the claim makes after it commits (before stop 24: inside the
    lock)."""
    from sqlalchemy import event

    from casedesk import db
    from casedesk.services.workflow import fastpath

    parts: dict[str, list[float]] = {"lock wait": [], "lock held": [], "detail after commit": []}
    taken: list[float] = [0.0]
    begin, detail = db.begin_immediate, fastpath.case_detail

    def timed_begin(conn: Any, *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        begin(conn, *args, **kwargs)
        taken[0] = time.perf_counter()
        parts["lock wait"].append((taken[0] - started) * 1000)

    def timed_detail(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return detail(*args, **kwargs)
        finally:
            parts["detail after commit"].append((time.perf_counter() - started) * 1000)

    @event.listens_for(engine, "commit")
    def _committed(_conn: Any) -> None:
        if taken[0]:
            parts["lock held"].append((time.perf_counter() - taken[0]) * 1000)
            taken[0] = 0.0

    db.begin_immediate = timed_begin  # type: ignore[assignment]
    fastpath.case_detail = timed_detail  # type: ignore[assignment]
    return parts


def raw_worker(url: str, agent_id: int, queue_id: int, until: float) -> list[float]:
    """The claim on the driver itself: one transaction per claim, nothing checked."""
    latencies: list[float] = []
    if url.startswith("sqlite"):
        import sqlite3

        from casedesk.db import SQLITE_BUSY_TIMEOUT_MS, begin_immediate, sqlite_busy_wait

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None,
                               timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA synchronous=NORMAL")
        spin = sqlite_busy_wait() == "spin"
        while time.monotonic() < until:
            started = time.perf_counter()
            if spin:
                begin_immediate(conn)
            else:
                conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "UPDATE \"case\" SET owner_id = ?, version = version + 1 WHERE id = "
                "(SELECT id FROM \"case\" WHERE queue_id = ? AND owner_id IS NULL AND "
                "status IN ('new','in_progress','awaiting_customer','resolved') "
                "ORDER BY due_at, id LIMIT 1) RETURNING id", (agent_id, queue_id)).fetchone()
            if row is not None:
                conn.execute(
                    "INSERT INTO case_event (case_id, at, actor_id, kind, to_owner_id) VALUES "
                    "(?, strftime('%Y-%m-%d %H:%M:%f', 'now'), ?, 'next', ?)",
                    (row[0], agent_id, agent_id))
            conn.execute("COMMIT")
            if row is None:
                break
            latencies.append((time.perf_counter() - started) * 1000)
        conn.close()
        return latencies
    import psycopg
    from floor import _PG_CLAIM  # type: ignore[import-not-found]

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as pg:
        while time.monotonic() < until:
            started = time.perf_counter()
            if not pg.execute(_PG_CLAIM, {"me": agent_id, "q": queue_id}).fetchall():
                break
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--db", default="both")
    parser.add_argument("--raw", action="store_true", help="also the raw baseline")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-claims.db")):
        run(name, url, args.cases, args.workers, args.seconds)
        if args.raw:
            run(name, url, args.cases, args.workers, args.seconds, raw=True)


def run(name: str, url: str, cases: int, workers: int, seconds: float | None = None,
        raw: bool = False) -> None:
    from sqlalchemy import text

    from casedesk.services.directory import staff

    if url.startswith("sqlite"):  # a fresh queue for each phase
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    elif raw:
        with desk_engine(url) as engine, engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    desk = fresh_desk(url, cases=cases)
    admin = desk.actor("admin")
    logins = [f"bench{i}" for i in range(workers)]
    for login in logins:
        staff.add_agent(desk, admin, login=login, name=login, queues=["technical"],
                        capacity=10_000)  # the most a bin takes: claims, not a full bin
    with desk.engine.connect() as conn:
        ids = [conn.execute(text("SELECT id FROM agent WHERE login = :l"), {"l": login})
               .scalar_one() for login in logins]
        queue_id = conn.execute(text("SELECT id FROM queue WHERE name = 'technical'")).scalar_one()
    desk.engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(time.sleep, [0.2] * workers))  # every process spawned first
        started = time.perf_counter()
        until = time.monotonic() + seconds if seconds else float("inf")
        if raw:
            results = list(pool.map(raw_worker, [url] * workers, ids, [queue_id] * workers,
                                    [until] * workers))
        else:
            results = list(pool.map(worker, [url] * workers, logins, ["technical"] * workers,
                                    [until] * workers))
    elapsed = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    from casedesk.db import sqlite_busy_wait

    kind = ("raw" if raw else "casedesk") + (f" (busy wait: {sqlite_busy_wait()})"
                                             if name == "sqlite" else "")
    print(f"{name} {kind}: {len(latencies):,} claims by {workers} processes in {elapsed:.1f} s"
          f" = {len(latencies) / elapsed:,.0f} claims/s; latency {summary(latencies)}; "
          f"load average {os.getloadavg()[0]:.1f}")


@contextlib.contextmanager
def desk_engine(url: str) -> Iterator[Any]:
    from casedesk.db import make_engine

    engine = make_engine(url, pool=False)
    try:
        yield engine
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
