"""The appends of the hot path in prebuilt statements (issue 17 point 2): a note, a task,
a logged call, and the outbox row of a resolution.

The same rules as :mod:`.fastpath`: on PostgreSQL each operation is one statement in
autocommit, built once per shape and engine with binds (SQLAlchemy compiles it once,
psycopg prepares it), whose data-modifying CTEs carry every guard of the slow path::

    WITH changed AS (UPDATE "case" SET version = version + 1, updated_at = :now, …
                     WHERE number = :number AND <status, who may> RETURNING "case".*),
         t AS (INSERT INTO task (…) SELECT … FROM changed RETURNING task.*),
         ev AS (INSERT INTO case_event (…) SELECT changed.id, … FROM changed[, t])
    SELECT <what the caller returns> FROM changed …

The statement runs as the agent's own role, so row security filters the UPDATE exactly
as it filters the slow path's locking read; the case's row lock is the UPDATE's own. An
append writes exactly one event. When the statement changes nothing — no such case, not
the agent's to change, a closed case, a policy this process has not cached yet — the
function returns ``None`` and the caller runs its original transaction, which raises the
refusal with its full explanation (or succeeds). Nothing is ever done twice: the
statement either wrote the change with its event or wrote nothing.

On SQLite (no DML in a CTE) the same prebuilt statements run one after the other inside
one ``BEGIN IMMEDIATE`` transaction, without the ORM's read of the case.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlmodel import Session, col

from casedesk.db import is_sqlite, read_session, write_session
from casedesk.models import Agent, Case, CaseEvent, Contact, Interaction, QueueMember, Task
from casedesk.models.base import fixed_limit, table_of
from casedesk.models.mail import OutboxMessage
from casedesk.services.context import Actor, Desk, unstorable
from casedesk.services.numbers import parse_case_number
from casedesk.services.queries.reads import CHILDREN_AT, case_detail, detail_from_row
from casedesk.services.queries.views import CaseDetail, InteractionView, TaskView
from casedesk.services.sla import clocks
from casedesk.services.workflow import fastpath
from casedesk.services.workflow.fastpath import (
    _OPEN,
    Lookups,
    _inactivity,
    _inactivity_params,
    _session,
    detail_of,
)

_case = table_of(Case)
_event = table_of(CaseEvent)
_task = table_of(Task)
_interaction = table_of(Interaction)
_contact = table_of(Contact)
_agent = table_of(Agent)
_outbox = table_of(OutboxMessage)
_member = table_of(QueueMember)


def _statement(found: Lookups, shape: tuple[Any, ...], build: Any) -> Any:
    """The statement of ``shape``, built once per engine (and policy cache)."""
    stmt = found.statements.get(shape)
    if stmt is None:
        stmt = found.statements[shape] = build()
    return stmt


def _number(number: int | str) -> int | None:
    try:
        return parse_case_number(number)
    except Exception:  # noqa: BLE001 - the slow path says what is wrong with it
        return None


def _known_policy(found: Lookups) -> ColumnElement[bool]:
    """The case's policy is one this process has cached (else the CASEs over the cached
    policies would not know its clocks: the slow path does it)."""
    known = list(found.targets)
    if not known:
        return _case.c.sla_policy_id.is_(None)
    return or_(_case.c.sla_policy_id.is_(None), _case.c.sla_policy_id.in_(known))


def _append(found: Lookups, *guards: ColumnElement[bool]) -> Any:
    """``UPDATE "case"`` of an append (:func:`changes.apply_change` with ``append``):
    the version up by one in SQL, activity now, the inactivity clock re-armed; binds
    ``x_number``, ``x_now`` and ``x_due_<policy id>``."""
    now = bindparam("x_now", type_=_case.c.updated_at.type)
    return (
        update(_case)
        .where(_case.c.number == bindparam("x_number", type_=_case.c.number.type),
               _known_policy(found), *guards)
        .values(version=_case.c.version + 1, updated_at=now, last_activity_at=now,
                inactivity_due=_inactivity(found))
    )


def _event_from(changed: Any, kind: str, data: Any = None) -> Any:
    """``INSERT INTO case_event`` of one append event (queue, owner, status unchanged:
    their from/to stay NULL, as ``event_row`` writes them) for the row of ``changed``."""
    names = ["case_id", "at", "actor_id", "kind", "note"]
    values: list[Any] = [
        changed.c.id,
        bindparam("x_now", type_=_event.c.at.type),
        bindparam("x_me", type_=_event.c.actor_id.type),
        literal(kind, _event.c.kind.type),
        bindparam("x_note", type_=_event.c.note.type),
    ]
    if data is not None:
        names.append("data")
        values.append(data)
    return insert(_event).from_select(names, select(*values))


# --- a note -----------------------------------------------------------------------------


def add_note(desk: Desk, actor: Actor, number: int | str, text: str,
             now: datetime) -> CaseDetail | None:
    """``cases.add_note`` in one statement; None: not done, run the transaction."""
    note = (text or "").strip()
    num = _number(number)
    if not note or unstorable(note) or num is None:
        return None
    found = fastpath.lookups(desk.engine)
    params = {"x_number": num, "x_now": now, "x_me": actor.id, "x_note": note,
              **_inactivity_params(found, now)}
    if is_sqlite(desk.engine):
        update_stmt, event_stmt = _statement(found, ("note", True), lambda: (
            _append(found).returning(_case.c.id),
            insert(_event).values(
                case_id=bindparam("x_case"), at=bindparam("x_now"), actor_id=bindparam("x_me"),
                kind="note", note=bindparam("x_note")),
        ))
        with write_session(desk.engine) as session:
            case_id = session.execute(update_stmt, params).scalar_one_or_none()
            if case_id is None:
                return None
            session.execute(event_stmt, {**params, "x_case": case_id})
        with read_session(desk.engine) as session:  # after COMMIT: the lock is let go
            return case_detail(session, case_id)
    stmt = _statement(found, ("note", False), lambda: _note_statement(found))
    with desk.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        with _session(conn) as session:
            row = session.execute(stmt, params).first()
            return None if row is None else detail_from_row(row, row[CHILDREN_AT] or [])


def _note_statement(found: Lookups) -> Any:
    changed = _append(found).returning(*_case.c).cte("changed")
    event = _event_from(changed, "note").cte("ev")
    return detail_of(changed, event)


# --- a task on a case ---------------------------------------------------------------------


def _may_add_task() -> ColumnElement[bool]:
    """``tasks._may_work_on`` in SQL: a supervisor, the owner, or (waiting in a queue) a
    member of the queue; binds ``x_sup`` and ``x_me``."""
    me = bindparam("x_me", type_=_case.c.owner_id.type)
    member = exists().where(_member.c.queue_id == _case.c.queue_id, _member.c.agent_id == me)
    return or_(
        bindparam("x_sup", type_=_case.c.id.type) == 1,
        _case.c.owner_id == me,
        and_(_case.c.owner_id.is_(None), member),
    )


def _task_inactivity(found: Lookups, policy: Any) -> Any:
    """A new task's ``inactivity_due``: its case policy's limit after now (``t_due_<id>``)."""
    whens = [
        (policy == pid, bindparam(f"t_due_{pid}", type_=_task.c.inactivity_due.type))
        for pid, targets in found.targets.items() if targets.inactivity
    ]
    if not whens:
        return null()
    return case(*whens, else_=null())


def add_task(desk: Desk, actor: Actor, number: int | str, title: str, description: str,
             now: datetime) -> TaskView | None:
    """``tasks.add_task`` on a case, for the assignee being the actor and no due time, in
    one statement; None: not done, run the transaction."""
    num = _number(number)
    if num is None:
        return None
    found = fastpath.lookups(desk.engine)
    params: dict[str, Any] = {
        "x_number": num, "x_now": now, "x_me": actor.id, "x_sup": int(actor.is_supervisor),
        "x_title": title, "x_description": (description or "").strip(),
        "x_note": f"task added: {title}", **_inactivity_params(found, now),
        **{f"t_due_{pid}": t.calendar.add(now, t.inactivity)
           for pid, t in found.targets.items() if t.inactivity},
    }
    if is_sqlite(desk.engine):
        return _add_task_sqlite(desk, found, params, now)
    stmt = _statement(found, ("task", False), lambda: _task_statement(found))
    with desk.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(stmt, params).first()
    return None if row is None else _task_view(row, now)


def _task_values(found: Lookups, case_id: Any, policy: Any) -> list[Any]:
    now = bindparam("x_now", type_=_task.c.created_at.type)
    return [
        case_id,
        bindparam("x_title", type_=_task.c.title.type),
        bindparam("x_description", type_=_task.c.description.type),
        bindparam("x_me", type_=_task.c.assignee_id.type),
        literal("open", _task.c.status.type),
        literal(0, _task.c.position.type),
        now,
        _task_inactivity(found, policy),
        now,
        literal(0, _task.c.sla_flags.type),
    ]


_TASK_COLUMNS = ["case_id", "title", "description", "assignee_id", "status", "position",
                 "created_at", "inactivity_due", "last_activity_at", "sla_flags"]


def _task_statement(found: Lookups) -> Any:
    changed = (
        _append(found, _case.c.status.in_(_OPEN), _may_add_task())
        .returning(_case.c.id, _case.c.number, _case.c.sla_policy_id)
        .cte("changed")
    )
    added = (
        insert(_task)
        .from_select(_TASK_COLUMNS, select(*_task_values(found, changed.c.id,
                                                           changed.c.sla_policy_id)))
        .returning(*_task.c)
        .cte("t")
    )
    data = func.json_build_object(literal("task"), added.c.id, literal("due"), null(),
                                  type_=_event.c.data.type)
    event = insert(_event).from_select(
        ["case_id", "at", "actor_id", "kind", "note", "data"],
        select(changed.c.id, bindparam("x_now", type_=_event.c.at.type),
               bindparam("x_me", type_=_event.c.actor_id.type),
               literal("task", _event.c.kind.type),
               bindparam("x_note", type_=_event.c.note.type), data)
        .select_from(changed.join(added, added.c.case_id == changed.c.id)),
    ).cte("ev")
    return (
        select(added, changed.c.number, _agent.c.login)
        .select_from(added.join(changed, changed.c.id == added.c.case_id)
                     .outerjoin(_agent, _agent.c.id == added.c.assignee_id))
        .add_cte(event)
    )


def _add_task_sqlite(desk: Desk, found: Lookups, params: dict[str, Any],
                     now: datetime) -> TaskView | None:
    def build() -> tuple[Any, ...]:
        changed = (
            _append(found, _case.c.status.in_(_OPEN), _may_add_task())
            .returning(_case.c.id, _case.c.number, _case.c.sla_policy_id)
        )
        policy = bindparam("x_policy", type_=_case.c.sla_policy_id.type)
        added = (
            insert(_task)
            .values(dict(zip(_TASK_COLUMNS,
                             _task_values(found, bindparam("x_case"), policy), strict=True)))
            .returning(*_task.c)
        )
        event = insert(_event).values(
            case_id=bindparam("x_case"), at=bindparam("x_now"), actor_id=bindparam("x_me"),
            kind="task", note=bindparam("x_note"),
            data=bindparam("x_data", type_=_event.c.data.type))
        login = select(_agent.c.login).where(_agent.c.id == bindparam("x_me"))
        return changed, added, event, login

    changed, added, event, login = _statement(found, ("task", True), build)
    with write_session(desk.engine) as session:
        case_row = session.execute(changed, params).first()
        if case_row is None:
            return None
        params = {**params, "x_case": case_row.id, "x_policy": case_row.sla_policy_id}
        task = session.execute(added, params).one()
        params["x_data"] = {"task": task.id, "due": None}
        session.execute(event, params)
        assignee = session.execute(login, params).scalar_one()
        return _task_view((*task, case_row.number, assignee), now)


def _task_view(row: Any, now: datetime) -> TaskView:
    from casedesk.services.workflow.tasks import _view

    names = [c.name for c in _task.c]
    task = _Row(**dict(zip(names, row[:len(names)], strict=True)))
    return _view(task, row[len(names)], row[len(names) + 1], now)  # type: ignore[arg-type]


class _Row:
    """A task row's columns as attributes (what ``tasks._view`` reads)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


