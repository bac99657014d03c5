"""The supervisor's and the inbox's overview: queue load and SLA health, agents' load.

Counting is kept cheap on queues of a million cases:

* ``waiting`` and ``breached`` are exact and answered from the inbox index
  (``queue_id, due_at, id`` over waiting cases): a count of a range, no row reads.
* ``new`` (never touched: status ``new``) and ``warning`` need each row's status or
  warning times, so they look at no more than :data:`SAMPLE` waiting cases — the ones
  nearest their deadline, where warnings are. When more were waiting the count is a
  lower bound and ``*_capped`` says so (shown as ``10,000+``).

Warning means: a running deadline's warning time has passed but the deadline has not
(``first_response_warn`` while the first response is pending, ``next_response_warn``,
``resolution_warn`` unless the case is awaiting the customer).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from casedesk.db import read_session
from casedesk.i18n import _
from casedesk.models import Agent, Case, CaseEvent, Queue, QueueMember, Strategy
from casedesk.models.base import fixed_limit, saved_id
from casedesk.models.cases import case_is_active
from casedesk.services.context import Actor, Desk, load_agent
from casedesk.services.numbers import case_label
from casedesk.services.queries import reads
from casedesk.services.queries.views import (
    AgentLoad,
    CaseRow,
    ClockStatus,
    FlaggedCase,
    FlaggedCases,
    QueueLoad,
    WarnTimes,
)
from casedesk.services.sla import clocks, lease
from casedesk.services.sla.clocks import Flag

#: How many waiting cases ``new`` and ``warning`` look at per queue.
SAMPLE = 10_000


def _warning_condition(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(Case.due_at) > now,
        or_(
            and_(col(Case.first_response_at).is_(None), col(Case.first_response_warn) <= now),
            col(Case.next_response_warn) <= now,
            and_(col(Case.status) != "awaiting_customer", col(Case.resolution_warn) <= now),
        ),
    )


def _waiting(queue_id: int | None) -> ColumnElement[bool]:
    return and_(col(Case.queue_id) == queue_id, col(Case.owner_id).is_(None), case_is_active())


def _wait_reason(session: Session, queue_id: int) -> str | None:
    """Why the most urgent waiting case was not given to anybody: the routing reason
    recorded on its create event (two index probes; None when none was recorded)."""
    first = session.execute(
        select(col(Case.id)).where(_waiting(queue_id)).order_by(col(Case.due_at), col(Case.id))
        .limit(fixed_limit(1))
    ).scalar_one_or_none()
    if first is None:
        return None
    data = session.execute(
        select(col(CaseEvent.data))
        .where(col(CaseEvent.case_id) == first, col(CaseEvent.kind) == "create")
        .limit(fixed_limit(1))
    ).scalar_one_or_none()
    routing = data.get("routing") if isinstance(data, dict) else None
    reason = routing.get("reason") if isinstance(routing, dict) else None
    if not isinstance(reason, str):
        return None
    queue = routing.get("queue") if isinstance(routing, dict) else None
    return reason.removeprefix(f"queue {queue}: ")  # the line names the queue already


def _team_of(session: Session, viewer: Actor | None) -> tuple[bool, int | None]:
    """(filter by team?, the viewer's team): a supervisor sees only their team's queues,
    agents and cases (None: the desk's own); admins and callers without a viewer see all.
    On PostgreSQL row-level security hides the other teams' cases anyway; this keeps the
    board's lists (queues, agents) the same on both databases."""
    if viewer is None or viewer.is_admin:
        return False, None
    team = session.execute(
        select(col(Agent.team_id)).where(col(Agent.id) == viewer.id)
    ).scalar_one_or_none()
    return True, team


def _same_team(column: Any, team: int | None) -> ColumnElement[bool]:
    return col(column).is_(None) if team is None else col(column) == team


def queue_loads(
    desk: Desk, *, member: int | None = None, viewer: Actor | None = None
) -> list[QueueLoad]:
    """Every queue (or those agent ``member`` belongs to) with its counts, by name;
    ``viewer``: only their team's (:func:`_team_of`)."""
    now = desk.now()
    with read_session(desk.engine) as session:
        stmt = select(Queue).order_by(col(Queue.name))
        by_team, team = _team_of(session, viewer)
        if by_team:
            stmt = stmt.where(_same_team(Queue.team_id, team))
        if member is not None:
            stmt = stmt.join(QueueMember, col(QueueMember.queue_id) == col(Queue.id)).where(
                col(QueueMember.agent_id) == member
            )
        queues = session.execute(stmt).scalars().all()
        staffing = dict(
            (qid, (n, avail))
            for qid, n, avail in session.execute(
                select(
                    col(QueueMember.queue_id),
                    func.count(),
                    func.sum(case((col(Agent.status) == "available", 1), else_=0)),
                )
                .join(Agent, col(Agent.id) == col(QueueMember.agent_id))
                .where(col(Agent.active).is_(True))
                .group_by(col(QueueMember.queue_id))
            ).all()
        )
        loads = []
        for q in queues:
            waiting, breached = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((col(Case.due_at) <= now, 1), else_=0)), 0),
                ).where(_waiting(q.id))
            ).one()
            breached = int(breached)
            sample = (
                select(
                    col(Case.status).label("status"),
                    case((_warning_condition(now), 1), else_=0).label("warn"),
                )
                .where(_waiting(q.id), col(Case.due_at) > now)
                .order_by(col(Case.due_at), col(Case.id))
                .limit(SAMPLE)
                .subquery()
            )
            warning, examined = session.execute(
                select(func.coalesce(func.sum(sample.c.warn), 0), func.count())
            ).one()
            new_sample = (
                select(literal(1).label("one"))
                .where(_waiting(q.id), col(Case.status) == "new")
                .limit(SAMPLE)
                .subquery()
            )
            new = session.execute(select(func.count()).select_from(new_sample)).scalar_one()
            members, available = staffing.get(q.id, (0, 0))
            loads.append(
                QueueLoad(
                    id=saved_id(q.id),
                    name=q.name,
                    area=q.area,
                    waiting=waiting,
                    new=new,
                    new_capped=new >= SAMPLE,
                    warning=int(warning),
                    warning_capped=examined >= SAMPLE and waiting - breached > SAMPLE,
                    breached=breached,
                    members=int(members),
                    available=int(available or 0),
                    strategy=q.strategy,
                    wait_reason=(
                        _wait_reason(session, saved_id(q.id))
                        if waiting and q.strategy != Strategy.manual
                        else None
                    ),
                )
            )
        return loads


