"""A floor of agents on one database (issue 17): the real mix through the service layer,
beside a raw baseline of equivalent statements written directly with the driver.

    python bench/floor.py [--db postgresql|sqlite|both] [--agents 8,32,64,200]
                          [--seconds 20] [--processes 8] [--cases 12000]
    python bench/floor.py --db postgresql --agents 8 --seconds 30 --restart-after 10
    python bench/floor.py --db postgresql --agents 64,200 --think 1000 --max-connections 400

Each agent repeats: log a call (a timed interaction), open a case (every other loop, into
the agent's own bin) or take the next one from the queue, add a note and a task, search
the knowledge base, resolve. One supervisor assigns and yanks; the SLA scan ticks every
second. Agents are threads spread over ``--processes`` spawned processes (200 processes
would not fit 2 cores; each thread has its own Desk on its process's pooled engine).

The raw baseline runs the same loop with hand-written SQL on one driver connection per
agent (psycopg 3 / sqlite3): one INSERT for the call, INSERT case + event for a new case,
the claim of ``fastpath`` for next, UPDATE + INSERT event for the note, INSERT task +
event for the task, a ``LIKE`` over article titles for the search, UPDATE + event for the
resolution. It checks nothing casedesk checks (membership, capacity, versions, SLA), so
it is the database's own limit for that work.

``--think MS``: each agent (and each raw agent) pauses a random time, exponential with
that mean, after every operation — a person reading the screen and talking — so N agents
offer a load instead of saturating the cores; without it the operations run back to back
(the throughput and CPU figures). ``--max-connections``: the bench server's limit.
``--as-agents``: every agent connects as its own login role (row security on, as on a
floor; the raw baseline too), instead of the superuser row security does not filter.

Prints per operation p50/p99 (ms), operations/s, errors, double claims (an audit of the
events: a case claimed while the trail says somebody holds it), the server's CPU per
operation (PostgreSQL: every postgres process's utime+stime from /proc), the client CPU
per operation, and the load average.

``--restart-after SECONDS`` (PostgreSQL, issue 17 point 4): the bench starts a server of its
own and restarts it once (``pg_ctl stop -m fast``, down ``--down-for`` seconds, ``start`` on
the same port and data directory) that many seconds into the measured casedesk phase.
It reports the seconds without service (the longest time no agent's operation succeeded,
floor-wide, and per agent), the errors by kind, and an audit of every operation attempted
against the trail: each one reported done must be in the database exactly once, each one
reported failed either not there or there once (its commit reached the server but the
answer did not — said separately), none twice; and 0 double claims.
"""

# ruff: noqa: B023 - the timed lambdas run at once, inside the loop iteration that made them

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from common import ROOT, databases, percentile  # type: ignore[import-not-found]

#: the measured seconds (set by each process from its arguments)
SECONDS = [20.0]
#: an agent's mean pause between two operations, seconds (0: back to back; see --think)
THINK = [0.0]
#: PostgreSQL: each agent (casedesk and raw) connects as its own login role (--as-agents)
AS_AGENTS = [False]
#: the server options --statements adds (pg_stat_statements, planning time included)
STATEMENT_OPTIONS = ("-c shared_preload_libraries=pg_stat_statements "
                     "-c pg_stat_statements.track_planning=on -c pg_stat_statements.max=2000")


def agent_url(url: str, login: str) -> str:
    """The URL an agent connects with: its own login role under ``--as-agents`` (row
    security applies, as on a real floor), else the bench's superuser (it does not)."""
    if not AS_AGENTS[0] or not url.startswith("postgresql"):
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=login).render_as_string(hide_password=False)
OPS = ("call", "create", "next", "note", "task", "search", "resolve")
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: seconds every process gets to start, import and run its untimed loops before the clock
WARMUP = 10.0
#: untimed loops per agent before the clock (as many as fit in WARMUP): psycopg prepares a
#: statement at its 5th execution and the server plans a prepared one 5 times before it
#: settles on a generic plan, so a create or a next (every other loop) needs ~11 runs —
#: a floor that has worked for a minute; one untimed loop left ~15 % of the measured
#: statements planned afresh (pg_stat_statements' plans per call)
WARM_LOOPS = 24


def _run_threads(threads: list[threading.Thread], until: float, seconds: float,
                 out: dict[str, Any]) -> dict[str, Any]:
    """Start ``threads``, measure this process's CPU from the start of the measured
    ``seconds`` (they end at ``until``), and return their results with it."""
    for t in threads:
        t.start()
    time.sleep(max(0.0, until - seconds - time.monotonic()))
    started = time.process_time()
    for t in threads:
        t.join()
    return {"results": out, "cpu": time.process_time() - started}


def think(rng: random.Random) -> None:
    """The agent's pause before its next operation: exponential with mean ``THINK``
    (a person reading the screen and talking to the customer), none when 0."""
    if THINK[0] > 0:
        time.sleep(rng.expovariate(1 / THINK[0]))


# --- casedesk ------------------------------------------------------------------------


