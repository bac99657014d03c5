"""Round trips per operation (issue 17 point 2): ``next``, ``accept`` and the status
changes stay within their budget on both databases, so the count cannot creep back.

A round trip is one statement the driver sends (SQLAlchemy's ``before_cursor_execute``)
plus, on PostgreSQL, the ``BEGIN`` and ``COMMIT`` psycopg sends around a transaction that
is not in autocommit (they never reach the cursor events). The pool never pings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from casedesk.db import read_session
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, interactions, tasks, transitions
from tests.conftest import World

#: The budget. PostgreSQL: a claim is one statement in autocommit (claim + event + what
#: the screen shows; it was 11 round trips with the pre-ping), a status change a read and
#: that statement (was 6). SQLite runs in process (no network; DML cannot sit in a CTE):
#: BEGIN IMMEDIATE, the claiming UPDATE … RETURNING, the event, the detail and its
#: children — 5 (was 11 for next, 9 for accept); a status change reads first — 6 (was 8).
#: The appends (``fastwrites``), counted the same way through the transaction they
#: replace: a note, a task on a case and a call on no case are one statement each on
#: PostgreSQL (were 7, 7 and 5); a resolution with its customer mail is the read (case,
#: contact, the customer's Message-IDs) and the change whose statement also writes the
#: outbox row — 2 (was 11; 7 without a mail). A new case (routing rules, policies and
#: queues cached per engine): BEGIN, the case with its number from the sequence and its
#: detail, its event (row security checks that the event's case exists, which a CTE's
#: own insert is not, to the statement), COMMIT — 4 (was 9); for a customer the contact
#: and its account are read first — 6 (was 11). SQLite: note BEGIN, UPDATE … RETURNING,
#: event, detail, children — 5 (was 6); task BEGIN, UPDATE, task, event, assignee — 5
#: (was 6); call BEGIN, INSERT, read — 3 (was 4); a new case BEGIN, the counter, the
#: case, its event, the detail, children — 6 (was 8; 8 for a customer, was 10); a
#: resolution queues its mail in its transaction — 10 (as before).
BUDGET = {
    "postgresql": {"next": 1, "accept": 1, "status": 2, "resolve": 2, "note": 1, "task": 1,
                   "call": 1, "resolve_mail": 2, "create": 4, "create_for": 6},
    "sqlite": {"next": 5, "accept": 5, "status": 6, "resolve": 6, "note": 5, "task": 5,
               "call": 3, "resolve_mail": 10, "create": 6, "create_for": 8},
}


@dataclass
class Trips:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    @property
    def count(self) -> int:
        return len(self.statements) + 2 * self.transactions


@contextmanager
def trips(engine: Engine) -> Iterator[Trips]:
    """Count what ``engine`` sends while the block runs."""
    seen = Trips()
    postgres = engine.dialect.name == "postgresql"

    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.statements.append(statement)
        dbapi = conn.connection.dbapi_connection
        # (by name: str() of the IntEnum is "0" on Python 3.11, the test never matched)
        if postgres and not dbapi.autocommit and dbapi.info.transaction_status.name == "IDLE":
            seen.transactions += 1  # psycopg sends BEGIN first, and COMMIT/ROLLBACK later

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _budget(world: World, op: str) -> int:
    return BUDGET[world.desk.engine.dialect.name][op]


def _check(world: World, op: str, seen: Trips) -> None:
    limit = _budget(world, op)
    assert seen.count <= limit, (
        f"{op}: {seen.count} round trips > {limit}:\n" + "\n---\n".join(seen.statements)
    )


def _warm(world: World) -> None:
    """One claim and one status change first: per-desk caches fill once per desk."""
    c = cases.create_case(world.desk, world.admin, title="warm", queue="technical")
    transitions.accept(world.desk, world.ana, c.number)
    transitions.start(world.desk, world.ana, c.number)


def test_the_pool_does_not_ping(world: World) -> None:
    assert not getattr(world.desk.engine.pool, "_pre_ping", False)


def test_next_is_within_budget(world: World) -> None:
    _warm(world)
    made = cases.create_case(world.desk, world.admin, title="next one", queue="technical")
    with trips(world.desk.engine) as seen:
        got = transitions.next_case(world.desk, world.ana, "technical")
    assert got.number == made.number and got.owner == "ana"
    _check(world, "next", seen)


def test_accept_is_within_budget(world: World) -> None:
    _warm(world)
    made = cases.create_case(world.desk, world.admin, title="accept me", queue="technical")
    with trips(world.desk.engine) as seen:
        got = transitions.accept(world.desk, world.ana, made.number)
    assert got.owner == "ana" and got.version == made.version + 1
    _check(world, "accept", seen)


def test_status_changes_are_within_budget(world: World) -> None:
    _warm(world)
    made = cases.create_case(world.desk, world.admin, title="work it", queue="technical")
    transitions.accept(world.desk, world.ana, made.number)
    steps = [
        ("start", lambda: transitions.start(world.desk, world.ana, made.number), "in_progress"),
        ("wait", lambda: transitions.wait(world.desk, world.ana, made.number),
         "awaiting_customer"),
        ("resume", lambda: transitions.resume(world.desk, world.ana, made.number), "in_progress"),
        ("resolve", lambda: transitions.resolve(world.desk, world.ana, made.number, "solved",
                                                "fixed"), "resolved"),
        ("reopen", lambda: transitions.reopen(world.desk, world.ana, made.number),
         "in_progress"),
    ]
    for name, call, status in steps:
        with trips(world.desk.engine) as seen:
            got = call()
        assert got.status == status, (name, got)
        # resolving reads no contact here (the case has none): no mail to queue
        _check(world, "resolve" if name == "resolve" else "status", seen)


def test_appends_are_within_budget(world: World) -> None:
    """The rest of an agent's loop: a call, a note, a task, a resolution with its mail."""
    _warm(world)
    made = cases.create_case(world.desk, world.admin, title="work it", queue="technical",
                             contact_id=world.contact_id)
    transitions.accept(world.desk, world.ana, made.number)
    warm = cases.create_case(world.desk, world.ana, title="warm the appends")
    cases.add_note(world.desk, world.ana, warm.number, "first")
    tasks.add_task(world.desk, world.ana, title="first", case=warm.number)
    interactions.log_interaction(world.desk, world.ana, channel="phone")
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("create", lambda: cases.create_case(world.desk, world.ana, title="a call's case",
                                             queue="technical")),
        ("create_for", lambda: cases.create_case(world.desk, world.ana, title="for Juan",
                                                 contact_id=world.contact_id)),
        ("call", lambda: interactions.log_interaction(
            world.desk, world.ana, channel="phone", subject="router", duration_seconds=90,
            contact_id=world.contact_id)),
        ("note", lambda: cases.add_note(world.desk, world.ana, made.number, "rebooted")),
        ("task", lambda: tasks.add_task(world.desk, world.ana, title="call back",
                                        case=made.number)),
        ("resolve_mail", lambda: transitions.resolve(world.desk, world.ana, made.number,
                                                     "solved", "rebooted")),
    ]
    for name, call in steps:
        with trips(world.desk.engine) as seen:
            call()
        _check(world, name, seen)
    with world.desk.engine.connect() as conn:
        mails = conn.execute(text("SELECT count(*) FROM outbox WHERE case_id = :c"),
                             {"c": made.id}).scalar_one()
        version = conn.execute(text('SELECT version FROM "case" WHERE id = :c'),
                               {"c": made.id}).scalar_one()
    assert mails == 1 and version == made.version + 4  # accept, note, task, resolve