def agent_loads(
    desk: Desk, *, queue: str | None = None, viewer: Actor | None = None
) -> list[AgentLoad]:
    """Active agents (or a queue's members) with status and WIP against capacity;
    ``viewer``: only their team's (:func:`_team_of`)."""
    now = desk.now()
    with read_session(desk.engine) as session:
        stmt = select(Agent).where(col(Agent.active).is_(True)).order_by(col(Agent.name))
        by_team, team = _team_of(session, viewer)
        if by_team:
            stmt = stmt.where(_same_team(Agent.team_id, team))
        if queue:
            qid = session.execute(
                select(col(Queue.id)).where(col(Queue.name) == queue)
            ).scalar_one()
            stmt = stmt.join(QueueMember, col(QueueMember.agent_id) == col(Agent.id)).where(
                col(QueueMember.queue_id) == qid
            )
        agents = session.execute(stmt).scalars().all()
        memberships: dict[int, list[str]] = {}
        for agent_id, name in session.execute(
            select(col(QueueMember.agent_id), col(Queue.name))
            .join(Queue, col(Queue.id) == col(QueueMember.queue_id))
            .order_by(col(Queue.name))
        ).all():
            memberships.setdefault(agent_id, []).append(name)
        loads = []
        for a in agents:
            in_bin = and_(col(Case.owner_id) == a.id, case_is_active())
            wip, breached = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((col(Case.due_at) <= now, 1), else_=0)), 0),
                ).where(in_bin)
            ).one()
            loads.append(
                AgentLoad(
                    id=saved_id(a.id),
                    login=a.login,
                    name=a.name,
                    role=a.role,
                    status=a.status,
                    active=a.active,
                    capacity=a.capacity,
                    wip=wip,
                    breached=int(breached),
                    queues=memberships.get(saved_id(a.id), []),
                    status_at=a.status_at,
                )
            )
        return loads