def _agent_loop(url: str, login: str, until: float, seed: int, out: dict[str, Any]) -> None:
    from casedesk import heap
    from casedesk.db import make_engine
    from casedesk.errors import CaseDeskError, QueueEmpty
    from casedesk.services.context import Desk
    from casedesk.services.knowledge import library
    from casedesk.services.workflow import cases, interactions, tasks, transitions

    engine = make_engine(agent_url(url, login))
    desk = Desk(engine)
    actor = desk.actor(login)
    rng = random.Random(seed)
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    #: refusals with their reason (a case the supervisor yanked or assigned meanwhile)
    refused: list[str] = []
    #: every measured operation: [op, its key in the trail (see audit), outcome, end time]
    trail: list[list[Any]] = []
    loop = 0
    start = until - SECONDS[0]
    warm = True

    def timed(op: str, call: Any, key: Any = None) -> Any:
        started = time.perf_counter()
        entry: list[Any] = [op, key, "failed", 0.0]
        try:
            result = call()
            entry[1:3] = [result.number if op == "next" else key, "ok"]
            return result
        except QueueEmpty:
            entry[2] = "empty"
            raise
        finally:
            if not warm:
                if entry[2] == "ok":  # a refusal's time is not the operation's
                    times[op].append((time.perf_counter() - started) * 1000)
                entry[3] = time.monotonic()
                trail.append(entry)
            think(rng)

    while time.monotonic() < until:
        if loop == 1:
            heap.settle()  # as a workstation does once it has started
        if warm and (loop >= WARM_LOOPS or time.monotonic() >= start):
            warm = False  # (an error while warming up is an error all the same: kept)
            refused.clear()
            time.sleep(max(0.0, start - time.monotonic()))
        loop += 1
        tag = f"{login} {loop}"  # makes each operation's row findable in the trail
        try:
            timed("call", lambda: interactions.log_interaction(
                desk, actor, channel="phone", subject=f"bench call {tag}", duration_seconds=90,
                notes="called about the router"), f"bench call {tag}")
            if loop % 2:
                case = timed("create", lambda: cases.create_case(
                    desk, actor, title=f"bench {tag}", description="no signal"), f"bench {tag}")
            else:
                try:
                    case = timed("next", lambda: transitions.next_case(desk, actor, "technical"))
                except QueueEmpty:
                    continue
            number = case.number
            timed("note", lambda: cases.add_note(
                desk, actor, number, f"rebooted the router {tag}"), f"rebooted the router {tag}")
            timed("task", lambda: tasks.add_task(
                desk, actor, title=f"call back {tag}", case=number), f"call back {tag}")
            timed("search", lambda: library.search(desk, rng.choice(
                ["router", "factura", "fibra", "contraseña"]), statuses=None, limit=10))
            timed("resolve", lambda: transitions.resolve(
                desk, actor, number, "solved", "rebooted"), number)
        except CaseDeskError as exc:  # the supervisor moved the case in between: refused
            refused.append(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bench reports, it does not stop
            errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.25)  # the database is away: a person tries again a moment later
    engine.dispose()
    empty = sum(1 for entry in trail if entry[2] == "empty")
    out[login] = {"times": dict(times), "errors": errors, "trail": trail, "empty": empty,
                  "refused": refused}