# --- a logged call (not on a case) ----------------------------------------------------------


_CALL_COLUMNS = ["channel", "direction", "typification", "contact_id", "agent_id", "case_id",
                 "started_at", "duration_seconds", "subject", "notes"]


def log_interaction(desk: Desk, actor: Actor, values: dict[str, Any]) -> InteractionView | None:
    """``interactions.log_interaction`` of a contact moment on no case, in one statement
    (the contact, when given, must exist: else None, and the transaction says so)."""
    found = fastpath.lookups(desk.engine)
    with_contact = values["contact_id"] is not None
    sqlite = is_sqlite(desk.engine)
    stmt = _statement(found, ("call", with_contact, sqlite),
                      lambda: _call_statement(with_contact, sqlite))
    params = {f"i_{k}": v for k, v in values.items()}
    row: Any
    if sqlite:
        insert_stmt, read = stmt
        with write_session(desk.engine) as session:
            new_id = session.execute(insert_stmt, params).scalar_one_or_none()
            if new_id is None:
                return None
            row = session.execute(read, {"i_id": new_id}).one()
    else:
        with desk.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            row = conn.execute(stmt, params).first()
        if row is None:
            return None
    from casedesk.services.queries.reads import interaction_view

    names = [c.name for c in _interaction.c]
    i = _Row(**dict(zip(names, row[:len(names)], strict=True)))
    return interaction_view(i, row[len(names)], row[len(names) + 1], None)  # type: ignore[arg-type]