def agent_cases(desk: Desk, login: str) -> list[CaseRow]:
    """An agent's WIP bin, nearest deadline first."""
    with read_session(desk.engine) as session:
        agent_id = load_agent(session, login).id
    return reads.wip_bin(desk, saved_id(agent_id))


def _effective(
    warn: datetime | None, created: datetime, flags: int, bit: Flag, running: bool
) -> datetime | None:
    if not running:
        return None
    return created if (flags or 0) & bit else warn


def warn_times(desk: Desk, case_ids: Iterable[int]) -> dict[int, WarnTimes]:
    """When each running clock of these cases warns (one primary-key lookup each).

    A clock whose warning was already recorded (its ``*_WARNED`` bit) warns "since it was
    created"; the ``*_warn`` columns then hold the scan's next check, not the warning.
    """
    ids = sorted(set(case_ids))
    out: dict[int, WarnTimes] = {}
    if not ids:
        return out
    with read_session(desk.engine) as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in session.execute(
                select(
                    col(Case.id),
                    col(Case.created_at),
                    col(Case.status),
                    col(Case.sla_flags),
                    col(Case.first_response_at),
                    col(Case.first_response_warn),
                    col(Case.next_response_warn),
                    col(Case.resolution_warn),
                ).where(col(Case.id).in_(chunk))
            ).all():
                cid, created, status, flags, fr_at, fr, nr, res = row
                is_open = status in clocks.OPEN
                out[cid] = WarnTimes(
                    _effective(fr, created, flags, Flag.FIRST_RESPONSE_WARNED,
                               is_open and fr_at is None),
                    _effective(nr, created, flags, Flag.NEXT_RESPONSE_WARNED, is_open),
                    _effective(res, created, flags, Flag.RESOLUTION_WARNED,
                               status in clocks.RUNNING),
                )
    return out


def agent_timezone(desk: Desk, agent_id: int) -> str:
    """The IANA time zone the agent's times are shown in."""
    with read_session(desk.engine) as session:
        tz = session.execute(select(col(Agent.timezone)).where(col(Agent.id) == agent_id)).scalar()
    return tz or "UTC"


def queue_names(desk: Desk) -> list[str]:
    """Every queue's name (targets of a transfer or a dispatch)."""
    with read_session(desk.engine) as session:
        return list(session.execute(select(col(Queue.name)).order_by(col(Queue.name))).scalars())


def member_queues(desk: Desk, agent_id: int) -> list[tuple[str, bool]]:
    """The agent's queues by name, each with whether any case waits in it (an index probe
    per queue: cheap next to :func:`queue_loads` on a queue of a million cases)."""
    with read_session(desk.engine) as session:
        names = session.execute(
            select(col(Queue.id), col(Queue.name))
            .join(QueueMember, col(QueueMember.queue_id) == col(Queue.id))
            .where(col(QueueMember.agent_id) == agent_id)
            .order_by(col(Queue.name))
        ).all()
        out = []
        for queue_id, name in names:
            waiting = session.execute(
                select(col(Case.id)).where(_waiting(queue_id)).limit(fixed_limit(1))
            ).first()
            out.append((name, waiting is not None))
        return out


# --- the clock and what it flagged (issue 12) ----------------------------------------


