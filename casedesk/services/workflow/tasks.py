"""Tasks: steps on a case (or standalone) with an assignee, a due time and SLA states.

* The due time is given as an instant (``due_at``) or as business time from now
  (``due_in``, e.g. ``"4h"``) on the case policy's calendar (24×7 UTC for standalone
  tasks or cases without a policy). Neither means no deadline.
* ``warn_at`` is the policy's warning percent of the business time between creation
  and the due time (80 % without a policy); like the case clocks it is the scan's next
  check (see :mod:`casedesk.services.sla.clocks`). ``inactivity_due`` is the policy's
  inactivity limit after creation.
* States: ``ok``, ``warning``, ``breached``, ``met`` (done on time). Done late is
  breached. Tasks do not pause: a task is internal work, not waiting on the customer.
* Adding and completing a task on a case is activity on that case: one case event
  (``task``) each, so the case's inactivity clock re-arms. Completing late records the
  breach (one ``sla_breach`` event) unless the scan already did.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, insert, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from casedesk.db import is_sqlite, read_session, write_session
from casedesk.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import Agent, Case, Task
from casedesk.models.base import saved_id
from casedesk.services.context import (
    Actor,
    Desk,
    is_member,
    load_agent,
    load_case,
    storable,
    storable_id,
)
from casedesk.services.numbers import case_label
from casedesk.services.queries.views import TaskView
from casedesk.services.sla import clocks
from casedesk.services.sla.clocks import ClockState, TaskFlag
from casedesk.services.sla.policy_files import parse_duration
from casedesk.services.workflow import fastwrites
from casedesk.services.workflow.changes import apply_change, record_event

#: The furthest a task may be due: ``due_in`` counts business time on the calendar,
#: ``due_at`` wall time (computing warnings over centuries of calendar would take minutes).
MAX_DUE_IN = timedelta(days=366)
MAX_DUE_AHEAD = timedelta(days=3653)


def task_state(task: Any, now: datetime) -> ClockState | None:
    """The state of a task (a row or a :class:`TaskView`-like object) at ``now``."""
    flags = int(getattr(task, "sla_flags", 0) or 0)
    status = getattr(task, "status", "open")
    due = getattr(task, "due_at", None)
    if flags & TaskFlag.BREACHED:
        return ClockState.breached
    if status == "done":
        return ClockState.met
    if status != "open" or due is None:
        return None
    if now >= due:
        return ClockState.breached
    warn = getattr(task, "warn_at", None)
    if flags & TaskFlag.WARNED or (warn is not None and now >= warn):
        return ClockState.warning
    return ClockState.ok


def _view(task: Task, number: int | None, assignee: str | None, now: datetime) -> TaskView:
    state = task_state(task, now)
    return TaskView(
        id=saved_id(task.id),
        case=case_label(number) if number is not None else None,
        title=task.title,
        description=task.description,
        assignee=assignee,
        status=task.status,
        state=state.value if state else None,
        created_at=task.created_at,
        due_at=task.due_at,
        completed_at=task.completed_at,
    )


def _may_work_on(session: Session, actor: Actor, case: Case) -> bool:
    return (
        actor.is_supervisor
        or case.owner_id == actor.id
        or (case.owner_id is None and is_member(session, actor.id, case.queue_id))
    )


def add_task(
    desk: Desk,
    actor: Actor,
    *,
    title: str,
    case: int | str | None = None,
    assignee: str | None = None,
    due_at: datetime | None = None,
    due_in: str | timedelta | None = None,
    description: str = "",
) -> TaskView:
    """Add a task on a case (its owner, a member of its queue, or a supervisor) or alone."""
    title = storable((title or "").strip(), N_("the title"), 300)
    if not title:
        raise ValidationError(_("a task needs a title"))
    storable(description or "", N_("the description"))
    if due_at is not None and due_in is not None:
        raise ValidationError(_("give the due time as an instant or as a duration, not both"))
    if due_at is not None and due_at.tzinfo is None:
        raise ValidationError(_("the due time needs a time zone"))
    now = desk.now()
    if due_at is not None and due_at <= now:
        raise ValidationError(_("the due time is in the past"))
    if due_at is not None and due_at - now > MAX_DUE_AHEAD:
        raise ValidationError(
            _("the due time {day} is more than {years} years away").format(
                day=f"{due_at:%Y-%m-%d}", years=MAX_DUE_AHEAD.days // 365)
        )
    if case is not None and assignee is None and due_at is None and due_in is None:
        done = fastwrites.add_task(desk, actor, case, title, description, now)
        if done is not None:
            return done
    with write_session(desk.engine) as session:
        case_row = load_case(session, case, lock=True) if case is not None else None
        if case_row is not None:
            if case_row.status not in clocks.OPEN:
                raise InvalidTransition(
                    _("{case} is {status}: reopen it to add tasks").format(
                        case=case_label(case_row.number), status=label("status", case_row.status))
                )
            if not _may_work_on(session, actor, case_row):
                raise PermissionDenied(
                    _("{case} is not yours: accept it before adding tasks").format(
                        case=case_label(case_row.number))
                )
        assignee_row = load_agent(session, assignee) if assignee else None
        if assignee_row is not None and not assignee_row.active:
            raise ValidationError(_("agent {login} is deactivated").format(
                login=repr(assignee_row.login)))
        targets = clocks.load_targets(session, case_row.sla_policy_id if case_row else None)
        cal = targets.calendar
        if due_in is not None:
            try:
                span = (
                    due_in if isinstance(due_in, timedelta)
                    else parse_duration(due_in, N_("due in"))
                )
            except OverflowError:
                span = MAX_DUE_IN * 2  # refused just below, with the limit
            if span <= timedelta(0):
                raise ValidationError(_("a task's duration must be positive"))
            if span > MAX_DUE_IN:
                raise ValidationError(
                    _("due in: {due_in} is more than {days} days of business time").format(
                        due_in=due_in, days=MAX_DUE_IN.days)
                )
            due_at = cal.add(now, span)
        task_id = insert_task(
            session,
            actor,
            now,
            case_row=case_row,
            targets=targets,
            title=title,
            description=description,
            assignee_id=assignee_row.id if assignee_row else actor.id,
            due_at=due_at,
        )
        return _load_view(session, task_id, now)


def insert_task(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    case_row: Case | None,
    targets: clocks.PolicyTargets,
    title: str,
    description: str = "",
    assignee_id: int | None,
    due_at: datetime | None,
    position: int = 0,
    data: dict[str, Any] | None = None,
) -> int:
    """Insert one checked task in the caller's transaction; on a case, its one ``task`` event
    (an append: the version goes up by one). ``warn_at`` and ``inactivity_due`` come from
    ``targets`` (the case's policy). ``data`` is added to the event's data. Returns its id."""
    cal = targets.calendar
    warn_at = None
    if due_at is not None:
        warn_at = cal.add(now, cal.elapsed(now, due_at) * (targets.warning_percent / 100))
    inactivity = cal.add(now, targets.inactivity) if targets.inactivity else None
    task_id: int = session.execute(
        insert(Task)
        .values(
            case_id=case_row.id if case_row else None,
            title=title,
            description=(description or "").strip(),
            assignee_id=assignee_id,
            status="open",
            position=position,
            created_at=now,
            due_at=due_at,
            warn_at=warn_at,
            inactivity_due=inactivity,
            last_activity_at=now,
            sla_flags=0,
        )
        .returning(col(Task.id))
    ).scalar_one()
    if case_row is not None:
        apply_change(
            session,
            case_row,
            actor,
            now,
            kind="task",
            values={},
            note=f"task added: {title}",
            data={"task": task_id, "due": due_at.isoformat() if due_at else None, **(data or {})},
            append=True,
        )
    return task_id


def complete_task(desk: Desk, actor: Actor, task_id: int) -> TaskView:
    """Mark a task done (its assignee, the case's owner or a supervisor): met or breached."""
    now = desk.now()
    with write_session(desk.engine) as session:
        task = session.get(Task, storable_id(task_id, "task"))
        if task is None:
            raise NotFound(_("no task {id}").format(id=task_id))
        if task.status != "open":
            raise InvalidTransition(_("task {id} is already {status}").format(
                id=task_id, status=label("task_status", task.status)))
        case_row: Case | None = None
        if task.case_id:  # locked, as for every append (see changes.apply_change)
            stmt = select(Case).where(col(Case.id) == task.case_id)
            if not is_sqlite(session.get_bind()):
                stmt = stmt.with_for_update(key_share=True)
            case_row = session.scalars(stmt).one()
        allowed = (
            actor.is_supervisor
            or task.assignee_id in (None, actor.id)
            or (case_row is not None and case_row.owner_id == actor.id)
        )
        if not allowed:
            raise PermissionDenied(_("task {id} is assigned to somebody else").format(id=task_id))
        late = task.due_at is not None and now > task.due_at
        newly_breached = late and not task.sla_flags & TaskFlag.BREACHED
        bits = TaskFlag.BREACHED | TaskFlag.WARNED if late else TaskFlag.MET
        # an UPDATE's result is a CursorResult (it has the rowcount)
        done = cast(
            CursorResult[Any],
            session.execute(
                update(Task)
                .where(col(Task.id) == task_id, col(Task.status) == "open")
                .values(
                    status="done",
                    completed_at=now,
                    last_activity_at=now,
                    warn_at=None,
                    inactivity_due=None,
                    sla_flags=col(Task.sla_flags).bitwise_or(int(bits)).self_group(),
                )
            ),
        )
        if done.rowcount != 1:
            raise InvalidTransition(_("task {id} was completed by somebody else just now").format(
                id=task_id))
        if case_row is not None:
            apply_change(
                session,
                case_row,
                actor,
                now,
                kind="task",
                values={},
                note=f"task done: {task.title}" + (" (late)" if late else ""),
                data={"task": task_id, "done": True},
                append=True,
            )
            if newly_breached:
                record_event(
                    session,
                    case_id=saved_id(case_row.id),
                    at=now,
                    actor_id=None,
                    kind="sla_breach",
                    note=f"task “{task.title}” breached (done late)",
                    data=clocks.clock_data("task", task.due_at, task=task_id, title=task.title),
                )
        return _load_view(session, task_id, now)


def list_tasks(
    desk: Desk,
    *,
    case: int | str | None = None,
    assignee: str | None = None,
    include_done: bool = False,
    limit: int = 200,
) -> list[TaskView]:
    """Tasks, soonest due first (no due time last), optionally of one case or assignee."""
    now = desk.now()
    with read_session(desk.engine) as session:
        stmt = _task_select()
        if case is not None:
            stmt = stmt.where(col(Task.case_id) == load_case(session, case).id)
        if assignee is not None:
            stmt = stmt.where(col(Task.assignee_id) == load_agent(session, assignee).id)
        if not include_done:
            stmt = stmt.where(col(Task.status) == "open")
        stmt = stmt.order_by(
            col(Task.due_at).is_(None), col(Task.due_at), col(Task.position), col(Task.id)
        )
        stmt = stmt.limit(limit)
        return [_view(t, n, a, now) for t, n, a in session.execute(stmt).all()]


_Assignee = aliased(Agent)


def _task_select() -> Select[Task, int, str]:
    """A task, its case's number and its assignee's login (both None when there is none)."""
    return (
        select(Task, col(Case.number), col(_Assignee.login))
        .outerjoin(Case, col(Case.id) == col(Task.case_id))
        .outerjoin(_Assignee, col(_Assignee.id) == col(Task.assignee_id))
    )


def _load_view(session: Session, task_id: int, now: datetime) -> TaskView:
    row = session.execute(
        _task_select().where(col(Task.id) == task_id).execution_options(populate_existing=True)
    ).one()
    return _view(row[0], row[1], row[2], now)
