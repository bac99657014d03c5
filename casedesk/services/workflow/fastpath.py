"""The hot operations in one statement on PostgreSQL (issue 17): claims and status changes.

A claim (``next``, ``accept``) is one statement run in autocommit — so one round trip,
atomic as any statement is::

    WITH me AS MATERIALIZED (SELECT … FROM agent WHERE id = :me FOR NO KEY UPDATE),
         room AS MATERIALIZED (SELECT … FROM me WHERE casedesk_bin_wip(me.id) < capacity),
         pick AS MATERIALIZED (SELECT id FROM "case" WHERE <waiting, mine to take, room>
                               ORDER BY due_at, id LIMIT 1 FOR UPDATE [SKIP LOCKED]),
         claimed AS (UPDATE "case" SET owner_id = :me, version = version + 1, …
                     FROM pick WHERE "case".id = pick.id RETURNING "case".*),
         ev AS (INSERT INTO case_event (…) SELECT claimed.id, … FROM claimed)
    SELECT <what case_detail shows> FROM claimed LEFT JOIN contact … ;

A status change reads the case (one statement), computes the SLA consequences in Python
exactly as before, and writes the guarded ``UPDATE … RETURNING`` with its events in a
second statement (``version = :seen`` guards the gap between the two).

Every guard of the slow path is in the statement: the case waiting (or the version and
status seen), membership of its queue, room in the bin (``casedesk_bin_wip`` counts after
the agent's row lock, migration 0015), row security (the statement runs as the agent's
role), and exactly one event. When the statement changes nothing — a refusal, a lost
race, anything unusual — the function returns ``None`` and the caller runs the original
transaction, which raises the error with its full explanation (or succeeds if the case
has become free meanwhile). Nothing is ever done twice: the fast statement either wrote
the change and its event or wrote nothing.

Policies, calendars and queue ids are cached per engine (:class:`Lookups`), refreshed
after :data:`LOOKUP_TTL` seconds and whenever this process changes one of those tables.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ClauseElement,
    ColumnElement,
    Engine,
    and_,
    bindparam,
    case,
    event,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import (
    cast as cast_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import ORMExecuteState, aliased
from sqlmodel import Session, col

from casedesk.db import is_sqlite, read_session, write_session
from casedesk.models import (
    Agent,
    BusinessCalendarRow,
    Case,
    CaseEvent,
    Queue,
    QueueMember,
    RoutingRule,
    SlaPolicy,
)
from casedesk.models.base import fixed_limit, saved_id, table_of
from casedesk.models.cases import case_is_active
from casedesk.services.context import Actor, Desk, unstorable
from casedesk.services.numbers import parse_case_number
from casedesk.services.queries.reads import (
    CHILDREN_AT,
    case_detail,
    detail_from_row,
    detail_statement,
)
from casedesk.services.queries.views import CaseDetail
from casedesk.services.sla import clocks
from casedesk.services.workflow.changes import change_values, event_row

#: Seconds a process trusts its cached policies, calendars and queue ids (another
#: process's edit of a policy reaches this one's claims within that time).
LOOKUP_TTL = 10.0

_OPEN = ("new", "in_progress", "awaiting_customer")
_case = table_of(Case)
_event = table_of(CaseEvent)
#: one event row, its values bound at execution (the statement's cache key is kept)
_INSERT_EVENT = insert(_event)
_agent = table_of(Agent)
_member = table_of(QueueMember)


@dataclass
class Lookups:
    """What a claim needs besides the case, read once per engine."""

    loaded_at: float
    policies: dict[int, SlaPolicy] = field(default_factory=dict)
    calendars: dict[int, BusinessCalendarRow] = field(default_factory=dict)
    targets: dict[int, clocks.PolicyTargets] = field(default_factory=dict)
    queues: dict[str, int] = field(default_factory=dict)
    #: claim statements by shape, built once (SQLAlchemy then reuses their compiled form)
    statements: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    #: the queues by id (their strategies route a new case)
    queue_rows: dict[int, Queue] = field(default_factory=dict)
    #: the routing rules (``rules.RuleSet``), read when a case is first created
    rules: Any = None

    def attach(self, session: Session) -> None:
        """Put the cached policies and calendars in ``session``'s identity map, so that
        ``clocks.load_targets`` finds them without a query (held in ``session.info``: the
        identity map only references its objects weakly, so the merged copies would be
        collected at once and every ``session.get`` would read its row again)."""
        session.info["fastpath_lookups"] = [
            session.merge(obj, load=False)
            for obj in (*self.calendars.values(), *self.policies.values())
        ]


_lookups: weakref.WeakKeyDictionary[Engine, Lookups] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_generation = 0


def forget_lookups() -> None:
    """Drop every cached lookup (this process changed a policy, calendar or queue)."""
    global _generation
    with _lock:
        _generation += 1
        _lookups.clear()


def lookups(engine: Engine) -> Lookups:
    """The engine's cached lookups, loaded (two or three queries) when missing or old."""
    found = _lookups.get(engine)
    if found is not None and time.monotonic() - found.loaded_at < LOOKUP_TTL:
        return found
    if not is_sqlite(engine):
        _cache_long_statements()
    generation = _generation
    loaded = Lookups(time.monotonic())
    with read_session(engine) as session:  # (not rolled back: see read_session)
        for calendar in session.execute(select(BusinessCalendarRow)).scalars():
            loaded.calendars[calendar.id or 0] = calendar
        for policy in session.execute(select(SlaPolicy)).scalars():
            loaded.policies[policy.id or 0] = policy
        for policy in loaded.policies.values():
            loaded.targets[policy.id or 0] = clocks.targets_of(session, policy)
        for queue in session.execute(select(Queue)).scalars():
            loaded.queues[queue.name] = queue.id or 0
            loaded.queue_rows[queue.id or 0] = queue
        session.expunge_all()
    with _lock:
        if generation == _generation:
            _lookups[engine] = loaded
    return loaded