def _call_statement(with_contact: bool, sqlite: bool) -> Any:
    source = select(*[bindparam(f"i_{c}", type_=_interaction.c[c].type) for c in _CALL_COLUMNS])
    if with_contact:
        source = source.where(exists().where(_contact.c.id == bindparam("i_contact_id")))
    added = insert(_interaction).from_select(_CALL_COLUMNS, source)
    if sqlite:
        read = (
            select(_interaction, _contact.c.name, _agent.c.name)
            .outerjoin(_contact, _contact.c.id == _interaction.c.contact_id)
            .outerjoin(_agent, _agent.c.id == _interaction.c.agent_id)
            .where(_interaction.c.id == bindparam("i_id"))
        )
        return added.returning(_interaction.c.id), read
    new = added.returning(*_interaction.c).cte("i")
    return (
        select(new, _contact.c.name, _agent.c.name)
        .select_from(new.outerjoin(_contact, _contact.c.id == new.c.contact_id)
                     .outerjoin(_agent, _agent.c.id == new.c.agent_id))
    )


# --- the resolution's mail --------------------------------------------------------------------


@dataclass
class MailFacts:
    """What the resolution mail needs besides the case, read with it."""

    name: str | None
    email: str | None
    extras: Any
    first: str | None
    latest: str | None
    references: str | None


