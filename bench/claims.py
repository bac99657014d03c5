"""Claims per second and claim latency with 8 worker processes doing ``next`` on one queue.

    python bench/claims.py [--cases 20000] [--workers 8] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import databases, fresh_desk, summary  # type: ignore[import-not-found]


def worker(url: str, login: str, queue: str) -> list[float]:
    from casedesk.db import make_engine
    from casedesk.errors import QueueEmpty
    from casedesk.services.context import Desk
    from casedesk.services.workflow import transitions

    engine = make_engine(url)
    desk = Desk(engine)
    actor = desk.actor(login)
    latencies: list[float] = []
    while True:
        started = time.perf_counter()
        try:
            transitions.next_case(desk, actor, queue)
        except QueueEmpty:
            break
        latencies.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--db", default="both")
    args = parser.parse_args()
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-claims.db")):
        run(name, url, args.cases, args.workers)


def run(name: str, url: str, cases: int, workers: int) -> None:
    from casedesk.services.directory import staff

    desk = fresh_desk(url, cases=cases)
    admin = desk.actor("admin")
    logins = [f"bench{i}" for i in range(workers)]
    for login in logins:
        staff.add_agent(desk, admin, login=login, name=login, queues=["technical"])
    desk.engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        results = list(pool.map(worker, [url] * workers, logins, ["technical"] * workers))
    elapsed = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    print(f"{name}: {len(latencies):,} claims by {workers} processes in {elapsed:.1f} s = "
          f"{len(latencies) / elapsed:,.0f} claims/s; latency {summary(latencies)}")


if __name__ == "__main__":
    main()
