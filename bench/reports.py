"""Every report over a million cases and three million interactions, on SQLite and
PostgreSQL, each next to the same aggregate written as one plain SQL query run through
the driver (the baseline), with the ratio, in the same run.

    python bench/reports.py                         # 1M cases, 3M interactions, both
    python bench/reports.py --cases 100000 --interactions 300000 --db sqlite

The data (bounded by the flags) spreads over ``--days`` days before the clock: 70 % of the
cases closed, 10 % resolved, 20 % open; 90 % with a first response; SLA bits as the clocks
record them; interactions on random cases and agents; half a time entry per case. Rows
go in through ``casedesk.bulk.fast_insert`` (executemany on SQLite, COPY on PostgreSQL),
then ``ANALYZE``. Each report runs over the whole period (all the cases) in the
Europe/Madrid calendar; times are the best of three runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import databases  # type: ignore[import-not-found]  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from casedesk.bulk import fast_insert  # noqa: E402
from casedesk.clock import FrozenClock  # noqa: E402
from casedesk.db import make_engine, read_session, upgrade, write_session  # noqa: E402
from casedesk.models import Agent, Case, Interaction, Queue, SlaPolicy, TimeEntry  # noqa: E402
from casedesk.models.base import table_of  # noqa: E402
from casedesk.services import demo, reports  # noqa: E402
from casedesk.services.context import Desk  # noqa: E402
from casedesk.services.reports.views import ReportFilter  # noqa: E402
from casedesk.services.sla.clocks import FAR_FUTURE, Flag  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ZONE = "Europe/Madrid"
BATCH = 50_000
CHANNELS = ("phone", "phone", "phone", "email", "email", "chat", "web", "visit")
TYPES = ("query", "complaint", "request", "incident", "claim", "other")
AREAS = ("technical", "billing", "commercial", "general")
RESOLUTIONS = ("solved", "workaround", "duplicate", "no_fault", None)


def build(desk: Desk, cases: int, interactions: int, days: int, seed: int = 14) -> None:
    rng = random.Random(seed)
    demo.seed(desk, cases=0)
    with read_session(desk.engine) as s:
        queues = list(s.execute(select(Queue.id)).scalars())
        agents = list(s.execute(select(Agent.id)).scalars())
        policies = list(s.execute(select(SlaPolicy.id)).scalars())
        first = int(s.execute(select(func.coalesce(func.max(Case.id), 0))).scalar_one()) + 1
    span = days * 86400
    origin = NOW - timedelta(days=days)
    fr_met, fr_br = int(Flag.FIRST_RESPONSE_MET), int(Flag.FIRST_RESPONSE_BREACHED)
    res_met, res_br = int(Flag.RESOLUTION_MET), int(Flag.RESOLUTION_BREACHED)
    started = time.perf_counter()
    for base in range(0, cases, BATCH):
        rows = []
        entries = []
        for n in range(base, min(cases, base + BATCH)):
            cid = first + n
            created = origin + timedelta(seconds=rng.randrange(span))
            roll = rng.random()
            status = "closed" if roll < 0.7 else "resolved" if roll < 0.8 else rng.choice(
                ("new", "in_progress", "awaiting_customer"))
            resolved = (created + timedelta(seconds=rng.randrange(5 * 86400))
                        if status in ("closed", "resolved") else None)
            closed = resolved + timedelta(days=1) if status == "closed" and resolved else None
            fr = created + timedelta(seconds=rng.randrange(7200)) if rng.random() < 0.9 else None
            flags = (fr_met if fr and rng.random() < 0.85 else fr_br) | (
                (res_met if rng.random() < 0.8 else res_br) if resolved else 0)
            owner = rng.choice(agents) if status != "new" else None
            rows.append({
                "id": cid, "number": cid, "title": f"Bench case {cid}", "description": "",
                "area": rng.choice(AREAS), "priority": "medium", "severity": "minor",
                "status": status, "queue_id": rng.choice(queues), "owner_id": owner,
                "created_at": created, "updated_at": created,
                "due_at": created + timedelta(hours=8) if status != "closed" else FAR_FUTURE,
                "first_response_at": fr, "first_response_due": created + timedelta(hours=2),
                "resolution_due": created + timedelta(days=2), "resolved_at": resolved,
                "closed_at": closed, "sla_policy_id": rng.choice(policies), "sla_flags": flags,
                "paused_seconds": 0, "version": 1,
                "resolution_type": rng.choice(RESOLUTIONS) if resolved else None,
                "satisfaction": rng.randint(1, 5) if resolved and rng.random() < 0.3 else None,
            })
            if rng.random() < 0.5 and owner is not None:
                entries.append({"case_id": cid, "agent_id": owner,
                                "minutes": rng.randint(1, 60),
                                "at": created + timedelta(minutes=rng.randint(1, 600)),
                                "kind": "work"})
        with write_session(desk.engine) as s:
            fast_insert(s, table_of(Case), rows)
            fast_insert(s, table_of(TimeEntry), entries)
    last = first + cases - 1
    for base in range(0, interactions, BATCH):
        rows = []
        for _n in range(base, min(interactions, base + BATCH)):
            channel = rng.choice(CHANNELS)
            rows.append({
                "channel": channel, "direction": "inbound", "typification": rng.choice(TYPES),
                "agent_id": rng.choice(agents),
                "case_id": rng.randint(first, last) if cases else None,
                "started_at": origin + timedelta(seconds=rng.randrange(span)),
                "duration_seconds": rng.randint(30, 1200) if channel == "phone" else 0,
                "wrap_seconds": rng.randint(0, 300) if channel == "phone" else 0,
                "subject": "", "notes": "",
            })
        with write_session(desk.engine) as s:
            fast_insert(s, table_of(Interaction), rows)
    with desk.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "ANALYZE" if desk.engine.dialect.name == "sqlite" else "VACUUM ANALYZE")
    print(f"  built {cases:,} cases, {interactions:,} interactions in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


# --- the baselines: each report's aggregate as one plain SQL query ------------------------

SINCE_SQL = {"sqlite": "?", "postgresql": "%s"}


def baselines(dialect: str) -> dict[str, str]:
    """One plain query per report (bounds as parameters ``since``, ``until``, ``now``)."""
    p = SINCE_SQL[dialect]
    if dialect == "sqlite":
        day = "date(datetime({c}, '+1 hour'))"  # a fixed offset: the cheapest grouping
        secs = "(strftime('%s', {a}) - strftime('%s', {b}))"
    else:
        day = "(({c}) AT TIME ZONE 'Europe/Madrid')::date"
        secs = "extract(epoch from {a} - {b})"
    period = f"{{c}} >= {p} AND {{c}} < {p}"
    counts = ("sum((sla_flags & {b}) <> 0)" if dialect == "sqlite"
              else "count(*) FILTER (WHERE (sla_flags & {b}) <> 0)")
    bits = ", ".join(counts.format(b=b) for b in (256, 2, 512, 32, 8))
    ct = period.format(c="created_at")
    rt = period.format(c="resolved_at")
    if dialect == "sqlite":
        resolution = secs.format(a="resolved_at", b="created_at")
        pct = (f"SELECT count(*), avg(s) FROM (SELECT {resolution} AS s FROM \"case\" "
               f"WHERE {rt} ORDER BY s)")
    else:
        pct = (f"SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
               f"percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM (SELECT "
               f"{secs.format(a='resolved_at', b='created_at')} AS s FROM \"case\" WHERE {rt}) t")
    return {
        "volume": (f"SELECT {day.format(c='created_at')}, count(*) FROM \"case\" WHERE {ct} "
                   "GROUP BY 1"),
        "backlog": ("SELECT queue_id, count(*) FROM \"case\" WHERE status IN ('new', "
                    "'in_progress', 'awaiting_customer') GROUP BY queue_id"),
        "sla": (f"SELECT sla_policy_id, {bits} FROM \"case\" WHERE {ct} "
                "GROUP BY sla_policy_id"),
        "times": pct,
        "agents": (f"SELECT agent_id, count(*), sum(duration_seconds + wrap_seconds) FROM "
                   f"interaction WHERE {period.format(c='started_at')} GROUP BY agent_id"),
        "calls": (f"SELECT channel, typification, count(*), avg(duration_seconds), "
                  f"avg(wrap_seconds) FROM interaction WHERE {period.format(c='started_at')} "
                  "GROUP BY channel, typification"),
        "resolutions": f"SELECT resolution_type, count(*) FROM \"case\" WHERE {rt} GROUP BY 1",
        "causes": f"SELECT area, count(*) FROM \"case\" WHERE {ct} GROUP BY area",
        "entitlements": ("SELECT c.number, l.name, l.total, l.used FROM contract_line l JOIN "
                         "contract c ON c.id = l.contract_id"),
        "satisfaction": (f"SELECT queue_id, count(*), avg(satisfaction) FROM \"case\" WHERE "
                         f"{rt} AND satisfaction IS NOT NULL GROUP BY queue_id"),
        "now": (f"SELECT queue_id, count(*) FROM \"case\" WHERE owner_id IS NULL AND status IN "
                f"('new', 'in_progress', 'awaiting_customer', 'resolved') AND due_at > {p} "
                f"AND due_at <= {p} GROUP BY queue_id"),
    }


def _params(name: str, since: datetime, until: datetime, dialect: str) -> tuple[Any, ...]:
    if name in ("backlog", "entitlements"):
        return ()
    pair = (NOW, NOW + timedelta(hours=1)) if name == "now" else (since, until)
    if dialect == "sqlite":
        return tuple(v.astimezone(UTC).replace(tzinfo=None).isoformat(" ") for v in pair)
    return pair


def best_of(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def measure(name: str, desk: Desk, days: int) -> None:
    dialect = desk.engine.dialect.name
    end = NOW.date()
    start = end - timedelta(days=days)
    flt = ReportFilter(start, end, ZONE)
    actor = desk.actor("admin")
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC) - timedelta(hours=2)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    sqls = baselines(dialect)
    raw = desk.engine.raw_connection()
    try:
        for report in reports.report_names():
            service = best_of(partial(reports.run, desk, actor, report, flt))
            sql = sqls[report]
            args = _params(report, since, until, dialect)

            def plain(sql: str = sql, args: tuple[Any, ...] = args) -> None:
                cur = raw.cursor()
                cur.execute(sql, args)
                cur.fetchall()
                cur.close()

            base = best_of(plain)
            flag = "" if service < 2000 else "  OVER 2 s"
            print(f"  {name:10} {report:13} service {service:8.1f} ms   plain SQL {base:8.1f} ms"
                  f"   ratio {service / max(base, 0.01):6.2f}{flag}", flush=True)
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=3_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", default="both")
    parser.add_argument("--sqlite-path", default="/tmp/casedesk-bench-reports.db")
    parser.add_argument("--reuse", action="store_true", help="SQLite: measure the database "
                        "a previous run left at --sqlite-path instead of building it again")
    args = parser.parse_args()
    if args.reuse and args.db == "sqlite":
        runs = iter([("sqlite", f"sqlite:///{args.sqlite_path}")])
    else:
        runs = databases(args.db, Path(args.sqlite_path))
    for name, url in runs:
        engine = make_engine(url)
        upgrade(engine)
        desk = Desk(engine, FrozenClock(NOW))
        print(f"{name}:", flush=True)
        if not args.reuse or name != "sqlite":
            build(desk, args.cases, args.interactions, args.days)
        with read_session(engine) as s:
            total = s.execute(text('SELECT count(*) FROM "case"')).scalar_one()
        print(f"  {total:,} cases in the database; each report over {args.days + 1} days",
              flush=True)
        measure(name, desk, args.days)
        engine.dispose()


if __name__ == "__main__":
    main()