def _mail_read() -> Any:
    """The read of a case with its contact and the customer's first and latest Message-IDs
    on it (and the References our mail with the latest one's id carried); binds
    ``x_number``."""
    mail = and_(
        _interaction.c.case_id == _case.c.id,
        _interaction.c.message_id.is_not(None),
        _interaction.c.direction == "inbound",
    )
    first = (select(_interaction.c.message_id).where(mail)
             .order_by(_interaction.c.started_at, _interaction.c.id)
             .limit(fixed_limit(1)).scalar_subquery())
    latest = (select(_interaction.c.message_id).where(mail)
              .order_by(_interaction.c.started_at.desc(), _interaction.c.id.desc())
              .limit(fixed_limit(1)).scalar_subquery())
    refs = (select(_outbox.c.references).where(_outbox.c.message_id == latest)
            .limit(fixed_limit(1)).scalar_subquery())
    return (
        select(Case, _contact.c.name, _contact.c.email, _contact.c.extras, first, latest, refs)
        .outerjoin(_contact, _contact.c.id == col(Case.contact_id))
        .where(col(Case.number) == bindparam("x_number", type_=_case.c.number.type))
    )


#: built once, at import
MAIL_READ = _mail_read()


def resolution_mail(current: Case, facts: MailFacts, notes: str,
                    now: datetime) -> dict[str, Any] | None:
    """The outbox row ``notify.customer_mail(…, "resolution")`` would queue, from facts
    read beforehand; ``{}``: no mail (nobody to send it to); None: the transaction must
    do it (it raises what is wrong)."""
    from casedesk.errors import ValidationError
    from casedesk.services.context import storable
    from casedesk.services.directory.addresses import check_email
    from casedesk.services.mail import outbox, texts
    from casedesk.services.numbers import case_label

    address = facts.email
    if not address:
        return {}
    try:
        language = texts.customer_language(facts.extras)
        name = facts.name or address.split("@", 1)[0]
        label = case_label(current.number)
        subject, body = texts.resolution(language, case=label, title=current.title, name=name,
                                         notes=notes or current.resolution_notes or "")
        checked = check_email(address, "")
        if checked is None:
            return None
        title = outbox._LINE_BREAKS.sub(" ", storable(subject, "")).strip()
        storable(body, "")
        if not outbox._CASE_TAG.search(title):
            title = f"{outbox.case_tag(current.number)} {title}".rstrip()
        in_reply_to = facts.latest
        references = [facts.first] if facts.first else []
        if in_reply_to:
            cleaned = outbox._LINE_BREAKS.sub("", in_reply_to).strip()[:500] or None
            if cleaned != in_reply_to:
                return None  # the transaction looks its references up by the cleaned id
            references.extend(facts.references.split() if facts.references else [])
            references.append(in_reply_to)
        chain: list[str] = []
        for ref in references:
            if ref not in chain:
                chain.append(ref)
        return {
            "kind": "resolution", "to_address": checked,
            "subject": storable(title, "", 500), "body": body,
            "message_id": outbox.new_message_id(label), "in_reply_to": in_reply_to,
            "references": " ".join(chain) or None, "status": "pending", "attempts": 0,
            "created_at": now,
        }
    except ValidationError:
        return None