def _cache_long_statements() -> None:
    """psycopg turns a query's ``%(name)s`` placeholders into ``$n`` on every execution
    unless the query has at most 4,096 characters and 50 parameters (an LRU cache of 128
    then holds the conversion, psycopg ``_queries``). The prebuilt statements here are
    longer (every column ``case_detail`` shows) and a new case binds ~55 values: without
    this each execution re-parses ~6 KB of SQL (~0.5 ms of client CPU)."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - PostgreSQL engines have psycopg
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None) is not None:
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 32_768)
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None) is not None:
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 200)


_WATCHED = (SlaPolicy, BusinessCalendarRow, Queue, RoutingRule)


@event.listens_for(Session, "do_orm_execute")
def _watch_writes(state: ORMExecuteState) -> None:
    """A write to a cached table through any session of this process forgets the cache."""
    writes = state.is_insert or state.is_update or state.is_delete
    if writes and state.bind_mapper is not None and state.bind_mapper.class_ in _WATCHED:
        forget_lookups()


@event.listens_for(Session, "after_flush")
def _watch_flushes(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _WATCHED):
            forget_lookups()
            return




def _session(conn: Any) -> Session:
    return Session(bind=conn, expire_on_commit=False, autoflush=False)


def _inactivity(found: Lookups) -> ColumnElement[Any]:
    """``inactivity_due`` after a claim, for whichever policy the claimed case has
    (``apply_change``'s rule, as a CASE over the cached policies; ``x_due_<id>`` binds)."""
    whens: list[tuple[ColumnElement[bool], Any]] = [
        (_case.c.status.not_in(_OPEN), null())
    ]
    for pid, targets in found.targets.items():
        if targets.inactivity:
            due = bindparam(f"x_due_{pid}", type_=_case.c.inactivity_due.type)
            whens.append((_case.c.sla_policy_id == pid, due))
    return case(*whens, else_=_case.c.inactivity_due)


def _inactivity_params(found: Lookups, now: datetime) -> dict[str, datetime]:
    return {
        f"x_due_{pid}": targets.calendar.add(now, targets.inactivity)
        for pid, targets in found.targets.items()
        if targets.inactivity
    }


def _children(source: Any) -> Any:
    return (
        select(func.array_agg(aggregate_order_by(_case.c.number, _case.c.number)))
        .where(_case.c.parent_id == source.id)
        .scalar_subquery()
    )


def _detail(session: Session, changed: Any, *extra: Any) -> CaseDetail | None:
    """Run the statement whose CTE ``changed`` returns the changed case row; its detail."""
    source = aliased(Case, changed)
    stmt = detail_statement(source).add_columns(_children(source)).add_cte(*extra)
    row = session.execute(stmt.execution_options(populate_existing=True)).first()
    if row is None:
        return None
    return detail_from_row(row, row[CHILDREN_AT] or [])


def claim(
    desk: Desk,
    actor: Actor,
    now: datetime,
    *,
    kind: str,
    queue: str | int | None = None,
    number: int | str | None = None,
    version: int | None = None,
) -> CaseDetail | None:
    """``next`` (``queue``) or ``accept`` (``number``) in one statement; None: nothing
    was claimed, run the transaction that explains why."""
    found = lookups(desk.engine)
    sqlite = is_sqlite(desk.engine)
    params: dict[str, Any] = {"x_me": actor.id, "x_now": now, **_inactivity_params(found, now)}
    if queue is not None:
        queue_id = queue if isinstance(queue, int) else found.queues.get(queue)
        if queue_id is None:
            return None
        params["x_queue"] = queue_id
    else:
        try:
            params["x_number"] = parse_case_number(number if number is not None else "")
        except Exception:  # noqa: BLE001 - the slow path says what is wrong with it
            return None
        if version is not None and not 0 < version < 2**31:
            return None
        params["x_version"] = version
    shape = (kind, queue is not None, version is not None, sqlite)
    stmt = found.statements.get(shape)
    if stmt is None:
        stmt = found.statements[shape] = _claim_statement(found, *shape)
    if sqlite:
        # the write lock covers only the claim and its event; the screen's read of the
        # case follows in a read transaction, which WAL lets run beside the next claim
        with write_session(desk.engine) as session:
            conn = session.connection()
            case_id = conn.execute(stmt, params).scalar_one_or_none()
            if case_id is None:
                return None
            row = event_row(case_id=case_id, at=now, actor_id=actor.id, kind=kind)
            row.update(from_owner_id=None, to_owner_id=actor.id)
            conn.execute(_INSERT_EVENT, row)
        with read_session(desk.engine) as session:
            return case_detail(session, case_id)
    with desk.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        with _session(conn) as session:
            got = session.execute(stmt, params).first()
            return None if got is None else detail_from_row(got, got[CHILDREN_AT] or [])


def _claim_statement(found: Lookups, kind: str, by_queue: bool, versioned: bool,
                     sqlite: bool) -> Any:
    """The claim of one shape, with binds ``x_me``, ``x_now``, ``x_queue`` or ``x_number``
    (and ``x_version``) and ``x_due_<policy id>`` — never a column's name: an UPDATE takes
    execution parameters named like its columns as values to SET. Built once per shape
    and engine."""
    me_id = bindparam("x_me", type_=_agent.c.id.type)
    me = (
        select(_agent.c.id, _agent.c.capacity)
        .where(_agent.c.id == me_id)
        .with_for_update(key_share=True)
        .cte("me")
        .prefix_with("MATERIALIZED")
    )
    room = (
        select(me.c.id)
        .where(func.casedesk_bin_wip(me.c.id) < me.c.capacity)
        .cte("room")
        .prefix_with("MATERIALIZED")
    )
    member = exists().where(_member.c.queue_id == _case.c.queue_id, _member.c.agent_id == me_id)
    if sqlite:  # its write transactions are serial: the count cannot go stale
        wip = select(func.count()).where(_case.c.owner_id == me_id, case_is_active())
        capacity = select(_agent.c.capacity).where(_agent.c.id == me_id)
        has_room: ColumnElement[bool] = wip.scalar_subquery() < capacity.scalar_subquery()
    else:
        has_room = exists(select(room.c.id))
    conditions: list[ColumnElement[bool]] = [
        _case.c.owner_id.is_(None), case_is_active(), member, has_room
    ]
    if by_queue:
        conditions.append(_case.c.queue_id == bindparam("x_queue", type_=_case.c.queue_id.type))
        pick = (
            select(_case.c.id)
            .where(*conditions)
            .order_by(_case.c.due_at, _case.c.id)
            .limit(fixed_limit(1))
            .with_for_update(skip_locked=True, of=_case)
        )
    else:
        conditions += [
            _case.c.number == bindparam("x_number", type_=_case.c.number.type),
            _case.c.queue_id.is_not(None),
        ]
        if versioned:
            conditions.append(_case.c.version == bindparam("x_version", type_=_case.c.version.type))
        pick = select(_case.c.id).where(*conditions).with_for_update(of=_case)
    now = bindparam("x_now", type_=_case.c.updated_at.type)
    values = dict(
        owner_id=me_id,
        version=_case.c.version + 1,
        updated_at=now,
        last_activity_at=now,
        inactivity_due=_inactivity(found),
    )
    if sqlite:
        return (
            update(_case)
            .where(_case.c.id == pick.scalar_subquery(), _case.c.owner_id.is_(None))
            .values(values)
            .returning(_case.c.id)
        )
    picked = pick.cte("pick").prefix_with("MATERIALIZED")
    claimed = (
        update(_case)
        .where(_case.c.id == picked.c.id)
        .values(values)
        .returning(*_case.c)
        .cte("claimed")
    )
    event = insert(_event).from_select(
        ["case_id", "at", "actor_id", "kind", "to_owner_id"],
        select(claimed.c.id, now, me_id, literal(kind, _event.c.kind.type), me_id),
    ).cte("ev")
    source = aliased(Case, claimed)
    return (
        detail_statement(source)
        .add_columns(_children(source))
        .add_cte(event)
        .execution_options(populate_existing=True)
    )


def _insert_events(changed: Any, rows: Sequence[dict[str, Any]]) -> Any:
    """An ``INSERT INTO case_event … SELECT … FROM changed`` CTE of one row per entry."""
    names = [c for c in rows[0] if c != "case_id"]
    selects = []
    for row in rows:
        values = [
            cast_(null(), _event.c[c].type) if row[c] is None
            else literal(row[c], _event.c[c].type)
            for c in names
        ]
        selects.append(select(changed.c.id, *values))
    source = selects[0] if len(selects) == 1 else selects[0].union_all(*selects[1:])
    return insert(_event).from_select(["case_id", *names], source).cte("ev")


def change_status(
    desk: Desk,
    actor: Actor,
    number: int | str,
    now: datetime,
    *,
    kind: str,
    allowed: Callable[[Case], bool],
    to: str,
    version: int | None,
    note: str | None = None,
    extra: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    mail: str | None = None,
) -> CaseDetail | None:
    """A status change in two statements (read; guarded update with its events); None:
    not done, run the transaction (it raises the refusal with its explanation).

    ``mail``: a resolution with these notes, whose mail to the customer is queued with
    the change — on PostgreSQL its outbox row is a CTE of the same statement (the read
    brings the contact and the customer's Message-IDs), on SQLite it is queued in the
    same write transaction."""
    if version is not None and not 0 < version < 2**31:
        return None
    if note is not None and unstorable(note):
        return None
    if any(isinstance(v, str) and unstorable(v) for v in (extra or {}).values()):
        return None
    try:
        num = parse_case_number(number)
    except Exception:  # noqa: BLE001 - the slow path says what is wrong with it
        return None
    found = lookups(desk.engine)
    sqlite = is_sqlite(desk.engine)
    changed_id: int | None = None  # SQLite: the case changed, its detail read after COMMIT
    with _change_session(desk) as session:
        found.attach(session)
        facts = None
        if mail is not None and not sqlite:
            from casedesk.services.workflow import fastwrites

            read = session.execute(fastwrites.MAIL_READ, {"x_number": num}).first()
            current = read[0] if read is not None else None
            facts = fastwrites.MailFacts(*read[1:]) if read is not None else None
        else:
            current = session.execute(
                select(Case).where(col(Case.number) == num)
            ).scalar_one_or_none()
        if current is None or not allowed(current):
            return None
        if current.owner_id != actor.id and not actor.is_supervisor:
            return None
        if version is not None and version != current.version:
            return None
        values, breaches = clocks.status_values(session, current, to, now)
        values.update(extra or {})
        values, condition = change_values(
            session, current, now, values, (col(Case.status) == current.status,),
            current.version,
        )
        guarded = update(_case).where(and_(*condition)).values(_table_values(values))
        rows = [
            event_row(case_id=None, at=now, actor_id=actor.id, kind=kind, before=current,
                      after=values, note=note, data=data)
        ]
        for clock, due in breaches:
            rows.append(event_row(
                case_id=None, at=now, actor_id=None, kind="sla_breach",
                note=f"{clock.replace('_', ' ')} breached",
                data=clocks.clock_data(clock, due),
            ))
        if sqlite:  # in its write transaction: three statements more
            if session.execute(guarded.returning(_case.c.id)).first() is None:
                raise _NotDone
            for entry in rows:
                entry["case_id"] = current.id
            session.execute(insert(_event), _same_keys(rows))
            if mail is not None:  # the resolution proposed to the customer
                from casedesk.services.mail import notify

                notify.customer_mail(session, current, "resolution", now, notes=mail)
            changed_id = saved_id(current.id)
        else:  # PostgreSQL: the change, its events and the detail in one statement
            from casedesk.services.workflow import fastwrites

            message: dict[str, Any] = {}
            if facts is not None:
                made = fastwrites.resolution_mail(current, facts, mail or "", now)
                if made is None:
                    return None
                message = made
            shaped = _status_shape(values, _same_keys(rows), message)
            if shaped is None:  # a value whose SQL has no cache key: built for this call
                changed = guarded.returning(*_case.c).cte("changed")
                ctes = [_insert_events(changed, _same_keys(rows))]
                if message:
                    ctes.append(fastwrites.outbox_insert(changed, message))
                return _detail(session, changed, *ctes)
            shape, params = shaped
            stmt = found.statements.get(shape)
            if stmt is None:
                if len(found.statements) > 1000:
                    found.statements.clear()
                stmt = found.statements[shape] = _status_statement(values, *shape[2:])
            params.update(g_id=current.id, g_version=current.version, g_status=current.status)
            row = session.execute(stmt, params).first()
            return None if row is None else detail_from_row(row, row[CHILDREN_AT] or [])
    if changed_id is None:  # not done (a _NotDone rolled back)
        return None
    with read_session(desk.engine) as session:
        return case_detail(session, changed_id)


def _status_shape(values: dict[str, Any], rows: list[dict[str, Any]],
                  message: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The shape of a status change's statement (which columns it sets, and how; its event
    rows; its mail's columns) and its binds: ``v_<column>``, ``e<i>_<column>``,
    ``o_<column>``. None: a value is SQL without a cache key."""
    parts: list[tuple[Any, ...]] = []
    params: dict[str, Any] = {}
    for key, value in sorted(values.items()):
        if isinstance(value, ClauseElement):  # sla_flags with bits set/cleared, in SQL
            cache = value._generate_cache_key()
            if cache is None:
                return None
            parts.append((key, cache.key, tuple(b.effective_value for b in cache.bindparams)))
        else:
            parts.append((key,))
            params[f"v_{key}"] = value
    event_keys = tuple(k for k in rows[0] if k != "case_id")
    for i, row in enumerate(rows):
        params.update({f"e{i}_{k}": row[k] for k in event_keys})
    params.update({f"o_{k}": v for k, v in message.items()})
    return ("status", tuple(parts), event_keys, len(rows), tuple(message)), params


_JSON_NULL = JSON(none_as_null=True)


def _bind(name: str, column: Any) -> Any:
    """A typed bind for ``column`` (a JSON ``None`` is SQL NULL, as ``_insert_events``)."""
    return bindparam(name, type_=_JSON_NULL if isinstance(column.type, JSON) else column.type)


def _status_statement(values: dict[str, Any], event_keys: tuple[str, ...], events: int,
                      mail_keys: tuple[str, ...]) -> Any:
    """A status change of one shape in one statement: the UPDATE guarded by the id, the
    version and the status seen (``g_id``, ``g_version``, ``g_status``), its events, its
    mail, and what the screen shows. Built once per shape and engine."""
    from casedesk.models.mail import OutboxMessage

    guard = and_(
        _case.c.id == _bind("g_id", _case.c.id),
        _case.c.version == _bind("g_version", _case.c.version),
        _case.c.status == _bind("g_status", _case.c.status),
    )
    sets = {
        _case.c[k]: v if isinstance(v, ClauseElement) else _bind(f"v_{k}", _case.c[k])
        for k, v in values.items()
    }
    changed = update(_case).where(guard).values(sets).returning(*_case.c).cte("changed")
    selects = [select(changed.c.id, *[_bind(f"e{i}_{k}", _event.c[k]) for k in event_keys])
               for i in range(events)]
    source = selects[0] if events == 1 else union_all(*selects)
    ctes = [insert(_event).from_select(["case_id", *event_keys], source).cte("ev")]
    if mail_keys:
        outbox = table_of(OutboxMessage)
        ctes.append(insert(outbox).from_select(
            ["case_id", *mail_keys],
            select(changed.c.id, *[_bind(f"o_{k}", outbox.c[k]) for k in mail_keys]),
        ).cte("mail"))
    return detail_of(changed, *ctes)


def detail_of(changed: Any, *extra: Any) -> Any:
    """What ``case_detail`` shows of the changed case row (a CTE returning ``"case".*``),
    with the ``extra`` CTEs run in the same statement."""
    source = aliased(Case, changed)
    return (
        detail_statement(source)
        .add_columns(_children(source))
        .add_cte(*extra)
        .execution_options(populate_existing=True)
    )


class _NotDone(Exception):
    """Roll the SQLite transaction back and let the slow path explain."""


@contextmanager
def _change_session(desk: Desk) -> Iterator[Session]:
    """PostgreSQL: a session on an autocommit connection (each statement its own
    transaction); SQLite: one ``BEGIN IMMEDIATE`` write transaction (the read and the
    write serial with every other writer). A :class:`_NotDone` inside rolls back and
    ends the block quietly."""
    try:
        if is_sqlite(desk.engine):
            with write_session(desk.engine) as session:
                yield session
            return
        with desk.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            with _session(conn) as session:
                yield session
    except _NotDone:
        return


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = list(rows[0])
    return [{k: r.get(k) for k in keys} for r in rows]


def _table_values(values: dict[str, Any]) -> dict[Any, Any]:
    """ORM attribute values as the table's columns (the names are the same)."""
    return {_case.c[k]: v for k, v in values.items()}