def _supervisor_loop(url: str, until: float, logins: list[str], out: dict[str, Any]) -> None:
    from casedesk.db import make_engine
    from casedesk.errors import CaseDeskError
    from casedesk.services.context import Desk
    from casedesk.services.queries import reads
    from casedesk.services.workflow import transitions

    engine = make_engine(url)
    desk = Desk(engine)
    sup = desk.actor("admin")
    rng = random.Random(3)
    times: dict[str, list[float]] = defaultdict(list)
    expected: list[str] = []
    errors: list[str] = []
    while time.monotonic() < until:
        time.sleep(0.2)
        try:
            page = reads.inbox(desk, "technical", limit=5)
            if not page.rows:
                continue
            number = page.rows[0].number
            started = time.perf_counter()
            transitions.assign(desk, sup, number, rng.choice(logins), override_capacity=True)
            times["assign"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            transitions.yank(desk, sup, number)
            times["yank"].append((time.perf_counter() - started) * 1000)
        except CaseDeskError as exc:  # the agent resolved it first: a refusal, expected
            expected.append(type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a bench reports, it does not stop
            errors.append(f"supervisor {type(exc).__name__}: {exc}")
    engine.dispose()
    out["supervisor"] = {"times": dict(times), "errors": errors, "refused": expected}


def _clock_loop(url: str, until: float, out: dict[str, Any]) -> None:
    from casedesk.db import make_engine
    from casedesk.services.context import Desk
    from casedesk.services.sla import scanner

    engine = make_engine(url)
    desk = Desk(engine)
    times: list[float] = []
    errors: list[str] = []
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            scanner.scan(desk)
        except Exception as exc:  # noqa: BLE001 - the server restarting: counted, go on
            errors.append(f"clock {type(exc).__name__}: {exc}")
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    engine.dispose()
    out["clock"] = {"times": {"sla_scan": times}, "errors": errors}


def casedesk_process(
    url: str, logins: list[str], until: float, seconds: float, extra: str, pause: float = 0.0,
    as_agents: bool = False,
) -> dict[str, Any]:
    """One process: its agents as threads (and the supervisor or the clock)."""
    SECONDS[0], THINK[0], AS_AGENTS[0] = seconds, pause, as_agents
    os.environ.setdefault("CASEDESK_POOL_SIZE", str(max(5, len(logins) + 2)))
    out: dict[str, Any] = {}
    threads = [threading.Thread(target=_agent_loop, args=(url, login, until, i, out))
               for i, login in enumerate(logins)]
    if extra == "supervisor":
        threads.append(threading.Thread(target=_supervisor_loop, args=(url, until, logins, out)))
    elif extra == "clock":
        threads.append(threading.Thread(target=_clock_loop, args=(url, until, out)))
    return _run_threads(threads, until, seconds, out)


# --- raw -----------------------------------------------------------------------------

_PG_CLAIM = """
WITH me AS MATERIALIZED (SELECT id FROM agent WHERE id = %(me)s FOR NO KEY UPDATE),
pick AS MATERIALIZED (SELECT c.id FROM "case" c WHERE c.queue_id = %(q)s
  AND c.owner_id IS NULL AND c.status IN ('new','in_progress','awaiting_customer','resolved')
  ORDER BY c.due_at, c.id LIMIT 1 FOR UPDATE OF c SKIP LOCKED),
claimed AS (UPDATE "case" SET owner_id = %(me)s, version = version + 1, updated_at = now()
  FROM pick WHERE "case".id = pick.id RETURNING "case".*),
ev AS (INSERT INTO case_event (case_id, at, actor_id, kind, to_owner_id)
  SELECT id, now(), %(me)s, 'next', %(me)s FROM claimed)
SELECT claimed.id, claimed.number, claimed.title, contact.name FROM claimed
  LEFT JOIN contact ON contact.id = claimed.contact_id
"""


def _raw_loop(
    url: str, agent_id: int, queue_id: int, until: float, start: float, login: str = ""
) -> dict[str, Any]:
    postgres = url.startswith("postgresql")
    if postgres:
        import psycopg

        conn: Any = psycopg.connect(agent_url(url, login).replace("+psycopg", ""),
                                    autocommit=True)
        p = "%s"
    else:
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30,
                               isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        p = "?"
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    rng = random.Random(agent_id)

    warm = [True]

    def run(op: str, statements: list[tuple[str, Any]]) -> list[Any]:
        """The statements as one transaction (a single one alone, in autocommit)."""
        started = time.perf_counter()
        rows: list[Any] = []
        if postgres:
            if len(statements) == 1:
                cur = conn.execute(*statements[0])
                rows = cur.fetchall() if cur.description else []
            else:
                with conn.transaction():
                    for sql, args in statements:
                        args = args(rows) if callable(args) else args
                        cur = conn.execute(sql, args)
                        rows = cur.fetchall() if cur.description else rows
        else:
            conn.execute("BEGIN IMMEDIATE" if op != "search" else "BEGIN")
            for sql, args in statements:
                args = args(rows) if callable(args) else args
                if args is not None:
                    rows = conn.execute(sql, args).fetchall() or rows
            conn.execute("COMMIT")
        if not warm[0]:
            times[op].append((time.perf_counter() - started) * 1000)
        think(rng)
        return rows

    now = "now()" if postgres else "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    new_case = (
        "INSERT INTO \"case\" (number, title, description, area, priority, severity, status, "
        "owner_id, creator_id, created_at, updated_at, due_at, paused_seconds, sla_flags, "
        f"version) VALUES ({{number}}, 'bench', 'no signal', 'technical', 'medium', 'minor', "
        f"'new', {p}, {p}, {now}, {now}, {now}, 0, 0, 1) RETURNING id"
    )
    if postgres and AS_AGENTS[0]:
        # row security checks that an event's case exists, which a CTE's own insert is not
        # to its statement (as casedesk's create): the case, then its event
        create = [
            (new_case.format(number="nextval('case_number_seq')"), (agent_id, agent_id)),
            ("INSERT INTO case_event (case_id, at, actor_id, kind, to_owner_id) "
             "VALUES (%s, now(), %s, 'create', %s)",
             lambda rows: (rows[0][0], agent_id, agent_id)),
        ]
    elif postgres:
        create = [(
            "WITH c AS (" + new_case.format(number="nextval('case_number_seq')") + "), "
            "e AS (INSERT INTO case_event (case_id, at, actor_id, kind, to_owner_id) "
            f"SELECT id, now(), {p}, 'create', {p} FROM c) SELECT id FROM c",
            (agent_id, agent_id, agent_id, agent_id),
        )]
    else:
        create = [
            (new_case.format(number="(SELECT coalesce(max(number), 0) + 1 FROM \"case\")"),
             (agent_id, agent_id)),
            (f"INSERT INTO case_event (case_id, at, actor_id, kind, to_owner_id) "
             f"VALUES (last_insert_rowid(), {now}, ?, 'create', ?)", (agent_id, agent_id)),
        ]
    sqlite_claim = [
        ("UPDATE \"case\" SET owner_id = ?, version = version + 1 WHERE id = "
         "(SELECT id FROM \"case\" WHERE queue_id = ? AND owner_id IS NULL AND "
         "status IN ('new','in_progress','awaiting_customer','resolved') "
         "ORDER BY due_at, id LIMIT 1) RETURNING id", (agent_id, queue_id)),
        (f"INSERT INTO case_event (case_id, at, actor_id, kind, to_owner_id) VALUES "
         f"(?, {now}, ?, 'next', ?)",
         lambda rows: (rows[0][0], agent_id, agent_id) if rows else None),
    ]
    loop = empty = 0
    while time.monotonic() < until:
        if warm[0] and (loop >= WARM_LOOPS or time.monotonic() >= start):
            warm[0] = False  # untimed loops as casedesk's, then the clock
            empty = 0
            time.sleep(max(0.0, start - time.monotonic()))
        loop += 1
        try:
            run("call", [(f"INSERT INTO interaction (channel, direction, typification, agent_id,"
                          f" started_at, duration_seconds, wrap_seconds, subject, notes) VALUES "
                          f"('phone','inbound','query',{p},{now},90,0,'bench call','router')",
                          (agent_id,))])
            if loop % 2:
                rows = run("create", create)
            elif postgres:
                rows = run("next", [(_PG_CLAIM, {"me": agent_id, "q": queue_id})])
            else:
                rows = run("next", sqlite_claim)
            if not rows:
                empty += 1
                continue
            case_id = rows[0][0]
            run("note", [
                (f"UPDATE \"case\" SET version = version + 1, updated_at = {now} WHERE id = {p}",
                 (case_id,)),
                (f"INSERT INTO case_event (case_id, at, actor_id, kind, note) VALUES "
                 f"({p}, {now}, {p}, 'note', 'rebooted')", (case_id, agent_id)),
            ])
            run("task", [
                (f"INSERT INTO task (case_id, title, description, status, position, created_at,"
                 f" sla_flags) VALUES ({p}, 'call back', '', 'open', 1, {now}, 0)", (case_id,)),
                (f"INSERT INTO case_event (case_id, at, actor_id, kind) VALUES "
                 f"({p}, {now}, {p}, 'task')", (case_id, agent_id)),
            ])
            like = "'%%router%%'" if postgres else "'%router%'"
            run("search", [(f"SELECT id, title FROM article WHERE lower(title) LIKE {like} "
                            "ORDER BY id LIMIT 10", ())])
            run("resolve", [
                (f"UPDATE \"case\" SET status = 'resolved', resolved_at = {now}, "
                 f"version = version + 1 WHERE id = {p}", (case_id,)),
                (f"INSERT INTO case_event (case_id, at, actor_id, kind, from_status, to_status)"
                 f" VALUES ({p}, {now}, {p}, 'resolve', 'new', 'resolved')",
                 (case_id, agent_id)),
            ])
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}")
            if not postgres and conn.in_transaction:
                conn.execute("ROLLBACK")
    conn.close()
    return {"times": dict(times), "errors": errors, "empty": empty}