def clock_status(
    desk: Desk, *, tick_seconds: float, tz: tzinfo | None = None, name: str = lease.SLA_JOB
) -> ClockStatus:
    """When the SLA clock last ran, by whom, how long it took, and whether it is late (no
    tick for more than two intervals). ``tick_seconds``: the configured interval, used
    until a runner has recorded its own; ``tz``: the sentence's time zone (the system's
    when None)."""
    now = desk.now()
    with read_session(desk.engine) as session:
        row = lease.lease_row(session, name)
    report = (row.last_report if row is not None else None) or {}
    interval = float(report.get("tick_seconds") or tick_seconds)
    counts = report.get("counts")
    summary = (lease.scan_summary(counts) if isinstance(counts, dict)
               else _("nothing recorded yet"))
    last_run_at = row.last_run_at if row is not None else None
    late = last_run_at is None or now - last_run_at > lease.late_after(interval)
    last_seconds = row.last_seconds if row is not None else None
    last_run_by = row.last_run_by if row is not None else None
    sentence = lease.clock_sentence(
        last_run_at=last_run_at,
        last_run_by=last_run_by,
        last_seconds=last_seconds,
        summary=summary,
        late=late,
        tick_seconds=interval,
        now=now,
        local=lambda at: at.astimezone(tz).strftime("%d/%m %H:%M:%S %Z"),
    )
    return ClockStatus(
        job=name,
        holder=row.holder if row is not None else None,
        holder_until=row.holder_until if row is not None else None,
        last_tick=row.last_tick if row is not None else 0,
        last_run_at=last_run_at,
        last_run_by=last_run_by,
        last_seconds=last_seconds,
        tick_seconds=interval,
        summary=summary,
        late=late,
        checked_at=now,
        sentence=sentence,
    )


def _bit_set(bit: int) -> ColumnElement[bool]:
    """``(sla_flags & BIT) <> 0`` with the bit inline."""
    masked = col(Case.sla_flags).op("&")(literal_column(str(int(bit)))).self_group()
    return masked != literal_column("0")


def flagged_cases(
    desk: Desk, *, limit: int = 20, viewer: Actor | None = None
) -> FlaggedCases:
    """The newest open cases the scan escalated to the supervisor (the ``ESCALATED`` bit)
    and those still inactive (the ``INACTIVE`` bit, not re-armed by new activity).

    Newest first by id, ``limit`` of each, read from the partial indexes over the two bits
    (``ix_case_escalated``, ``ix_case_inactive``): a few index entries however many cases
    are open (measured in ``bench/clock.py``).
    """
    owner = aliased(Agent, name="owner")
    base = (
        select(
            col(Case.number),
            col(Case.title),
            col(Case.status),
            col(Case.priority),
            col(Queue.name),
            col(owner.login),
            col(Case.last_activity_at),
            col(Case.updated_at),
        )
        .outerjoin(Queue, col(Queue.id) == col(Case.queue_id))
        .outerjoin(owner, col(owner.id) == col(Case.owner_id))
        .where(col(Case.status).in_(clocks.OPEN))
        .order_by(col(Case.id).desc())
        .limit(limit + 1)
    )
    # Literal bits, written as the partial indexes ix_case_escalated / ix_case_inactive say
    # (a bound parameter would hide from the planner that the index covers the rows).
    escalated_only = _bit_set(Flag.ESCALATED)
    inactive_only = and_(
        _bit_set(Flag.INACTIVE),
        col(Case.inactivity_due).is_(None),
    )
    with read_session(desk.engine) as session:
        by_team, team = _team_of(session, viewer)
        if by_team:
            base = base.where(_same_team(Queue.team_id, team))
        lists = [
            [
                FlaggedCase(case_label(number), title, status, priority, queue, login, act, upd)
                for number, title, status, priority, queue, login, act, upd in session.execute(
                    base.where(condition)
                ).all()
            ]
            for condition in (escalated_only, inactive_only)
        ]
    escalated, inactive = lists
    return FlaggedCases(
        escalated=escalated[:limit],
        inactive=inactive[:limit],
        escalated_more=len(escalated) > limit,
        inactive_more=len(inactive) > limit,
    )
