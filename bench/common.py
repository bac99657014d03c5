"""Shared set-up for the benchmarks: databases on SQLite files and a throw-away PostgreSQL."""

from __future__ import annotations

import os
import random
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from casedesk.db import make_engine, upgrade  # noqa: E402
from casedesk.services import demo  # noqa: E402
from casedesk.services.context import Desk  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values_ms: list[float]) -> str:
    return (f"p50 {statistics.median(values_ms):.2f} ms · p95 {percentile(values_ms, 95):.2f} ms"
            f" · p99 {percentile(values_ms, 99):.2f} ms · n={len(values_ms)}")


def databases(which: str, sqlite_path: Path,
              max_connections: int | None = None) -> Iterator[tuple[str, str]]:
    """Yield (name, url) for SQLite and/or a fresh PostgreSQL server (stopped afterwards),
    started with ``max_connections`` when given (the test server's default is 200)."""
    if which in ("sqlite", "both"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        yield "sqlite", f"sqlite:///{sqlite_path}"
    if which in ("postgresql", "both"):
        from tests.pgserver import MAX_CONNECTIONS_ENV, start_postgres

        if max_connections is not None:
            os.environ[MAX_CONNECTIONS_ENV] = str(int(max_connections))
        server = start_postgres()
        try:
            yield "postgresql", server.url
        finally:
            server.stop()


def fresh_desk(url: str, *, cases: int, queue: str = "technical", seed: int = 1) -> Desk:
    """A migrated database with the demo people and ``cases`` waiting in ``queue``."""
    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine)
    demo.seed(desk, cases=0)
    demo.generate_cases(desk, cases, queue=queue, rng=random.Random(seed), owned_share=0)
    return desk