def raw_process(
    url: str, agents: list[tuple[int, int, str]], until: float, seconds: float,
    pause: float = 0.0, as_agents: bool = False,
) -> dict[str, Any]:
    THINK[0], AS_AGENTS[0] = pause, as_agents
    out: dict[str, Any] = {}

    def one(i: int, agent_id: int, queue_id: int, login: str) -> None:
        out[str(i)] = _raw_loop(url, agent_id, queue_id, until, until - seconds, login)

    threads = [threading.Thread(target=one, args=(i, *agent)) for i, agent in enumerate(agents)]
    return _run_threads(threads, until, seconds, out)


# --- measuring -------------------------------------------------------------------------


def _superuser_sql(url: str, sql: str) -> list[Any]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def statements_reset(url: str) -> None:
    """--statements: count from now (pg_stat_statements, loaded by the bench's server)."""
    _superuser_sql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    _superuser_sql(url, "SELECT pg_stat_statements_reset()")


def statements_top(url: str, ops: int, limit: int = 12) -> list[tuple[Any, ...]]:
    """--statements: the statements that took the server's time since the reset, most
    first: (ms of planning + execution per agent operation, calls per operation, mean
    ms planning, mean ms executing, plans per call, the statement's first words)."""
    rows = _superuser_sql(url, (
        "SELECT total_plan_time + total_exec_time, calls, mean_plan_time, mean_exec_time, "
        "plans::float / greatest(calls, 1), "
        "regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
        "WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY 1 DESC LIMIT " + str(limit)))
    return [(total / max(ops, 1), calls / max(ops, 1), plan, run, plans, query[:150])
            for total, calls, plan, run, plans, query in rows]