def outbox_insert(changed: Any, row: dict[str, Any]) -> Any:
    """``INSERT INTO outbox … SELECT … FROM changed``: the mail only if the change is made."""
    names = list(row)
    values = [literal(row[c], _outbox.c[c].type) if row[c] is not None
              else cast(null(), _outbox.c[c].type) for c in names]
    return insert(_outbox).from_select(["case_id", *names],
                                       select(changed.c.id, *values)).cte("mail")


# --- a new case (PostgreSQL) --------------------------------------------------------------------


class _Transactional(Exception):
    """The routing strategy picks an agent (it may lock rows, move a cursor): the
    transaction creates this case."""


def _no_pick(session: Any, queue_id: int, strategy: str, **kwargs: Any) -> Any:
    """``assign.pick_agent`` for the strategies that pick nobody (manual, unknown);
    any other needs the transaction."""
    from casedesk.models import Strategy
    from casedesk.services.routing.assign import pick_agent

    if strategy == Strategy.manual or strategy not in {s.value for s in Strategy}:
        return pick_agent(session, queue_id, strategy, **kwargs)
    raise _Transactional


def _policy(found: Lookups, session: Any, *, priority: str, severity: str,
            account_id: int | None, queue_name: str | None) -> Any:
    """``clocks.choose_policy`` over the cached policies (no contract line here)."""
    from casedesk.models import Account

    tier = None
    if account_id is not None:
        account = session.get(Account, account_id)
        tier = account.tier if account else None
    facts = {"priority": priority, "severity": severity, "tier": tier, "contract": False,
             "queue": queue_name}
    active = sorted((p for p in found.policies.values() if p.active),
                    key=lambda p: (p.position, p.id or 0))
    for policy in active:
        conditions = policy.match or {}
        if all(clocks._matches(conditions.get(k), facts.get(k)) for k in facts):
            return policy
    return None