def test_status_changes_under_an_sla_policy_are_within_budget(world: World) -> None:
    """A case with a policy: its targets come from the cached policies and calendars, not
    from a read per change (the cache once held its copies only weakly)."""
    from casedesk.services.sla import policy_files

    policy_files.load_defaults(world.desk)
    _warm(world)
    made = cases.create_case(world.desk, world.admin, title="with a policy", queue="technical",
                             priority="high", contact_id=world.contact_id)
    assert made.sla_policy is not None
    transitions.accept(world.desk, world.ana, made.number)
    with trips(world.desk.engine) as seen:
        transitions.start(world.desk, world.ana, made.number)
    _check(world, "status", seen)
    with trips(world.desk.engine) as seen:
        cases.add_note(world.desk, world.ana, made.number, "with its inactivity clock")
    _check(world, "note", seen)
    with trips(world.desk.engine) as seen:
        got = transitions.resolve(world.desk, world.ana, made.number, "solved", "fixed")
    assert got.status == "resolved"
    _check(world, "resolve_mail", seen)


def _prepared(world: World) -> tuple[set[str], int]:
    """The server's prepared statements on the pooled connection, and which one it is."""
    with read_session(world.desk.engine) as s:
        dbapi = s.connection().connection.dbapi_connection
        names = set(s.execute(text("SELECT name FROM pg_prepared_statements")).scalars())
    return names, id(dbapi)


