"""Teams (an outsourced partner, another site): a team owns queues and agents.

On PostgreSQL a team's agents and supervisors see only the cases, tasks, interactions and
customers reached through their team's queues: row-level security (migration 0006) does
that for every reader. On SQLite (one person's file) the supervisor's board filters by
the supervisor's team (:mod:`casedesk.services.queries.board`) so that the view matches.
Admins only change teams; an agent belongs to at most one team (``agent.team_id``), a
queue to at most one (``queue.team_id``); None is the desk's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import Agent, Queue, Team
from casedesk.models.base import saved_id
from casedesk.services.context import Actor, Desk, load_agent, load_queue, storable
from casedesk.services.queries.views import TeamView


def _require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("only admins may {action}; {login} is a {role}").format(
            action=_(what), login=actor.login, role=label("role", actor.role)))


def load_team(session: Session, name: str) -> Team:
    team: Team | None = session.execute(
        select(Team).where(col(Team.name) == name)
    ).scalar_one_or_none()
    if team is None:
        raise NotFound(_("no team {name}: see `casedesk team list`").format(name=repr(name)))
    return team


def add_team(desk: Desk, actor: Actor, name: str, description: str | None = None) -> TeamView:
    """A new team, with no agents and no queues yet (admins)."""
    _require_admin(actor, N_("add teams"))
    name = storable(name.strip(), N_("the team name"), 100)
    if not name:
        raise ValidationError(_("the team name is empty"))
    if description is not None:
        description = storable(description.strip(), N_("the description"), 500) or None
    try:
        with write_session(desk.engine) as session:
            session.execute(
                insert(Team).values(name=name, description=description, created_at=desk.now())
            )
    except IntegrityError:
        raise ConflictError(_("a team named {name} already exists").format(
            name=repr(name))) from None
    return get_team(desk, name)


def _team_view(session: Session, team: Team) -> TeamView:
    members = session.execute(
        select(col(Agent.login)).where(col(Agent.team_id) == team.id).order_by(col(Agent.login))
    ).scalars().all()
    queues = session.execute(
        select(col(Queue.name)).where(col(Queue.team_id) == team.id).order_by(col(Queue.name))
    ).scalars().all()
    return TeamView(saved_id(team.id), team.name, team.description, list(members), list(queues))


def get_team(desk: Desk, name: str) -> TeamView:
    with read_session(desk.engine) as session:
        return _team_view(session, load_team(session, name))


def list_teams(desk: Desk) -> list[TeamView]:
    with read_session(desk.engine) as session:
        teams = session.execute(select(Team).order_by(col(Team.name))).scalars().all()
        return [_team_view(session, t) for t in teams]


def set_member(desk: Desk, actor: Actor, team: str, login: str, member: bool) -> TeamView:
    """Put an agent in the team (moving them out of any other) or take them out (admins)."""
    if member:
        return change_members(desk, actor, team, add=[login])
    return change_members(desk, actor, team, remove=[login])


def change_members(
    desk: Desk, actor: Actor, team: str, *,
    add: Sequence[str] = (), remove: Sequence[str] = (),
) -> TeamView:
    """Put several agents in the team and take others out, in one transaction (admins):
    one unknown login or one agent not in the team changes nobody."""
    _require_admin(actor, N_("change teams"))
    with write_session(desk.engine) as session:
        t = load_team(session, team)
        for login in add:
            agent = load_agent(session, login)
            session.execute(update(Agent).where(col(Agent.id) == agent.id).values(team_id=t.id))
        for login in remove:
            agent = load_agent(session, login)
            if agent.team_id != t.id:
                raise ValidationError(_("{login} is not in team {team}").format(
                    login=agent.login, team=repr(t.name)))
            session.execute(update(Agent).where(col(Agent.id) == agent.id).values(team_id=None))
    return get_team(desk, team)


def set_queue(desk: Desk, actor: Actor, team: str, queue: str, owned: bool) -> TeamView:
    """Give a queue to the team (from any other) or back to the desk (admins)."""
    _require_admin(actor, N_("change teams"))
    with write_session(desk.engine) as session:
        t = load_team(session, team)
        q = load_queue(session, queue)
        if owned:
            session.execute(update(Queue).where(col(Queue.id) == q.id).values(team_id=t.id))
        elif q.team_id == t.id:
            session.execute(update(Queue).where(col(Queue.id) == q.id).values(team_id=None))
        else:
            raise ValidationError(_("queue {queue} is not team {team}'s").format(
                queue=repr(q.name), team=repr(t.name)))
    return get_team(desk, team)


def team_of(desk: Desk, agent_id: int) -> int | None:
    """The team id of an agent (None: the desk's own staff)."""
    with read_session(desk.engine) as session:
        return session.execute(
            select(col(Agent.team_id)).where(col(Agent.id) == agent_id)
        ).scalar_one_or_none()
