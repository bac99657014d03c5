"""Queue strategies: which available agent under capacity gets a routed case.

``pick_agent`` is called inside the creating transaction (by ``rules.decide``, and by
``open_case`` for a case created straight into a queue) and answers either a :class:`Pick`
(the agent, and why them: "least loaded: 2 of 8") or a :class:`NoPick` (why nobody: "no
member of billing is available", "all 3 available members of billing are at capacity").

The strategies (DESIGN §Routing):

- ``manual`` — nobody: the case waits in the queue to be pulled.
- ``round_robin`` — the next available member under capacity after the queue's
  ``last_assigned_id``, in login order, wrapping around; the cursor moves in the same
  transaction.
- ``least_loaded`` — the fewest open cases (the bin: owner is the agent, status active)
  relative to capacity.
- ``skills`` — the area's required skills (:class:`CategorySkill`) plus the rule's
  ``required_skills`` must all be among the agent's skills (compared ignoring case); then
  least loaded among those who have them.
- ``affinity`` — the agent who last worked this customer, if available and under
  capacity; else least loaded (the reason says why the usual agent was passed over).
  "Last worked" is the owner of the contact's most recently updated case that has one.

Only active members of the queue whose status is ``available`` and who hold fewer open
cases than their capacity are considered. Ties are broken deterministically: the lower
share of capacity, then fewer open cases, then login.

Concurrency: on PostgreSQL the candidates' agent rows are locked (``FOR NO KEY UPDATE``,
in id order, so two pickers never deadlock) *before* their open cases are counted, so two
cases created at once cannot both take an agent's last slot; round robin also locks the
queue row first, so its cursor moves one case at a time. SQLite's write transactions
(``BEGIN IMMEDIATE``) are serial already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from casedesk.models import Agent, AgentStatus, Case, CategorySkill, Queue, QueueMember, Strategy
from casedesk.models.base import fixed_limit
from casedesk.models.cases import case_is_active


@dataclass(frozen=True)
class Pick:
    """The agent a strategy chose, and why (said on the case's timeline)."""

    agent_id: int
    login: str
    reason: str


@dataclass(frozen=True)
class NoPick:
    """Nobody was chosen: the case waits in its queue; ``reason`` says why."""

    reason: str


@dataclass(frozen=True)
class _Member:
    """A queue member as the strategies weigh them."""

    id: int
    login: str
    skills: frozenset[str]
    capacity: int
    status: str
    load: int

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    def order(self) -> tuple[Fraction, int, str]:
        """Least loaded first: share of capacity, then open cases, then login."""
        return (Fraction(self.load, self.capacity) if self.capacity else Fraction(1),
                self.load, self.login)

    def load_text(self) -> str:
        return f"{self.load} of {self.capacity}"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name != "sqlite"


def _members(session: Session, queue_id: int) -> list[_Member]:
    """The queue's active members in login order, with their open cases counted.

    On PostgreSQL the available ones' rows are locked first (and their status read
    again), so their counts cannot change under us before this transaction commits.
    """
    rows = session.execute(
        select(col(Agent.id), col(Agent.login), col(Agent.skills), col(Agent.capacity),
               col(Agent.status))
        .join(QueueMember, col(QueueMember.agent_id) == col(Agent.id))
        .where(col(QueueMember.queue_id) == queue_id, col(Agent.active).is_(True))
        .order_by(col(Agent.login))
    ).all()
    status = {agent_id: state for agent_id, _, _, _, state in rows}
    available = sorted(i for i, state in status.items() if state == AgentStatus.available)
    if available and _is_postgres(session):
        status.update(
            session.execute(
                select(col(Agent.id), col(Agent.status))
                .where(col(Agent.id).in_(available))
                .order_by(col(Agent.id))
                .with_for_update(key_share=True)
            ).all()
        )
    loads: dict[int, int] = {}
    if available:
        loads = dict(
            session.execute(
                select(col(Case.owner_id), func.count())
                .where(col(Case.owner_id).in_(available), col(Case.owner_id).is_not(None),
                       case_is_active())
                .group_by(col(Case.owner_id))
            ).all()
        )
    return [
        _Member(
            id=agent_id,
            login=login,
            skills=frozenset(s.casefold() for s in skills or ()),
            capacity=capacity,
            status=status[agent_id],
            load=loads.get(agent_id, 0),
        )
        for agent_id, login, skills, capacity, _ in rows
    ]


def _count(n: int, one: str, many: str) -> str:
    return one if n == 1 else many.format(n=n)


def _full(name: str, n: int, extra: str = "") -> NoPick:
    who = _count(n, f"the only available member of {name}{extra} is",
                 f"all {{n}} available members of {name}{extra} are")
    return NoPick(f"{who} at capacity")


def _ready(members: list[_Member], name: str, extra: str = "") -> list[_Member] | NoPick:
    """The available members with room, or why there are none."""
    available = [m for m in members if m.status == AgentStatus.available]
    if not available:
        return NoPick(f"no member of {name}{extra} is available")
    ready = [m for m in available if m.has_room]
    return ready or _full(name, len(available), extra)


def _least_loaded(ready: list[_Member], prefix: str = "") -> Pick:
    best = min(ready, key=_Member.order)
    return Pick(best.id, best.login, f"{prefix}least loaded: {best.load_text()}")


def _round_robin(session: Session, queue: Queue, members: list[_Member]) -> Pick | NoPick:
    ready = _ready(members, queue.name)
    if isinstance(ready, NoPick):
        return ready
    last = None
    if queue.last_assigned_id is not None:
        last = session.execute(
            select(col(Agent.login)).where(col(Agent.id) == queue.last_assigned_id)
        ).scalar_one_or_none()
    later = [m for m in ready if last is None or m.login > last]
    chosen = later[0] if later else ready[0]  # wrap around to the first in login order
    session.execute(
        update(Queue)
        .where(col(Queue.id) == queue.id)
        .values(last_assigned_id=chosen.id)
        .execution_options(synchronize_session=False)
    )
    turn = f"next after {last}" if last else "first in turn"
    return Pick(chosen.id, chosen.login, f"round robin: {turn}, {chosen.load_text()}")


def required_skills_of(session: Session, area: str, extra: Sequence[str] = ()) -> list[str]:
    """The skills a case of ``area`` needs (its category's, plus ``extra``), sorted."""
    skills = session.execute(
        select(col(CategorySkill.skills)).where(col(CategorySkill.area) == area)
    ).scalar_one_or_none()
    return sorted({s.strip().casefold() for s in [*(skills or ()), *extra] if s.strip()})


def _skills(
    session: Session, queue: Queue, members: list[_Member], area: str, extra: Sequence[str]
) -> Pick | NoPick:
    needed = required_skills_of(session, area, extra)
    if not needed:
        ready = _ready(members, queue.name)
        if isinstance(ready, NoPick):
            return ready
        return _least_loaded(ready, "skills: none required; ")
    shown = ", ".join(needed)
    skilled = [m for m in members if set(needed) <= m.skills]
    if not skilled:
        return NoPick(f"nobody in {queue.name} has the skills {shown}")
    ready = _ready(skilled, queue.name, f" with the skills {shown}")
    if isinstance(ready, NoPick):
        return ready
    return _least_loaded(ready, f"skills {shown}; ")


def last_worker_of(session: Session, contact_id: int) -> int | None:
    """The owner of the contact's most recently updated case that has an owner."""
    return session.execute(
        select(col(Case.owner_id))
        .where(col(Case.contact_id) == contact_id, col(Case.owner_id).is_not(None))
        .order_by(col(Case.updated_at).desc(), col(Case.id).desc())
        .limit(fixed_limit(1))
    ).scalar_one_or_none()


def _affinity(
    session: Session, queue: Queue, members: list[_Member], contact_id: int | None
) -> Pick | NoPick:
    previous = last_worker_of(session, contact_id) if contact_id is not None else None
    ready = _ready(members, queue.name)
    if previous is None:
        why = "no earlier case of this customer had an owner"
    else:
        known = next((m for m in members if m.id == previous), None)
        if known is None:
            login = session.execute(
                select(col(Agent.login)).where(col(Agent.id) == previous)
            ).scalar_one_or_none()
            who = login or "the last agent"
            why = f"{who} last worked this customer but is not in {queue.name}"
        elif known.status != AgentStatus.available:
            why = f"{known.login} last worked this customer but is {known.status}"
        elif not known.has_room:
            why = f"{known.login} last worked this customer but is at capacity"
        else:
            return Pick(known.id, known.login,
                        f"affinity: {known.login} last worked this customer, "
                        f"{known.load_text()}")
    if isinstance(ready, NoPick):
        return NoPick(f"affinity: {why}; {ready.reason}")
    return _least_loaded(ready, f"affinity: {why}; ")


def pick_agent(
    session: Session,
    queue_id: int,
    strategy: str,
    *,
    area: str,
    contact_id: int | None,
    required_skills: Sequence[str] = (),
    now: datetime,
) -> Pick | NoPick:
    """Choose an agent of queue ``queue_id`` for a new case by ``strategy``.

    Runs in the caller's write transaction (it may lock rows and move the round-robin
    cursor); the caller puts the case in the chosen agent's bin before committing.
    """
    if strategy == Strategy.manual:
        return NoPick("manual: waits to be pulled")
    if strategy not in {s.value for s in Strategy}:
        return NoPick(f"strategy {strategy!r} is not known: the case waits to be pulled")
    stmt = select(Queue).where(col(Queue.id) == queue_id)
    if strategy == Strategy.round_robin and _is_postgres(session):
        # the cursor moves one case at a time; NO KEY UPDATE lets cases be inserted meanwhile
        stmt = stmt.with_for_update(key_share=True)
    queue = session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
    if queue is None:
        return NoPick(f"queue {queue_id} does not exist")
    members = _members(session, queue_id)
    if not members:
        return NoPick(f"{queue.name} has no members")
    if strategy == Strategy.round_robin:
        return _round_robin(session, queue, members)
    if strategy == Strategy.skills:
        return _skills(session, queue, members, area, required_skills)
    if strategy == Strategy.affinity:
        return _affinity(session, queue, members, contact_id)
    ready = _ready(members, queue.name)
    return ready if isinstance(ready, NoPick) else _least_loaded(ready)
