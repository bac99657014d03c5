"""Inbox paging on a queue of a million cases: the first and the 500th keyset page.

    python bench/inbox.py [--cases 1000000] [--db sqlite|postgresql|both] [--page 50]

"Database time" is the query alone: on SQLite the compiled SQL run on the raw sqlite3
cursor; on PostgreSQL the server's own ``EXPLAIN (ANALYZE)`` execution time. "Service
time" is the whole ``reads.inbox`` call (session, query, read models).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from common import databases, fresh_desk  # type: ignore[import-not-found]
from sqlalchemy import text

from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.directory import queue_setup
from casedesk.services.queries import reads


def db_time_ms(desk: Desk, queue_id: int, after, limit: int) -> float:  # type: ignore[no-untyped-def]
    stmt = reads.inbox_statement(queue_id, after=after, limit=limit)
    with desk.engine.connect() as conn:
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        sql = str(compiled)
        if conn.dialect.name == "postgresql":
            plan = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            return float(plan[0]["Execution Time"])
        raw = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        started = time.perf_counter()
        raw.execute(sql).fetchall()
        return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", default="both")
    parser.add_argument("--page", type=int, default=50)
    args = parser.parse_args()
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-inbox.db")):
        started = time.perf_counter()
        desk = fresh_desk(url, cases=args.cases)
        print(f"{name}: generated {args.cases:,} cases in {time.perf_counter() - started:.0f} s")
        desk.engine.dispose()
        desk = Desk(make_engine(url))
        queue_id = _queue_id(desk)
        measure(name, desk, queue_id, args.page)


def _queue_id(desk: Desk) -> int:

    return queue_setup.get_queue(desk, "technical").id


def measure(name: str, desk: Desk, queue_id: int, limit: int) -> None:
    for _ in range(3):  # warm the cache
        reads.inbox(desk, "technical", limit=limit)
    first_service = []
    for _ in range(20):
        started = time.perf_counter()
        page = reads.inbox(desk, "technical", limit=limit)
        first_service.append((time.perf_counter() - started) * 1000)
    first_db = [db_time_ms(desk, queue_id, None, limit) for _ in range(20)]
    after = page.next_after
    walk = []
    for _ in range(498):
        started = time.perf_counter()
        page = reads.inbox(desk, "technical", after=after, limit=limit)
        walk.append((time.perf_counter() - started) * 1000)
        after = page.next_after
    p500_service = []
    for _ in range(20):
        started = time.perf_counter()
        reads.inbox(desk, "technical", after=after, limit=limit)
        p500_service.append((time.perf_counter() - started) * 1000)
    p500_db = [db_time_ms(desk, queue_id, after, limit) for _ in range(20)]
    med = statistics.median
    print(f"{name}: page 1: database {med(first_db):.2f} ms, service {med(first_service):.2f} ms")
    print(f"{name}: page 500: database {med(p500_db):.2f} ms, service {med(p500_service):.2f} ms")
    print(f"{name}: walking pages 2–499: median {med(walk):.2f} ms per page of {limit}")


if __name__ == "__main__":
    main()
