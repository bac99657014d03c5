"""Agents: who they are, their roles (and the rule that keeps an admin), status and capacity."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlmodel import Session, col

from casedesk.db import is_sqlite, read_session, write_session
from casedesk.errors import ConflictError, PermissionDenied, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import (
    Agent,
    AgentStatus,
    Case,
    Queue,
    QueueMember,
    Role,
)
from casedesk.models.base import saved_id
from casedesk.models.cases import case_is_active
from casedesk.services.context import (
    Actor,
    Desk,
    load_agent,
    load_queue,
    require_supervisor,
    storable,
)
from casedesk.services.directory import presence, queue_setup, roles
from casedesk.services.directory.addresses import check_email
from casedesk.services.numbers import shown_number
from casedesk.services.queries.views import AgentView

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: The most open cases one bin may be given as its capacity.
MAX_CAPACITY = 10_000

#: The role order: each role may do what the ones before it may.
ROLE_ORDER = (Role.agent.value, Role.supervisor.value, Role.admin.value)


def role_refusal(actor: Actor | None, *, new_role: str, old_role: str | None = None) -> str | None:
    """Why ``actor`` may not give ``new_role`` (to a new agent, or one now ``old_role``).

    The role order is agent < supervisor < admin. Agents create and change nobody;
    supervisors may create and change agents and supervisors, but not make an admin nor
    change an admin in any way; admins may do everything. ``actor`` None is the bootstrap
    of an empty desk (the first agents): anything goes. ``None`` means allowed.
    """
    if new_role not in ROLE_ORDER:
        return _("role {role} is not one of {roles}").format(
            role=repr(new_role), roles=", ".join(ROLE_ORDER))
    if actor is None or actor.is_admin:
        return None
    role = label("role", actor.role)
    if not actor.is_supervisor:
        return _("only supervisors may add or change agents; {login} is an {role}").format(
            login=actor.login, role=role)
    if old_role == Role.admin:
        return _("only an admin may change an admin; {login} is a {role}").format(
            login=actor.login, role=role)
    if new_role == Role.admin:
        return _("only an admin may make an admin; {login} is a {role}").format(
            login=actor.login, role=role)
    return None


def _bootstrap_or_supervisor(desk: Desk, actor: Actor | None) -> None:
    """The very first agent may be created by anybody; after that, supervisors and admins."""
    if actor is not None:
        require_supervisor(actor, N_("add agents"))
        return
    with read_session(desk.engine) as session:
        count = session.execute(select(func.count()).select_from(Agent)).scalar_one()
    if count:
        raise ValidationError(_("say who is acting (--as LOGIN) to add agents"))


def _check_capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise ValidationError(_("capacity must be a whole number, not {value}").format(
            value=repr(capacity)))
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ValidationError(
            _("capacity must be between 0 and {max}, not {value}").format(
                max=MAX_CAPACITY, value=shown_number(capacity))
        )
    return capacity


def active_admins(session: Any, *, lock: bool = False) -> set[int]:
    """The ids of the active admins (``lock``: their rows, on PostgreSQL, so two
    demotions at once cannot remove the last two)."""
    stmt = select(col(Agent.id)).where(
        col(Agent.role) == Role.admin.value, col(Agent.active).is_(True)
    )
    if lock and not is_sqlite(session.get_bind()):
        stmt = stmt.with_for_update(key_share=True)
    return set(session.execute(stmt).scalars())


def add_agent(
    desk: Desk,
    actor: Actor | None,
    *,
    login: str,
    name: str,
    role: str = "agent",
    email: str | None = None,
    skills: list[str] | None = None,
    capacity: int = 10,
    queues: list[str] | None = None,
    timezone: str = "Europe/Madrid",
    password: str | None = None,
) -> AgentView:
    """Create an agent (supervisors and admins; anybody for the first one).

    The role order holds: only admins create admins (:func:`role_refusal`). The e-mail,
    when given, must be an address (:func:`casedesk.services.directory.addresses.check_email`).
    On PostgreSQL the agent's login role is created (or adopted) in the same transaction,
    with ``password`` if given (:func:`casedesk.services.directory.roles.ensure_login_role`);
    SQLite has no roles and ignores it.
    """
    _bootstrap_or_supervisor(desk, actor)
    login = login.strip().lower()
    if not _LOGIN.match(login):
        raise ValidationError(
            _("login {login}: use lower-case letters, digits, '.', '_' or '-'").format(
                login=repr(login)))
    refusal = role_refusal(actor, new_role=role)
    if refusal:
        raise (ValidationError if role not in ROLE_ORDER else PermissionDenied)(refusal)
    capacity = _check_capacity(capacity)
    email = check_email(email)
    name = storable(name.strip(), N_("the name"), 200)
    timezone = storable(timezone, N_("the time zone"), 64)
    skills = [storable(skill, N_("a skill")) for skill in skills or []]
    if password is not None:
        roles.check_password(password)
    now = desk.now()
    try:
        with write_session(desk.engine) as session:
            agent_id = session.execute(
                insert(Agent)
                .values(
                    login=login,
                    name=name or login,
                    role=role,
                    email=email,
                    skills=sorted(set(skills or [])),
                    capacity=capacity,
                    status=AgentStatus.available,
                    timezone=timezone,
                    active=True,
                    created_at=now,
                )
                .returning(col(Agent.id))
            ).scalar_one()
            for queue in queues or []:
                q = load_queue(session, queue)
                session.execute(insert(QueueMember).values(queue_id=q.id, agent_id=agent_id))
            if desk.shared:
                roles.ensure_login_role(session, login, role, password)
    except IntegrityError:
        raise ConflictError(_("an agent with login {login} already exists").format(
            login=repr(login))) from None
    except ProgrammingError as exc:  # row security: only admins' roles write agents
        if desk.shared and getattr(exc.orig, "sqlstate", None) == "42501":
            raise PermissionDenied(_(roles.NO_CREATEROLE)) from None
        raise
    return get_agent(desk, login)


def set_agent_role(desk: Desk, actor: Actor, login: str, role: str) -> AgentView:
    """Change an agent's role, in the role order; the last active admin stays an admin."""
    with write_session(desk.engine) as session:
        agent = load_agent(session, login)
        refusal = role_refusal(actor, new_role=role, old_role=agent.role)
        if refusal:
            raise (ValidationError if role not in ROLE_ORDER else PermissionDenied)(refusal)
        if agent.role == Role.admin and role != Role.admin and agent.active:
            _keep_an_admin(session, agent)
        session.execute(update(Agent).where(col(Agent.id) == agent.id).values(role=role))
        if desk.shared:
            roles.set_group(session, agent.login, role)
    return get_agent(desk, login)


