"""The SLA scan: record warnings and breaches, escalate, flag inactivity, auto-close.

``casedesk sla scan`` runs it once; every workstation and ``casedesk worker`` take part
in running it every minute, each tick once, from whichever holds the clock's lease
(:mod:`casedesk.services.sla.lease`). Every step is one set-based ``UPDATE … RETURNING`` whose
WHERE clause carries the guard (a flag bit still clear, a column still set), followed
by a bulk insert of one case event per returned row. So:

* **Idempotent**: a second scan at the same instant changes nothing; a breach, once
  recorded, is never recorded again nor un-recorded.
* **Safe to run concurrently** (several workstations): the guard is evaluated on the
  row's latest version (PostgreSQL re-checks it after waiting for the row lock; SQLite
  serialises writers), so two scans can never record the same breach twice.
* **Cheap to repeat**: each clock is driven by its ``*_warn`` column, the clock's next
  check (warning time → due time once warned → NULL once breached or stopped, see
  :mod:`casedesk.services.sla.clocks`). A rescan finds nothing in those index ranges, so with a
  million open cases it costs a handful of empty index probes.

Steps, in chunks of at most ``chunk`` rows, each chunk one transaction (so a big backlog
never holds SQLite's write lock for minutes; retried on a PostgreSQL deadlock):

1. breaches of first response, next response and resolution, each followed, in the same
   transaction, by the escalation actions of the case's policy (one ``escalated`` event
   per breach that changed something): ``raise_priority`` (one step up per breach, up to
   high), ``queue`` (move there if the case waits in a queue; a case in somebody's bin
   stays there), ``flag_supervisor`` (the ESCALATED bit). Escalation bumps the case's
   version and re-evaluates nothing else (not even the policy);
2. warnings (the warning threshold passed, the deadline not yet);
3. inactivity of open cases (``inactive`` event; the alert re-arms on new activity);
4. task warnings, breaches and inactivity (events on the task's case; standalone tasks
   are only flagged);
5. auto-close of resolved cases whose confirmation period ran out (``autoclose`` event).

Recording warnings, breaches and inactivity does not bump a case's version: it changes
no field an agent edits, and an agent saving an edit must not lose to a background scan.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    any_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import BinaryExpression
from sqlmodel import Session, col

from casedesk.bulk import fast_insert
from casedesk.db import write_session
from casedesk.models import Case, CaseEvent, Queue, SlaPolicy, Task
from casedesk.models.base import UTCDateTime, table_of
from casedesk.services.context import Desk
from casedesk.services.queries.views import ScanReport
from casedesk.services.sla import clocks

log = logging.getLogger(__name__)

_CASE = table_of(Case)
_TASK = table_of(Task)
_EVENT = table_of(CaseEvent)
_PRIORITY_UP = {"low": "medium", "medium": "high", "high": "high"}
#: Rows per transaction. On a big backlog a chunk holds SQLite's write lock for a few
#: seconds (≤ 3 s at 100k cases, ~5 s at 1M; agents' writes wait, within the 10 s busy
#: timeout). Smaller chunks rewrite the same pages in more transactions: 20k costs a third
#: more in total for locks only a quarter shorter. Steady-state ticks touch a few rows.
CHUNK = 50_000
_RETRY_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
T = TypeVar("T")


def scan(desk: Desk, now: datetime | None = None, *, chunk: int = CHUNK) -> ScanReport:
    """Run every SLA step once at ``now`` (the desk's clock by default)."""
    now = now or desk.now()
    started = time.perf_counter()
    report = ScanReport(at=now)
    for clock in clocks.CLOCKS:
        n = _drain(desk, partial(_breach_chunk, clock=clock, now=now, chunk=chunk, report=report))
        report.breaches[clock] = n
    for clock in clocks.CLOCKS:
        n = _drain(desk, partial(_warning_chunk, clock=clock, now=now, chunk=chunk))
        report.warnings[clock] = n
        _retrying(desk, partial(_tidy_warn, clock=clock, now=now))
    report.inactive = _drain(desk, lambda s: _inactive_chunk(s, now, chunk))
    report.task_breaches = _drain(desk, lambda s: _task_breach_chunk(s, now, chunk))
    report.task_warnings = _drain(desk, lambda s: _task_warning_chunk(s, now, chunk))
    report.inactive_tasks = _drain(desk, lambda s: _task_inactive_chunk(s, now, chunk))
    report.autoclosed = _drain(desk, lambda s: _autoclose_chunk(s, now, chunk))
    _retrying(desk, lambda s: _tidy_rest(s, now))
    report.seconds = time.perf_counter() - started
    return report


def run_periodically(
    desk: Desk,
    stop: threading.Event,
    *,
    every: float = 60.0,
    on_report: Callable[[ScanReport], None] | None = None,
) -> None:
    """Scan every ``every`` seconds until ``stop`` is set, with no lease (a single-process
    loop; the workstations and ``casedesk worker`` use :mod:`casedesk.services.sla.lease`).

    A failing scan is logged and retried at the next tick; it never stops the loop.
    """
    while not stop.is_set():
        try:
            report = scan(desk)
        except Exception:  # a background loop must survive a bad tick
            log.exception("SLA scan failed; retrying in %.0f s", every)
        else:
            if on_report is not None:
                on_report(report)
        stop.wait(every)


# --- plumbing ----------------------------------------------------------------------


def _retrying(desk: Desk, step: Callable[[Session], T], attempts: int = 3) -> T:
    """Run ``step`` in one write transaction; retry when PostgreSQL picks it as a deadlock
    victim (two scans, or a scan and an agent, locking rows in different orders)."""
    for attempt in range(1, attempts + 1):
        try:
            with write_session(desk.engine) as session:
                if session.get_bind().dialect.name == "postgresql":
                    # psycopg prepares repeated statements; a generic plan does not know
                    # :now and expects a third of each warn index to match (250 ms per
                    # step at 1M cases instead of 0.1 ms). Plan each scan statement anew.
                    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
                return step(session)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state not in _RETRY_SQLSTATES or attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _drain(desk: Desk, step: Callable[[Session], tuple[int, bool]]) -> int:
    """Repeat a chunked step, one transaction per chunk, until a chunk was not full.

    ``step`` returns (rows recorded, chunk was full).
    """
    total = 0
    while True:
        recorded, full = _retrying(desk, step)
        total += recorded
        if not full:
            return total


def _far(column: Any) -> ColumnElement[Any]:
    """``coalesce(column, far future)``: the same test, but no index on ``column``.

    The steps must range-scan the warn column's index; a plain ``due <= :now`` could
    tempt the planner into the due column's index, whose range holds every case that
    ever breached.
    """
    return func.coalesce(column, literal(clocks.FAR_FUTURE, UTCDateTime()))


def _bit_clear(table: Table, bit: int) -> ColumnElement[bool]:
    return table.c.sla_flags.bitwise_and(int(bit)).self_group() == 0


def _bit_set(table: Table, bit: int) -> ColumnElement[bool]:
    return table.c.sla_flags.bitwise_and(int(bit)).self_group() != 0


def _with_bits(table: Table, bits: int) -> Any:
    return table.c.sla_flags.bitwise_or(int(bits)).self_group()


def _running(clock: str) -> ColumnElement[bool]:
    """The clock runs (may warn or breach) for cases matching this."""
    if clock == "first_response":
        return and_(_CASE.c.status.in_(clocks.OPEN), _CASE.c.first_response_at.is_(None))
    if clock == "next_response":
        return _CASE.c.status.in_(clocks.OPEN)
    return _CASE.c.status.in_(clocks.RUNNING)


def _chunk_update(table: Table, chunk: int, *where: ColumnElement[bool]) -> Any:
    """``UPDATE table … WHERE id IN (SELECT id … WHERE <where> ORDER BY <first condition's
    column> LIMIT chunk) AND <where>``.

    The subquery range-scans the index of the first condition, earliest first when more
    than ``chunk`` are due (the index gives that order, so LIMIT ends the scan). That needs
    the table's statistics: on a table bulk-loaded a moment ago and not yet analysed,
    PostgreSQL went through all 12,000 open cases by another index, 5 ms for each empty
    step of a tick (0.3 ms after ``ANALYZE``). Repeating the conditions outside makes
    PostgreSQL re-check them on rows it waited for (a concurrent scan).
    """
    first = where[0]
    key = first.left if isinstance(first, BinaryExpression) else table.c.id
    ids = select(table.c.id).where(*where).order_by(key).limit(chunk).scalar_subquery()
    return update(table).where(table.c.id.in_(ids), *where)


def _label(clock: str) -> str:
    return clock.replace("_", " ")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class _Events:
    """The case events of one transaction, written in one go.

    All are the system's (no actor) at the scan's instant, written by
    :func:`casedesk.bulk.fast_insert` (SQLAlchemy's per-value processing would cost more
    than the database's own work on a big backlog): executemany on SQLite, COPY on
    PostgreSQL.
    """

    _COLUMNS = (
        "case_id",
        "kind",
        "from_queue_id",
        "to_queue_id",
        "from_status",
        "to_status",
        "note",
        "data",
    )

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.rows: list[tuple[Any, ...]] = []

    def add(
        self,
        case_id: int,
        kind: str,
        note: str,
        data: dict[str, Any],
        *,
        from_queue: int | None = None,
        to_queue: int | None = None,
        from_status: str | None = None,
        to_status: str | None = None,
    ) -> None:
        self.rows.append((case_id, kind, from_queue, to_queue, from_status, to_status, note, data))

    def write(self) -> None:
        if not self.rows:
            return
        fixed = {"at": self.now, "actor_id": None, "from_owner_id": None, "to_owner_id": None}
        fast_insert(
            self.session,
            _EVENT,
            [{**fixed, **dict(zip(self._COLUMNS, row, strict=True))} for row in self.rows],
        )
        self.rows = []


def _update_ids(session: Session, ids: list[int], values: dict[str, Any]) -> None:
    """``UPDATE case SET … WHERE id IN ids``: one array parameter on PostgreSQL, chunks of
    bound parameters on SQLite (which allows 32,766 per statement)."""
    if session.get_bind().dialect.name == "sqlite":
        for i in range(0, len(ids), 10_000):
            session.execute(update(_CASE).where(_CASE.c.id.in_(ids[i : i + 10_000])).values(values))
    else:
        session.execute(
            update(_CASE)
            .where(_CASE.c.id == any_(literal(ids, postgresql.ARRAY(Integer))))
            .values(values)
        )


# --- steps -------------------------------------------------------------------------


def _breach_chunk(
    session: Session, clock: str, now: datetime, chunk: int, report: ScanReport
) -> tuple[int, bool]:
    warned, bit = clocks.CLOCK_BITS[clock]
    due, warn = _CASE.c[f"{clock}_due"], _CASE.c[f"{clock}_warn"]
    rows = session.execute(
        _chunk_update(
            _CASE, chunk, warn <= now, _far(due) <= now, _running(clock), _bit_clear(_CASE, bit)
        )
        .values({"sla_flags": _with_bits(_CASE, bit | warned), warn.name: None})
        .returning(
            _CASE.c.id,
            due,
            _CASE.c.sla_policy_id,
            _CASE.c.priority,
            _CASE.c.queue_id,
            _CASE.c.owner_id,
            _CASE.c.sla_flags,
        )
    ).all()
    events = _Events(session, now)
    note = f"{_label(clock)}: breached"
    for row in rows:
        events.add(row[0], "sla_breach", note, {"clock": clock, "due": _iso(row[1])})
    report.escalated += _escalate(session, clock, rows, events, now)
    events.write()
    return len(rows), len(rows) >= chunk


def _escalate(
    session: Session, clock: str, rows: Sequence[Sequence[Any]], events: _Events, now: datetime
) -> int:
    """Apply the escalation of each newly breached case's policy; one event per case."""
    if not rows:
        return 0
    policies = {
        pid: dict(esc)
        for pid, esc in session.execute(select(col(SlaPolicy.id), col(SlaPolicy.escalation))).all()
        if esc
    }
    if not policies:
        return 0
    queues = dict(session.execute(select(col(Queue.name), col(Queue.id))).all())
    names = {v: k for k, v in queues.items()}
    groups: dict[tuple[str, int | None, bool], list[int]] = {}
    escalated = 0
    for case_id, _due, policy_id, priority, queue_id, owner_id, flags in rows:
        esc = policies.get(policy_id)
        if esc is None:
            continue
        new_priority = (
            _PRIORITY_UP.get(priority, priority) if esc.get("raise_priority") else priority
        )
        target = queues.get(esc["queue"]) if esc.get("queue") else None
        new_queue = target if target is not None and owner_id is None else queue_id
        flag = bool(esc.get("flag_supervisor")) and not flags & clocks.Flag.ESCALATED
        if new_priority == priority and new_queue == queue_id and not flag:
            continue
        groups.setdefault((new_priority, new_queue, flag), []).append(case_id)
        what = []
        if new_priority != priority:
            what.append(f"priority {priority} → {new_priority}")
        if new_queue != queue_id:
            what.append(f"moved to queue {names.get(new_queue, new_queue)}")
        elif target is not None and owner_id is not None:
            what.append("left in the owner's bin")
        if flag:
            what.append("flagged for the supervisor")
        moved = new_queue != queue_id
        events.add(
            case_id,
            "escalated",
            f"escalated ({_label(clock)} breached): " + " · ".join(what),
            {
                "clock": clock,
                "priority": [priority, new_priority],
                "queue": names.get(new_queue),
                "flag_supervisor": flag,
                "kept_with_owner": new_queue == queue_id and target is not None
                and owner_id is not None,
            },
            from_queue=queue_id if moved else None,
            to_queue=new_queue if moved else None,
        )
        escalated += 1
    for (priority, queue_id, flag), ids in groups.items():
        values: dict[str, Any] = {
            "priority": priority,
            "queue_id": queue_id,
            "version": _CASE.c.version + 1,
            "updated_at": now,
        }
        if flag:
            values["sla_flags"] = _with_bits(_CASE, clocks.Flag.ESCALATED)
        _update_ids(session, ids, values)
    return escalated


def _warning_chunk(session: Session, clock: str, now: datetime, chunk: int) -> tuple[int, bool]:
    bit, _breached = clocks.CLOCK_BITS[clock]
    due, warn = _CASE.c[f"{clock}_due"], _CASE.c[f"{clock}_warn"]
    rows = session.execute(
        _chunk_update(
            _CASE, chunk, warn <= now, _far(due) > now, _running(clock), _bit_clear(_CASE, bit)
        )
        .values({"sla_flags": _with_bits(_CASE, bit), warn.name: due})
        .returning(_CASE.c.id, due)
    ).all()
    events = _Events(session, now)
    note = f"{_label(clock)}: warning"
    for case_id, due_at in rows:
        events.add(case_id, "sla_warning", note, {"clock": clock, "due": _iso(due_at)})
    events.write()
    return len(rows), len(rows) >= chunk


def _tidy_warn(session: Session, clock: str, now: datetime) -> None:
    """Move on the next check of rows left in a warn range that need no event.

    They are rare: a clock that stopped, or one whose bit was already set when something
    recomputed its warn column (a priority change after a warning).
    """
    bit, breached = clocks.CLOCK_BITS[clock]
    due, warn = _CASE.c[f"{clock}_due"], _CASE.c[f"{clock}_warn"]
    running = _running(clock)
    leftover = or_(
        ~running,
        due.is_(None),
        and_(_far(due) <= now, _bit_set(_CASE, breached)),
        and_(_far(due) > now, _bit_set(_CASE, bit)),
    )
    session.execute(
        update(_CASE)
        .where(warn <= now, leftover)
        .values({warn.name: case((and_(running, _far(due) > now), due), else_=None)})
    )


def _inactive_chunk(session: Session, now: datetime, chunk: int) -> tuple[int, bool]:
    rows = session.execute(
        _chunk_update(_CASE, chunk, _CASE.c.inactivity_due <= now, _CASE.c.status.in_(clocks.OPEN))
        .values(inactivity_due=None, sla_flags=_with_bits(_CASE, clocks.Flag.INACTIVE))
        .returning(_CASE.c.id, _CASE.c.last_activity_at)
    ).all()
    events = _Events(session, now)
    for case_id, since in rows:
        events.add(
            case_id,
            "inactive",
            "inactive: no activity within the policy's limit",
            {"clock": "inactivity", "since": _iso(since)},
        )
    events.write()
    return len(rows), len(rows) >= chunk


def _task_events(
    session: Session, now: datetime, rows: Sequence[Sequence[Any]], kind: str, text: str
) -> None:
    events = _Events(session, now)
    for task_id, case_id, title, at in rows:
        if case_id is not None:
            key = "since" if kind == "inactive" else "due"
            events.add(
                case_id,
                kind,
                f"task “{title}” {text}",
                {"clock": "task", "task": task_id, "title": title, key: _iso(at)},
            )
    events.write()


def _task_breach_chunk(session: Session, now: datetime, chunk: int) -> tuple[int, bool]:
    t, flag = _TASK, clocks.TaskFlag
    rows = session.execute(
        _chunk_update(
            t,
            chunk,
            t.c.warn_at <= now,
            _far(t.c.due_at) <= now,
            t.c.status == "open",
            _bit_clear(t, flag.BREACHED),
        )
        .values(sla_flags=_with_bits(t, flag.BREACHED | flag.WARNED), warn_at=None)
        .returning(t.c.id, t.c.case_id, t.c.title, t.c.due_at)
    ).all()
    _task_events(session, now, rows, "sla_breach", "breached")
    return len(rows), len(rows) >= chunk


def _task_warning_chunk(session: Session, now: datetime, chunk: int) -> tuple[int, bool]:
    t, flag = _TASK, clocks.TaskFlag
    rows = session.execute(
        _chunk_update(
            t,
            chunk,
            t.c.warn_at <= now,
            _far(t.c.due_at) > now,
            t.c.status == "open",
            _bit_clear(t, flag.WARNED),
        )
        .values(sla_flags=_with_bits(t, flag.WARNED), warn_at=t.c.due_at)
        .returning(t.c.id, t.c.case_id, t.c.title, t.c.due_at)
    ).all()
    _task_events(session, now, rows, "sla_warning", "warning")
    return len(rows), len(rows) >= chunk


def _task_inactive_chunk(session: Session, now: datetime, chunk: int) -> tuple[int, bool]:
    t = _TASK
    rows = session.execute(
        _chunk_update(t, chunk, t.c.inactivity_due <= now, t.c.status == "open")
        .values(inactivity_due=None, sla_flags=_with_bits(t, clocks.TaskFlag.INACTIVE))
        .returning(t.c.id, t.c.case_id, t.c.title, t.c.last_activity_at)
    ).all()
    _task_events(session, now, rows, "inactive", "inactive")
    return len(rows), len(rows) >= chunk


def _autoclose_chunk(session: Session, now: datetime, chunk: int) -> tuple[int, bool]:
    rows = session.execute(
        _chunk_update(_CASE, chunk, _CASE.c.autoclose_due <= now, _CASE.c.status == "resolved")
        .values(
            status="closed",
            closed_at=now,
            autoclose_due=None,
            due_at=clocks.FAR_FUTURE,
            version=_CASE.c.version + 1,
            updated_at=now,
        )
        .returning(_CASE.c.id, _CASE.c.resolved_at)
    ).all()
    events = _Events(session, now)
    for case_id, resolved in rows:
        events.add(
            case_id,
            "autoclose",
            "closed automatically: the customer did not answer within the confirmation period",
            {"resolved_at": _iso(resolved)},
            from_status="resolved",
            to_status="closed",
        )
    events.write()
    from casedesk.services.mail import notify  # the workflow's side, as the backlog is

    notify.surveys_for(session, [case_id for case_id, _ in rows], now)
    return len(rows), len(rows) >= chunk


def _tidy_rest(session: Session, now: datetime) -> None:
    """Clear passed checks that need no event: stopped tasks, cases no longer open."""
    t = _TASK
    session.execute(
        update(t)
        .where(t.c.warn_at <= now)
        .values(
            warn_at=case(
                (and_(t.c.status == "open", _far(t.c.due_at) > now), t.c.due_at), else_=None
            )
        )
    )
    session.execute(
        update(t).where(t.c.inactivity_due <= now, t.c.status != "open").values(inactivity_due=None)
    )
    session.execute(
        update(_CASE)
        .where(_CASE.c.inactivity_due <= now, _CASE.c.status.not_in(clocks.OPEN))
        .values(inactivity_due=None)
    )
    session.execute(
        update(_CASE)
        .where(_CASE.c.autoclose_due <= now, _CASE.c.status != "resolved")
        .values(autoclose_due=None)
    )