def create_case(desk: Desk, actor: Actor, now: datetime, *, title: str, description: str,
                area: str, priority: str, severity: str, contact_id: int | None,
                queue: str | None, channel: str | None) -> CaseDetail | None:
    """``cases.create_case`` without a contract line, parent or interaction, when the
    routing picks no agent: the routing rules, policies and queues from the per-engine
    cache, then the prebuilt INSERTs in one short write transaction: on PostgreSQL the
    case with its number from the sequence and what the screen shows in one statement,
    its ``create`` event in a second. None: the transaction does it."""
    from casedesk.models import Area, Priority, Severity, Status
    from casedesk.services.contracts import entitlements
    from casedesk.services.routing import rules
    from casedesk.services.routing.rules import NewCase

    title = (title or "").strip()
    description = description or ""
    area, priority, severity = (
        (v or "").strip().lower() for v in (area, priority, severity))
    if (not title or len(title) > 300 or unstorable(title) or unstorable(description)
            or area not in {m.value for m in Area} or priority not in {m.value for m in Priority}
            or severity not in {m.value for m in Severity}):
        return None
    found = fastpath.lookups(desk.engine)
    if found.rules is None:
        with read_session(desk.engine) as reading:
            found.rules = rules.RuleSet.load(reading)
    with _create_session(desk) as session:
        account_id = None
        if contact_id is not None:
            contact = session.get(Contact, contact_id)
            if contact is None:
                return None
            account_id = contact.account_id
        queue_row = None
        if queue is not None:
            queue_id = found.queues.get(queue)
            queue_row = found.queue_rows.get(queue_id) if queue_id is not None else None
            if queue_row is None:
                return None
        new = NewCase(title=title, description=description, area=area, priority=priority,
                      severity=severity, channel=channel, account_id=account_id,
                      contact_id=contact_id, contract_line_id=None)
        try:
            if queue_row is None:
                decision = rules.decide(session, new, now, rules=found.rules,
                                        picker=_no_pick)
            else:
                decision = rules.assign_in_queue(session, queue_row, new, now,
                                                 picker=_no_pick)
        except _Transactional:
            return None
        queue_id = queue_row.id if queue_row is not None else None
        queue_name = queue_row.name if queue_row is not None else None
        if decision is not None:
            queue_id, queue_name = decision.queue_id, decision.queue_name
            priority = decision.priority or priority
            severity = decision.severity or severity
        owner_id = decision.agent_id if decision is not None else None
        if queue_id is None:
            owner_id = actor.id
        if owner_id not in (None, actor.id):
            return None
        policy = _policy(found, session, priority=priority, severity=severity,
                         account_id=account_id, queue_name=queue_name)
        targets = found.targets.get(policy.id) if policy is not None else clocks.NO_POLICY
        if targets is None:
            return None
        case_row = Case(
            number=0, title=title, description=description, area=area, priority=priority,
            severity=severity, status=Status.new, channel=channel, contact_id=contact_id,
            account_id=account_id, contract_line_id=None,
            entitlement=entitlements.Entitlement.none.value, parent_id=None,
            queue_id=queue_id, owner_id=owner_id, creator_id=actor.id, created_at=now,
            updated_at=now, last_activity_at=now, due_at=clocks.FAR_FUTURE,
            first_response_at=None, sla_flags=0,
        )
        for key, value in clocks.deadlines(case_row, targets, now).items():
            setattr(case_row, key, value)
        params = {f"c_{c}": getattr(case_row, c) for c in _CASE_COLUMNS}
        params.update({
            "x_now": now, "x_me": actor.id,
            "x_note": decision.reason if decision is not None else None,
            "x_queue": queue_id, "x_owner": owner_id,
            "x_data": {"policy": targets.name, "from_interaction": None,
                       **({"routing": decision.event_data()} if decision else {}),
                       "entitlement": "none"},
        })
        if is_sqlite(desk.engine):  # without the ORM
            from casedesk.services.numbers import claim_numbers

            insert_case, insert_event = _statement(found, ("create", True),
                                                   _create_statements_sqlite)
            params["c_number"] = claim_numbers(session, "case")[0]
            params["x_case"] = session.execute(insert_case, params).scalar_one()
            session.execute(insert_event, params)
        else:
            # The event is a statement of its own: row security checks that its case
            # exists, and a statement does not see the rows its own CTEs insert.
            insert_case, insert_event = _statement(found, ("create", False), lambda: (
                _create_statement(), _create_statements_sqlite()[1]))
            row = session.execute(insert_case, params).one()
            params["x_case"] = row[0]  # (the case's id: detail_statement's first column)
            session.execute(insert_event, params)
            return detail_from_row(row, [])
    with read_session(desk.engine) as reading:  # SQLite, after COMMIT: the lock let go
        return case_detail(reading, params["x_case"])