def postmaster_pid(url: str) -> int | None:
    """The pid of the server listening on the URL's port (other servers share the host)."""
    from sqlalchemy.engine import make_url

    port = make_url(url).port
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() not in ("postgres", "postmaster"):
                continue
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if any(a.endswith(f"port={port}") for a in " ".join(argv).split()):
            return int(pid)
    return None


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds so far of one server: its postmaster and every backend it forked,
    live (utime+stime) and reaped (cutime+cstime of the postmaster); 0 on SQLite."""
    if postmaster is None:
        return 0.0
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == postmaster:
            total += sum(int(f) for f in fields[11:15])
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def double_claims(url: str) -> int:
    """Claims (next, accept) of a case the trail says somebody already held."""
    from sqlalchemy import text

    from casedesk.db import make_engine

    engine = make_engine(url)
    owner: dict[int, int | None] = {}
    doubles = 0
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT case_id, kind, from_owner_id, to_owner_id FROM case_event "
            "WHERE from_owner_id IS NOT NULL OR to_owner_id IS NOT NULL ORDER BY id"))
        for case_id, kind, _from, to in rows:
            if kind in ("next", "accept") and owner.get(case_id) is not None:
                doubles += 1
            owner[case_id] = to
    engine.dispose()
    return doubles


#: what an error says, by kind (first match wins); anything else keeps its first words
_ERROR_KINDS = (
    ("administrator command", "session cut by the shutdown"),
    ("shutting down", "server shutting down"),
    ("starting up", "server starting up"),
    ("connection refused", "connection refused (server down)"),
    ("server closed the connection", "connection closed by the server"),
    ("consuming input failed", "connection closed by the server"),
    ("connection is closed", "connection closed by the server"),
    ("database is locked", "database is locked"),
)


def error_kind(error: str) -> str:
    """One error line (``Type: message``) put in a kind, for counting."""
    kind, _, message = error.partition(": ")
    low = message.lower()
    for needle, name in _ERROR_KINDS:
        if needle in low:
            return f"{name} ({kind.removeprefix('clock ').removeprefix('supervisor ')})"
    return " ".join(error.split()[:6])


def audit(url: str, trails: dict[str, list[list[Any]]]) -> dict[str, int]:
    """Every measured operation against the database: reported done and there exactly
    once ("once"); reported failed and not there ("refused"); reported failed but there
    once ("failed but done": the commit reached the server, its answer did not); reported
    done and not there ("lost"); there more than once ("twice"). ``trails``: login → the
    agent's trail."""
    from sqlalchemy import text

    from casedesk.db import make_engine

    engine = make_engine(url, pool=False)
    with engine.connect() as conn:
        def counts(sql: str) -> dict[Any, int]:
            return {key: int(n) for key, n in conn.execute(text(sql))}

        found: dict[str, dict[Any, int]] = {
            "call": counts("SELECT subject, count(*) FROM interaction "
                           "WHERE subject LIKE 'bench call %' GROUP BY subject"),
            "create": counts("SELECT title, count(*) FROM \"case\" "
                             "WHERE title LIKE 'bench floor%' GROUP BY title"),
            "note": counts("SELECT note, count(*) FROM case_event WHERE kind = 'note' "
                           "AND note LIKE 'rebooted the router %' GROUP BY note"),
            "task": counts("SELECT title, count(*) FROM task "
                           "WHERE title LIKE 'call back %' GROUP BY title"),
            "resolve": counts("SELECT c.number, count(*) FROM case_event e JOIN \"case\" c "
                              "ON c.id = e.case_id WHERE e.kind = 'resolve' GROUP BY c.number"),
        }
        claims = {(login, number): int(n) for login, number, n in conn.execute(text(
            "SELECT a.login, c.number, count(*) FROM case_event e JOIN agent a "
            "ON a.id = e.actor_id JOIN \"case\" c ON c.id = e.case_id "
            "WHERE e.kind = 'next' GROUP BY a.login, c.number"))}
    engine.dispose()
    verdict: dict[str, int] = defaultdict(int)
    for login, trail in trails.items():
        failed_nexts = 0
        for op, key, outcome, _t in trail:
            if op == "search" or outcome == "empty":
                continue
            if op == "next":
                if outcome == "ok":
                    n = claims.pop((login, key), 0)
                    verdict["once" if n == 1 else "lost" if n == 0 else "twice"] += 1
                else:
                    failed_nexts += 1
                continue
            n = found[op].get(key, 0)
            if outcome == "ok":
                verdict["once" if n == 1 else "lost" if n == 0 else "twice"] += 1
            else:
                verdict["refused" if n == 0 else "failed but done" if n == 1 else "twice"] += 1
        # claims in the trail that no "ok" next of this agent reported: its failed ones
        # that were done after all (a next does not know its case until it returns)
        extra = sum(n for (who, _number), n in claims.items() if who == login)
        done_anyway = min(extra, failed_nexts)
        verdict["failed but done"] += done_anyway
        verdict["refused"] += failed_nexts - done_anyway
        verdict["unexplained claims"] += extra - done_anyway
    return dict(verdict)


