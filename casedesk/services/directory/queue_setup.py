"""Queues and who is a member of them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import ConflictError, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import (
    Agent,
    Area,
    Case,
    Queue,
    QueueMember,
    Strategy,
    Team,
)
from casedesk.models.base import saved_id, table_of
from casedesk.models.cases import case_is_active
from casedesk.services.context import (
    Actor,
    Desk,
    load_agent,
    load_queue,
    require_supervisor,
    storable,
)
from casedesk.services.queries.views import QueueView


def add_queue(
    desk: Desk,
    actor: Actor,
    *,
    name: str,
    area: str = "general",
    description: str | None = None,
    members: list[str] | None = None,
) -> QueueView:
    """Create a queue (supervisors)."""
    require_supervisor(actor, N_("add queues"))
    name = storable(name.strip(), N_("the name"), 100)
    if description is not None:
        storable(description, N_("the description"), 500)
    if not name:
        raise ValidationError(_("a queue needs a name"))
    if area not in [a.value for a in Area]:
        raise ValidationError(_("area {area} is not one of {areas}").format(
            area=repr(area), areas=", ".join(a.value for a in Area)))
    try:
        with write_session(desk.engine) as session:
            queue_id = session.execute(
                insert(Queue)
                .values(name=name, area=area, description=description, created_at=desk.now())
                .returning(col(Queue.id))
            ).scalar_one()
            for login in members or []:
                agent = load_agent(session, login)
                session.execute(insert(QueueMember).values(queue_id=queue_id, agent_id=agent.id))
    except IntegrityError:
        raise ConflictError(_("a queue named {name} already exists").format(
            name=repr(name))) from None
    return get_queue(desk, name)


def set_membership(desk: Desk, actor: Actor, queue: str, login: str, member: bool) -> QueueView:
    """Add an agent to a queue or remove them (supervisors)."""
    if member:
        return change_members(desk, actor, queue, add=[login])
    return change_members(desk, actor, queue, remove=[login])


def change_members(
    desk: Desk, actor: Actor, queue: str, *,
    add: Sequence[str] = (), remove: Sequence[str] = (),
) -> QueueView:
    """Add and remove several agents in one transaction (supervisors): an unknown login
    anywhere in the lists changes nobody."""
    require_supervisor(actor, N_("change queue membership"))
    with write_session(desk.engine) as session:
        q = load_queue(session, queue)
        current = set(session.execute(
            select(col(QueueMember.agent_id)).where(col(QueueMember.queue_id) == q.id)
        ).scalars())
        for login in add:
            agent = load_agent(session, login)
            if agent.id not in current:
                session.execute(insert(QueueMember).values(queue_id=q.id, agent_id=agent.id))
                current.add(agent.id)
        for login in remove:
            agent = load_agent(session, login)
            if agent.id in current:
                session.execute(
                    table_of(QueueMember).delete().where(
                        col(QueueMember.queue_id) == q.id,
                        col(QueueMember.agent_id) == agent.id,
                    )
                )
                current.discard(agent.id)
    return get_queue(desk, queue)


def set_strategy(desk: Desk, actor: Actor, queue: str, strategy: str) -> QueueView:
    """Choose how the queue's routed cases pick an agent (supervisors): manual,
    round_robin, least_loaded, skills or affinity (see ``routing.assign``)."""
    require_supervisor(actor, N_("change a queue's strategy"))
    choices = [s.value for s in Strategy]
    value = (strategy or "").strip().lower().replace("-", "_").replace(" ", "_")
    if value not in choices:
        raise ValidationError(_("strategy {strategy} is not one of {choices}").format(
            strategy=repr(strategy), choices=", ".join(choices)))
    with write_session(desk.engine) as session:
        q = load_queue(session, queue)
        if q.strategy != value:
            session.execute(
                update(Queue)
                .where(col(Queue.id) == q.id)
                .values(strategy=value)
                .execution_options(synchronize_session=False)
            )
    return get_queue(desk, queue)


def _queue_view(session: Session, queue: Queue) -> QueueView:
    members = (
        session.execute(
            select(col(Agent.login))
            .join(QueueMember, col(QueueMember.agent_id) == col(Agent.id))
            .where(col(QueueMember.queue_id) == queue.id)
            .order_by(col(Agent.login))
        )
        .scalars()
        .all()
    )
    waiting = session.execute(
        select(func.count())
        .select_from(Case)
        .where(
            col(Case.queue_id) == queue.id,
            col(Case.owner_id).is_(None),
            case_is_active(),
        )
    ).scalar_one()
    return QueueView(
        saved_id(queue.id), queue.name, queue.area, queue.description, list(members), waiting,
        strategy=queue.strategy, team=team_name(session, queue.team_id),
    )


def team_name(session: Session, team_id: int | None) -> str | None:
    """The name of team ``team_id`` (None for the desk's own)."""
    if team_id is None:
        return None
    return session.execute(select(col(Team.name)).where(col(Team.id) == team_id)).scalar()


def get_queue(desk: Desk, name: str) -> QueueView:
    with read_session(desk.engine) as session:
        return _queue_view(session, load_queue(session, name))


def list_queues(desk: Desk, *, member: int | None = None) -> list[QueueView]:
    """All queues, or only those ``member`` (an agent id) belongs to."""
    with read_session(desk.engine) as session:
        stmt = select(Queue).order_by(col(Queue.name))
        if member is not None:
            stmt = stmt.join(QueueMember, col(QueueMember.queue_id) == col(Queue.id)).where(
                col(QueueMember.agent_id) == member
            )
        return [_queue_view(session, q) for q in session.execute(stmt).scalars().all()]