@contextmanager
def _create_session(desk: Desk) -> Iterator[Session]:
    """One write transaction (SQLite: ``BEGIN IMMEDIATE``)."""
    with write_session(desk.engine) as session:
        yield session


def _event_columns() -> dict[str, Any]:
    """The create event's columns and their binds (``x_…``)."""
    from sqlalchemy import JSON

    return {
        "at": bindparam("x_now", type_=_event.c.at.type),
        "actor_id": bindparam("x_me", type_=_event.c.actor_id.type),
        "kind": literal("create", _event.c.kind.type),
        "note": bindparam("x_note", type_=_event.c.note.type),
        "data": bindparam("x_data", type_=JSON(none_as_null=True)),
        "to_queue_id": bindparam("x_queue", type_=_event.c.to_queue_id.type),
        "to_owner_id": bindparam("x_owner", type_=_event.c.to_owner_id.type),
        "to_status": literal("new", _event.c.to_status.type),
    }


def _create_statements_sqlite() -> tuple[Any, Any]:
    new = insert(_case).values(
        {"number": bindparam("c_number", type_=_case.c.number.type),
         **{c: bindparam(f"c_{c}", type_=_case.c[c].type) for c in _CASE_COLUMNS}}
    ).returning(_case.c.id)
    event = insert(_event).values(
        {"case_id": bindparam("x_case", type_=_event.c.case_id.type), **_event_columns()})
    return new, event


_CASE_COLUMNS = [c.name for c in _case.c if c.name not in ("id", "number")]


def _create_statement() -> Any:
    """The new case (its number from the sequence) and what ``case_detail`` shows of it."""
    new = (
        insert(_case)
        .from_select(
            ["number", *_CASE_COLUMNS],
            select(func.nextval("case_number_seq"),
                   *[bindparam(f"c_{c}", type_=_case.c[c].type) for c in _CASE_COLUMNS]),
        )
        .returning(*_case.c)
        .cte("created")
    )
    return detail_of(new)