def without_service(trails: dict[str, list[list[Any]]],
                    down: float) -> tuple[float, list[float]]:
    """Seconds without service around a restart: the gap between two operations that
    succeeded which holds the moment ``down`` (the server had stopped, so nothing could
    succeed then) — floor-wide (any agent's operation), and for each agent."""
    def gap(ends: list[float]) -> float:
        before = max((t for t in ends if t <= down), default=float("nan"))
        after = min((t for t in ends if t > down), default=float("nan"))
        return after - before

    ok = {login: [t for _op, _k, outcome, t in trail if outcome != "failed"]
          for login, trail in trails.items()}
    return gap([t for ends in ok.values() for t in ends]), sorted(gap(e) for e in ok.values())


def prepare(name: str, url: str, agents: int, cases: int) -> tuple[list[str], list[int], int]:
    from sqlalchemy import text

    from casedesk.db import make_engine, upgrade
    from casedesk.services import demo
    from casedesk.services.context import Desk
    from casedesk.services.directory import staff
    from casedesk.services.knowledge import library
    from casedesk.services.sla import scanner

    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine)
    demo.seed(desk, cases=0)
    demo.generate_cases(desk, cases, queue="technical", rng=random.Random(1), owned_share=0)
    admin = desk.actor("admin")
    for i, title in enumerate(["Router sin señal", "Factura duplicada", "Fibra cortada",
                               "Cambiar la contraseña del router", "Router reinicia solo"]):
        library.add_article(desk, admin, title=title, body=f"artículo {i} sobre el router")
    logins = [f"floor{i}" for i in range(agents)]
    for login in logins:
        staff.add_agent(desk, admin, login=login, name=login, queues=["technical"],
                        capacity=10_000)
    scanner.scan(desk)  # the generated backlog's breaches now, not in the first measured tick
    analyse(url)
    with engine.connect() as conn:
        ids = [conn.execute(text("SELECT id FROM agent WHERE login = :l"), {"l": login}).scalar()
               for login in logins]
        queue_id = conn.execute(text("SELECT id FROM queue WHERE name = 'technical'")).scalar()
    engine.dispose()
    return logins, [int(i) for i in ids], int(queue_id)


def refill(url: str, cases: int) -> int:
    """Top the queue up to ``cases`` waiting before a phase, so that neither phase's
    claims find it empty (an empty claim is cheap and skips the rest of the loop: a
    baseline that drained the backlog would measure less work). Returns how many were
    added."""
    from sqlalchemy import text

    from casedesk.db import make_engine
    from casedesk.services import demo
    from casedesk.services.context import Desk

    engine = make_engine(url)
    with engine.connect() as conn:
        waiting = conn.execute(text(
            "SELECT count(*) FROM \"case\" c JOIN queue q ON q.id = c.queue_id "
            "WHERE q.name = 'technical' AND c.owner_id IS NULL "
            "AND c.status IN ('new', 'in_progress', 'awaiting_customer')")).scalar_one()
    missing = max(0, cases - int(waiting))
    if missing:
        demo.generate_cases(Desk(engine), missing, queue="technical", rng=random.Random(2),
                            owned_share=0)
    engine.dispose()
    analyse(url)
    return missing


def analyse(url: str) -> None:
    """PostgreSQL: the planner's statistics of the generated backlog, as autovacuum gathers
    within a minute of a bulk load on a real server (without them the SLA tick's steps
    went through every open case by the wrong index: 75 → 29 ms a tick at 12,000 cases)."""
    if url.startswith("postgresql"):
        _superuser_sql(url, "ANALYZE")


def _restart_later(server: Any, after: float, down_for: float,
                   record: dict[str, float]) -> threading.Thread:
    """Restart ``server`` (a tests.pgserver.PgServer) once, ``after`` seconds from now."""
    def body() -> None:
        time.sleep(after)
        record["cpu_before"] = server_cpu(postmaster_pid(server.url))
        record["halt"] = time.monotonic()
        server.halt()
        record["halted"] = time.monotonic()
        time.sleep(down_for)
        server.resume()
        record["up"] = time.monotonic()

    thread = threading.Thread(target=body, name="restart", daemon=True)
    thread.start()
    return thread