def set_agent_active(desk: Desk, actor: Actor, login: str, active: bool) -> AgentView:
    """Deactivate (or reactivate) an agent: supervisors, not on admins; never the last admin.

    On PostgreSQL the agent's login role loses (or regains) LOGIN: a deactivated agent
    cannot connect; their history stays as it is."""
    with write_session(desk.engine) as session:
        agent = load_agent(session, login)
        refusal = role_refusal(actor, new_role=agent.role, old_role=agent.role)
        if refusal:
            raise PermissionDenied(refusal)
        if agent.role == Role.admin and agent.active and not active:
            _keep_an_admin(session, agent)
        session.execute(update(Agent).where(col(Agent.id) == agent.id).values(active=active))
        if desk.shared:
            roles.set_login(session, agent.login, active)
    return get_agent(desk, login)


def set_password(desk: Desk, actor: Actor, login: str, password: str) -> AgentView:
    """A new password for an agent's PostgreSQL role (admins, or the agent themself).
    SQLite has no passwords: refused with one line."""
    if not desk.shared:
        raise ValidationError(_("a SQLite desk has no passwords: it is one person's file"))
    roles.check_password(password)
    if not actor.is_admin and actor.login != login:
        raise PermissionDenied(
            _("only admins may set another agent's password; {login} is an {role}").format(
                login=actor.login, role=label("role", actor.role))
        )
    with write_session(desk.engine) as session:
        agent = load_agent(session, login)
        roles.set_role_password(session, agent.login, password)
    return get_agent(desk, login)


def _keep_an_admin(session: Any, agent: Agent) -> None:
    if not active_admins(session, lock=True) - {agent.id}:
        raise PermissionDenied(
            _("{login} is the last active admin: make another agent an admin first").format(
                login=agent.login)
        )


def set_agent_status(desk: Desk, actor: Actor, status: str, login: str | None = None) -> AgentView:
    """Set my availability (or, for supervisors, anybody's): available, away or offline.

    The presence rules (``status_at``, going offline returns untouched cases) are
    :func:`casedesk.services.directory.presence.set_presence`'s; this answers the agent.
    """
    change = presence.set_presence(desk, actor, status, login)
    return get_agent(desk, change.login)


def _agent_view(session: Session, agent: Agent) -> AgentView:
    queues = (
        session.execute(
            select(col(Queue.name))
            .join(QueueMember, col(QueueMember.queue_id) == col(Queue.id))
            .where(col(QueueMember.agent_id) == agent.id)
            .order_by(col(Queue.name))
        )
        .scalars()
        .all()
    )
    wip = session.execute(
        select(func.count())
        .select_from(Case)
        .where(col(Case.owner_id) == agent.id, case_is_active())
    ).scalar_one()
    return AgentView(
        saved_id(agent.id),
        agent.login,
        agent.name,
        agent.role,
        list(agent.skills or []),
        agent.capacity,
        agent.status,
        agent.active,
        list(queues),
        wip,
        status_at=agent.status_at,
        team=queue_setup.team_name(session, agent.team_id),
    )


def get_agent(desk: Desk, login: str) -> AgentView:
    with read_session(desk.engine) as session:
        return _agent_view(session, load_agent(session, login))


def list_agents(desk: Desk) -> list[AgentView]:
    with read_session(desk.engine) as session:
        agents = session.execute(select(Agent).order_by(col(Agent.login))).scalars().all()
        return [_agent_view(session, a) for a in agents]