#: PostgreSQL only: SQLite prepares in process and has no read-only transactions
postgresql_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@postgresql_only
def test_reads_keep_the_prepared_statements(world: World) -> None:
    """psycopg deallocates every prepared statement on ROLLBACK: a read ending in one made
    the server parse and plan each statement of the next operation again."""
    _warm(world)

    def loop() -> None:
        made = cases.create_case(world.desk, world.admin, title="loop", queue="technical")
        got = transitions.next_case(world.desk, world.ana, "technical")
        cases.add_note(world.desk, world.ana, got.number, "called back")
        reads.search_cases(world.desk, "loop")  # a read between the writes
        assert got.number == made.number

    loop()
    loop()
    before, conn = _prepared(world)
    loop()
    after, same = _prepared(world)
    assert conn == same, "the probe must see the connection the operations used"
    assert before, "the operations' statements are prepared from their second run"
    assert before <= after, f"deallocated in between: {sorted(before - after)}"


@contextmanager
def rollbacks(engine: Engine) -> Iterator[list[str]]:
    """The ROLLBACKs psycopg sends while the block runs (a session closed in the middle
    of a transaction; a connection returned to the pool in one), each of which deallocates
    all the connection's prepared statements: the statement that opened the transaction."""
    sent: list[str] = []
    last: dict[int, str] = {}

    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        if dbapi.info.transaction_status.name == "IDLE":
            last[id(dbapi)] = statement

    def check(dbapi: Any) -> None:
        if dbapi.info.transaction_status.name != "IDLE":
            sent.append(last.get(id(dbapi), "?")[:300])

    def on_rollback(conn: Any) -> None:
        check(conn.connection.dbapi_connection)

    def on_reset(dbapi: Any, *_args: Any) -> None:
        check(dbapi)

    listeners = [(engine, "before_cursor_execute", on_execute), (engine, "rollback", on_rollback),
                 (engine.pool, "reset", on_reset)]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield sent
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)


@postgresql_only
def test_an_agent_loop_rolls_nothing_back(world: World) -> None:
    """A whole loop of an agent's work — the per-engine lookups and routing rules reloaded
    (every ``LOOKUP_TTL`` seconds) included — ends every transaction with COMMIT: a
    rollback every ten seconds had made each statement of the floor bench planned again
    in one call of eight."""
    from casedesk.services.knowledge import library
    from casedesk.services.workflow import fastpath

    _warm(world)
    for i in range(2):
        fastpath.forget_lookups()  # as when LOOKUP_TTL has passed
        with rollbacks(world.desk.engine) as sent:
            interactions.log_interaction(world.desk, world.ana, channel="phone",
                                         subject=f"call {i}", duration_seconds=90)
            cases.create_case(world.desk, world.admin, title=f"waiting {i}", queue="technical")
            got = transitions.next_case(world.desk, world.ana, "technical")
            mine = cases.create_case(world.desk, world.ana, title=f"mine {i}")
            for number in (got.number, mine.number):
                cases.add_note(world.desk, world.ana, number, "rebooted the router")
                tasks.add_task(world.desk, world.ana, title="call back", case=number)
                library.search(world.desk, "router", statuses=None, limit=10)
                reads.get_case(world.desk, number)
                reads.timeline(world.desk, number)
                reads.inbox(world.desk, "technical", limit=5)
                reads.wip_bin(world.desk, world.ana.id)
                transitions.resolve(world.desk, world.ana, number, "solved", "rebooted")
        assert sent == [], "rolled back (prepared statements deallocated):\n" + "\n".join(sent)