def run_one(name: str, url: str, agents: int, seconds: float, processes: int,
            cases: int, restart: tuple[Any, float, float] | None = None,
            pause: float = 0.0, as_agents: bool = False,
            statements: bool = False) -> dict[str, Any]:
    """One N on one database; ``restart``: (server, after seconds, down seconds);
    ``pause``: each agent's mean think time between operations (seconds);
    ``statements``: report the server's time per statement (pg_stat_statements)."""
    statements = statements and name == "postgresql"
    logins, ids, queue_id = prepare(name, url, agents, cases)
    server = postmaster_pid(url) if name == "postgresql" else None
    ctx = multiprocessing.get_context("spawn")
    nproc = min(processes, agents)
    chunks = [logins[i::nproc] for i in range(nproc)]
    id_chunks = [[(a, queue_id, login) for a, login in zip(ids[i::nproc], logins[i::nproc],
                                                             strict=True)]
                 for i in range(nproc)]
    report: dict[str, Any] = {}
    with ProcessPoolExecutor(nproc + 1, mp_context=ctx) as pool:
        pool.submit(time.sleep, 0).result()
        for kind in ("casedesk", "raw"):
            if kind == "raw":
                refill(url, cases)
            list(pool.map(time.sleep, [0] * (nproc + 1)))  # every worker spawned
            until = time.monotonic() + WARMUP + seconds
            if kind == "casedesk":
                extras = ["supervisor"] + ["clock"] + [""] * (nproc - 2) if nproc > 1 else [""]
                futures = [pool.submit(casedesk_process, url, chunk, until, seconds, extra,
                                       pause, as_agents)
                           for chunk, extra in zip(chunks, extras, strict=False)]
            else:
                futures = [pool.submit(raw_process, url, chunk, until, seconds, pause,
                                       as_agents)
                           for chunk in id_chunks]
            time.sleep(max(0.0, until - seconds - time.monotonic()))
            restarting = restart is not None and kind == "casedesk"
            if restarting:
                assert restart is not None
                restarted: dict[str, float] = {}
                thread = _restart_later(restart[0], restart[1], restart[2], restarted)
            if statements:
                statements_reset(url)
            cpu0, wall0 = server_cpu(server), time.perf_counter()
            results = [f.result() for f in futures]
            wall = time.perf_counter() - wall0
            used = server_cpu(server) - cpu0
            if restarting:
                thread.join()
                server = postmaster_pid(url)  # the new postmaster: all its life is in here
                used = restarted.pop("cpu_before") - cpu0 + server_cpu(server)
            report[kind] = _digest(results, wall, used)
            if statements:
                report[kind]["statements"] = statements_top(url, report[kind]["ops"])
            if restarting:
                trails = {login: who["trail"] for res in results
                          for login, who in res["results"].items() if "trail" in who}
                floor_gap, agent_gaps = without_service(trails, restarted["halted"])
                down = restarted["halted"]
                report["restart"] = {
                    "agents": {login: (sum(1 for e in t if e[2] != "failed" and e[3] <= down),
                                       sum(1 for e in t if e[2] != "failed" and e[3] > down),
                                       sum(1 for e in t if e[2] == "failed"),
                                       max((e[3] for e in t), default=until) - (until - seconds))
                               for login, t in sorted(trails.items())},
                    **{k: v - (until - seconds) for k, v in restarted.items()},
                    "server_down": restarted["up"] - restarted["halt"],
                    "floor_gap": floor_gap, "agent_gaps": agent_gaps,
                    "audit": audit(url, trails),
                }
    report["casedesk"]["double_claims"] = double_claims(url)
    report["load"] = os.getloadavg()
    report["think"], report["as_agents"] = pause, as_agents
    return report


def _digest(results: list[dict[str, Any]], wall: float, server: float) -> dict[str, Any]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    for res in results:
        for who in res["results"].values():
            for op, values in who["times"].items():
                times[op].extend(values)
            errors.extend(who["errors"])
    agent_ops = sum(len(v) for op, v in times.items() if op in OPS)
    client = sum(r["cpu"] for r in results)
    empty = sum(who.get("empty", 0) for res in results for who in res["results"].values())
    refused = [r for res in results for who in res["results"].values()
               for r in who.get("refused", []) if ":" in r]  # (the supervisor's are kinds)
    return {"times": times, "errors": errors, "ops": agent_ops, "ops_s": agent_ops / wall,
            "empty": empty, "refused": refused,
            "server_ms_op": 1000 * server / max(agent_ops, 1),
            "client_ms_op": 1000 * client / max(agent_ops, 1), "wall": wall}


