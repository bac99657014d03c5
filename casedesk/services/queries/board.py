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
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select

from casedesk.db import read_session
from casedesk.models import Agent, Case, Queue, QueueMember
from casedesk.models.cases import case_is_active
from casedesk.services.context import Desk, load_agent
from casedesk.services.queries import reads
from casedesk.services.queries.views import AgentLoad, CaseRow, QueueLoad, WarnTimes
from casedesk.services.sla import clocks
from casedesk.services.sla.clocks import Flag

#: How many waiting cases ``new`` and ``warning`` look at per queue.
SAMPLE = 10_000


def _warning_condition(now: datetime) -> Any:
    return and_(
        Case.due_at > now,
        or_(
            and_(Case.first_response_at.is_(None), Case.first_response_warn <= now),
            Case.next_response_warn <= now,
            and_(Case.status != "awaiting_customer", Case.resolution_warn <= now),
        ),
    )


def _waiting(queue_id: int) -> Any:
    return and_(Case.queue_id == queue_id, Case.owner_id.is_(None), case_is_active())


def queue_loads(desk: Desk, *, member: int | None = None) -> list[QueueLoad]:
    """Every queue (or those agent ``member`` belongs to) with its counts, by name."""
    now = desk.now()
    with read_session(desk.engine) as session:
        stmt = select(Queue).order_by(Queue.name)
        if member is not None:
            stmt = stmt.join(QueueMember, QueueMember.queue_id == Queue.id).where(
                QueueMember.agent_id == member
            )
        queues = session.execute(stmt).scalars().all()
        staffing = dict(
            (qid, (n, avail))
            for qid, n, avail in session.execute(
                select(
                    QueueMember.queue_id,
                    func.count(),
                    func.sum(case((Agent.status == "available", 1), else_=0)),
                )
                .join(Agent, Agent.id == QueueMember.agent_id)
                .where(Agent.active.is_(True))
                .group_by(QueueMember.queue_id)
            ).all()
        )
        loads = []
        for q in queues:
            waiting, breached = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Case.due_at <= now, 1), else_=0)), 0),
                ).where(_waiting(q.id))
            ).one()
            breached = int(breached)
            sample = (
                select(
                    Case.status.label("status"),
                    case((_warning_condition(now), 1), else_=0).label("warn"),
                )
                .where(_waiting(q.id), Case.due_at > now)
                .order_by(Case.due_at, Case.id)
                .limit(SAMPLE)
                .subquery()
            )
            warning, examined = session.execute(
                select(func.coalesce(func.sum(sample.c.warn), 0), func.count())
            ).one()
            new_sample = (
                select(literal(1).label("one"))
                .where(_waiting(q.id), Case.status == "new")
                .limit(SAMPLE)
                .subquery()
            )
            new = session.execute(select(func.count()).select_from(new_sample)).scalar_one()
            members, available = staffing.get(q.id, (0, 0))
            loads.append(
                QueueLoad(
                    id=q.id,  # type: ignore[arg-type]
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
                )
            )
        return loads


def agent_loads(desk: Desk, *, queue: str | None = None) -> list[AgentLoad]:
    """Active agents (or a queue's members) with status and WIP against capacity."""
    now = desk.now()
    with read_session(desk.engine) as session:
        stmt = select(Agent).where(Agent.active.is_(True)).order_by(Agent.name)
        if queue:
            qid = session.execute(select(Queue.id).where(Queue.name == queue)).scalar_one()
            stmt = stmt.join(QueueMember, QueueMember.agent_id == Agent.id).where(
                QueueMember.queue_id == qid
            )
        agents = session.execute(stmt).scalars().all()
        memberships: dict[int, list[str]] = {}
        for agent_id, name in session.execute(
            select(QueueMember.agent_id, Queue.name)
            .join(Queue, Queue.id == QueueMember.queue_id)
            .order_by(Queue.name)
        ).all():
            memberships.setdefault(agent_id, []).append(name)
        loads = []
        for a in agents:
            in_bin = and_(Case.owner_id == a.id, case_is_active())
            wip, breached = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Case.due_at <= now, 1), else_=0)), 0),
                ).where(in_bin)
            ).one()
            loads.append(
                AgentLoad(
                    id=a.id,  # type: ignore[arg-type]
                    login=a.login,
                    name=a.name,
                    role=a.role,
                    status=a.status,
                    active=a.active,
                    capacity=a.capacity,
                    wip=wip,
                    breached=int(breached),
                    queues=memberships.get(a.id, []),  # type: ignore[arg-type]
                )
            )
        return loads


def agent_cases(desk: Desk, login: str) -> list[CaseRow]:
    """An agent's WIP bin, nearest deadline first."""
    with read_session(desk.engine) as session:
        agent_id = load_agent(session, login).id
    return reads.wip_bin(desk, agent_id)  # type: ignore[arg-type]


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
                    Case.id,
                    Case.created_at,
                    Case.status,
                    Case.sla_flags,
                    Case.first_response_at,
                    Case.first_response_warn,
                    Case.next_response_warn,
                    Case.resolution_warn,
                ).where(Case.id.in_(chunk))
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
        tz = session.execute(select(Agent.timezone).where(Agent.id == agent_id)).scalar()
    return tz or "UTC"


def queue_names(desk: Desk) -> list[str]:
    """Every queue's name (targets of a transfer or a dispatch)."""
    with read_session(desk.engine) as session:
        return list(session.execute(select(Queue.name).order_by(Queue.name)).scalars())


def member_queues(desk: Desk, agent_id: int) -> list[tuple[str, bool]]:
    """The agent's queues by name, each with whether any case waits in it (an index probe
    per queue: cheap next to :func:`queue_loads` on a queue of a million cases)."""
    with read_session(desk.engine) as session:
        names = session.execute(
            select(Queue.id, Queue.name)
            .join(QueueMember, QueueMember.queue_id == Queue.id)
            .where(QueueMember.agent_id == agent_id)
            .order_by(Queue.name)
        ).all()
        out = []
        for queue_id, name in names:
            waiting = session.execute(
                select(Case.id).where(_waiting(queue_id)).limit(1)
            ).first()
            out.append((name, waiting is not None))
        return out