@postgresql_only
def test_a_read_session_refuses_writes_on_postgresql(world: World) -> None:
    with pytest.raises(DBAPIError, match="read-only transaction"), \
            read_session(world.desk.engine) as s:
        s.execute(text("UPDATE agent SET name = name"))


@postgresql_only
def test_the_functions_statements_call_keep_their_plans(world: World) -> None:
    """The helpers row security and the claim call are PL/pgSQL, which keeps a plan per
    session; an SQL function with a ``SET search_path`` is planned again on every call
    (migrations 0016 and 0017)."""
    with read_session(world.desk.engine) as s:
        languages = dict(s.execute(text(
            "SELECT p.proname, l.lanname FROM pg_proc p JOIN pg_language l "
            "ON l.oid = p.prolang WHERE p.proname IN ('casedesk_bin_wip', 'casedesk_is', "
            "'casedesk_agent_id', 'casedesk_trusted')")).all())
    assert languages == dict.fromkeys(
        ["casedesk_bin_wip", "casedesk_is", "casedesk_agent_id", "casedesk_trusted"], "plpgsql")


def test_the_hot_statements_write_their_limits(world: World) -> None:
    """Every statement is prepared, and PostgreSQL's generic plan guesses a bound
    ``LIMIT`` at a tenth of the rows: with 12,000 cases waiting the claim was planned
    again on every call (2.0 ms of planning beside 1.3 ms of work) and its generic plan
    hashed the case table (11 ms). A constant limit is written into the statement
    (``models.base.fixed_limit``); a tiny test table cannot show the plans, the
    statements' text can."""
    _warm(world)
    bound = re.compile(r"\bLIMIT\s+(%\(|\?|\$|:)")
    with trips(world.desk.engine) as seen:
        for i in range(2):
            interactions.log_interaction(world.desk, world.ana, channel="phone",
                                         subject=f"call {i}", duration_seconds=90)
            made = cases.create_case(world.desk, world.admin, title=f"waiting {i}",
                                     queue="technical")
            got = transitions.next_case(world.desk, world.ana, "technical")
            other = cases.create_case(world.desk, world.admin, title=f"named {i}",
                                      queue="technical")
            transitions.accept(world.desk, world.ana, other.number)
            for number in (got.number, other.number):
                cases.add_note(world.desk, world.ana, number, "rebooted the router")
                tasks.add_task(world.desk, world.ana, title="call back", case=number)
                transitions.resolve(world.desk, world.ana, number, "solved", "rebooted")
            assert got.number == made.number
    assert seen.statements
    offending = [q for q in seen.statements if bound.search(q)]
    assert not offending, "\n---\n".join(offending)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_reads_the_detail_after_the_write_lock(world: World) -> None:
    """On SQLite one writer holds the lock at a time: a claim, a note, a new case and a
    status change commit first and read what the screen shows after (WAL lets that read
    run beside the next writer), so the lock covers only the writes."""
    _warm(world)
    engine = world.desk.engine
    log: list[tuple[str, str]] = []

    def on_begin(conn: Any) -> None:
        log.append(("begin", conn.get_execution_options().get("sqlite_begin", "DEFERRED")))

    def on_commit(_conn: Any) -> None:
        log.append(("commit", ""))

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "LEFT OUTER JOIN contact" in statement:
            log.append(("detail", ""))

    hooks = (("begin", on_begin), ("commit", on_commit), ("before_cursor_execute", on_execute))
    for name, fn in hooks:
        event.listen(engine, name, fn)
    try:
        made = cases.create_case(world.desk, world.admin, title="waiting", queue="technical")
        got = transitions.next_case(world.desk, world.ana, "technical")
        cases.add_note(world.desk, world.ana, got.number, "rebooted the router")
        transitions.start(world.desk, world.ana, got.number)
        transitions.resolve(world.desk, world.ana, got.number, "solved", "rebooted")
    finally:
        for name, fn in hooks:
            event.remove(engine, name, fn)
    assert got.number == made.number
    writing = False
    details = 0
    for kind, mode in log:
        if kind == "begin":
            writing = mode == "IMMEDIATE"
        elif kind == "commit":
            writing = False
        else:
            details += 1
            assert not writing, f"a detail read inside the write lock: {log}"
    assert details >= 5, log