def show(name: str, agents: int, r: dict[str, Any]) -> None:
    c, raw = r["casedesk"], r["raw"]
    pace = (f", a pause of {r['think'] * 1000:.0f} ms on average after each operation"
            if r.get("think") else ", back to back")
    who = ", each agent as its own login role" if r.get("as_agents") else ""
    print(f"\n## {name}, {agents} agents{pace}{who} — load average {r['load'][0]:.1f}")
    print(f"casedesk {c['ops_s']:,.0f} ops/s · raw {raw['ops_s']:,.0f} ops/s · ratio "
          f"{c['ops_s'] / max(raw['ops_s'], 1e-9):.2f} · errors {len(c['errors'])} (raw "
          f"{len(raw['errors'])}) · double claims {c['double_claims']}")
    if c["empty"] or raw["empty"]:
        print(f"the queue ran dry: {c['empty']} claims found it empty (raw {raw['empty']}); "
              "raise --cases")
    print(f"server CPU/op {c['server_ms_op']:.2f} ms vs raw {raw['server_ms_op']:.2f} ms · "
          f"client CPU/op {c['client_ms_op']:.2f} ms vs raw {raw['client_ms_op']:.2f} ms")
    print("| op | casedesk p50 | p99 | n | raw p50 | p99 | n |")
    print("|---|---|---|---|---|---|---|")
    for op in (*OPS, "assign", "yank", "sla_scan"):
        cv, rv = c["times"].get(op, []), raw["times"].get(op, [])
        if not cv and not rv:
            continue
        print(f"| {op} | {percentile(cv, 50):.1f} | {percentile(cv, 99):.1f} | {len(cv)} | "
              f"{percentile(rv, 50):.1f} | {percentile(rv, 99):.1f} | {len(rv)} |")
    kinds: dict[str, int] = defaultdict(int)
    for err in c["errors"]:
        kinds[error_kind(err)] += 1
    for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  errors: {n} × {kind}")
    reasons: dict[str, int] = defaultdict(int)
    for refusal in c["refused"]:
        reasons[re.sub(r"CS-\d+", "CS-…", refusal)] += 1
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  refused (the supervisor moved the case meanwhile): {n} × {reason[:100]}")
    if "restart" in r:
        rs = r["restart"]
        print(f"restart: stop began at {rs['halt']:.1f} s, down at {rs['halted']:.1f} s, "
              f"accepting again at {rs['up']:.1f} s (server without service "
              f"{rs['server_down']:.1f} s); no operation succeeded for {rs['floor_gap']:.1f} s "
              f"floor-wide; per agent: " + ", ".join(f"{g:.1f}" for g in rs["agent_gaps"])
              + " s")
        print("per agent (done before the stop, done after, failed, last operation ended at "
              "s): " + "; ".join(f"{k} {a}/{b}/{c}/{d:.1f}" for k, (a, b, c, d)
                                 in rs["agents"].items()))
        print("audit of every operation against the trail: " + ", ".join(
            f"{k} {v}" for k, v in sorted(rs["audit"].items())))
    for kind in ("casedesk", "raw"):
        if r[kind].get("statements"):
            print(f"server time per statement ({kind}): ms per operation · calls per "
                  "operation · mean ms planning · mean ms executing · plans per call · statement")
            for per_op, calls, plan, run, plans, query in r[kind]["statements"]:
                print(f"  {per_op:.3f} · {calls:.2f} · {plan:.3f} · {run:.3f} · {plans:.2f} · "
                      f"{query[:110]}")
    for err in sorted(set(c["errors"]))[:5]:
        print(f"  error: {err[:200]}")
    for err in sorted(set(raw["errors"]))[:3]:
        print(f"  raw error: {err[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="both")
    parser.add_argument("--agents", default="8,32,64,200")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--cases", type=int, default=12_000,
                        help="cases waiting in the queue at the start of each phase")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds for every process to start and run its untimed "
                        "loops (WARM_LOOPS)")
    parser.add_argument("--restart-after", type=float, default=None, metavar="SECONDS",
                        help="PostgreSQL: restart the server this many seconds into the "
                        "measured casedesk phase")
    parser.add_argument("--down-for", type=float, default=3.0,
                        help="seconds the restarted server stays down")
    parser.add_argument("--think", type=float, default=0.0, metavar="MS",
                        help="each agent's mean pause between operations, ms (exponential; "
                        "0: back to back, the saturation run); the same in the raw run")
    parser.add_argument("--as-agents", action="store_true",
                        help="PostgreSQL: every agent (casedesk and raw) connects as its own "
                        "login role, so row security applies as on a real floor (default: "
                        "the bench's superuser, which row security does not filter)")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="PostgreSQL: the bench server's max_connections (default 200; "
                        "N = 200 agents with their supervisor, clock and pools want ~400)")
    parser.add_argument("--statements", action="store_true",
                        help="PostgreSQL: load pg_stat_statements in the bench's server and "
                        "print where its time went, statement by statement")
    args = parser.parse_args()
    if args.statements:
        from tests.pgserver import OPTIONS_ENV

        os.environ[OPTIONS_ENV] = STATEMENT_OPTIONS
    global WARMUP
    WARMUP = args.warmup
    os.chdir(ROOT)
    if args.restart_after is not None:
        restarts(args)
        return
    for agents in [int(n) for n in args.agents.split(",")]:
        for name, url in databases(args.db, Path(f"/tmp/casedesk-bench-floor-{agents}.db"),
                                   args.max_connections):
            report = run_one(name, url, agents, args.seconds, args.processes, args.cases,
                             pause=args.think / 1000, as_agents=args.as_agents,
                             statements=args.statements)
            show(name, agents, report)



def restarts(args: argparse.Namespace) -> None:
    """--restart-after: PostgreSQL only, on a server of the bench's own."""
    from tests.pgserver import start_postgres

    if args.db not in ("postgresql", "both"):
        raise SystemExit("--restart-after needs PostgreSQL (--db postgresql)")
    if args.restart_after >= args.seconds:
        raise SystemExit("--restart-after must fall inside --seconds")
    for agents in [int(n) for n in args.agents.split(",")]:
        server = start_postgres()
        try:
            report = run_one("postgresql", server.url, agents, args.seconds, args.processes,
                             args.cases, restart=(server, args.restart_after, args.down_for))
        finally:
            server.stop()
        show("postgresql", agents, report)


if __name__ == "__main__":
    main()
