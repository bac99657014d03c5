"""Presence: an agent is available, away or offline, since when, and what going offline does.

Only ``available`` agents are given routed cases (``routing.assign``). ``busy`` is an old
status some rows still hold: it is shown as it is, but nobody sets it any more.

Going offline with ``Desk.offline_returns_cases`` returns the agent's untouched cases —
in their bin and still ``new`` — to their home queues, each one a guarded change with one
case event by the desk (no actor), noted "returned to billing: maria went offline". The
status and the returns are one transaction: on PostgreSQL the agent row is locked first,
so a case being assigned to them at the same moment either lands before (and is
returned) or sees them offline (and is not given to them).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Agent, AgentStatus, Case, Queue, Status
from casedesk.services.context import Actor, Desk, load_agent, require_supervisor
from casedesk.services.numbers import case_label
from casedesk.services.queries.views import PresenceView
from casedesk.services.workflow.changes import apply_change

#: The statuses a person may set (``busy`` stays readable on old rows).
SETTABLE = (AgentStatus.available.value, AgentStatus.away.value, AgentStatus.offline.value)

#: The next status of the workstation's presence key.
NEXT = {"available": "away", "away": "offline", "offline": "available", "busy": "available"}


def check_status(status: str) -> str:
    """``status`` as stored, if a person may set it; else a one-line refusal."""
    value = (status or "").strip().lower()
    if value not in SETTABLE:
        raise ValidationError(_("status {status} is not one of {choices}").format(
            status=repr(status), choices=", ".join(SETTABLE)))
    return value


def _locked_agent(session: Session, login: str) -> Agent:
    agent = load_agent(session, login)
    if session.get_bind().dialect.name != "sqlite":
        # the same lock routing.assign takes on candidates: a pick and a change of
        # presence happen one after the other
        session.execute(
            select(col(Agent.id))
            .where(col(Agent.id) == agent.id)
            .with_for_update(key_share=True)
        )
        session.refresh(agent)
    return agent


def _return_untouched(session: Session, desk: Desk, agent: Agent) -> list[str]:
    """Put the agent's untouched cases back in their home queues, one event each."""
    now = desk.now()
    cases = session.execute(
        select(Case, col(Queue.name))
        .join(Queue, col(Queue.id) == col(Case.queue_id))
        .where(col(Case.owner_id) == agent.id, col(Case.status) == Status.new.value)
        .order_by(col(Case.id))
    ).all()
    returned = []
    for case, queue in cases:
        apply_change(
            session,
            case,
            None,
            now,
            kind="yank",
            values={"owner_id": None},
            guard=(col(Case.owner_id) == agent.id, col(Case.status) == Status.new.value),
            note=f"returned to {queue}: {agent.login} went offline",
            data={"presence": AgentStatus.offline.value},
        )
        returned.append(case_label(case.number))
    return returned


def _apply(session: Session, desk: Desk, agent: Agent, value: str) -> PresenceView:
    returned: list[str] = []
    if agent.status != value:
        session.execute(
            update(Agent)
            .where(col(Agent.id) == agent.id)
            .values(status=value, status_at=desk.now())
            .execution_options(synchronize_session=False)
        )
        if value == AgentStatus.offline and desk.offline_returns_cases:
            returned = _return_untouched(session, desk, agent)
        session.refresh(agent)
    return PresenceView(agent.login, agent.name, agent.status, agent.status_at, returned)


def set_presence(desk: Desk, actor: Actor, status: str, login: str | None = None) -> PresenceView:
    """Set my presence (or, for supervisors, anybody's): available, away or offline.

    Setting the status one already has changes nothing (the "since" stays).
    """
    value = check_status(status)
    target = login or actor.login
    if target != actor.login:
        require_supervisor(actor, N_("change another agent's status"))
    with write_session(desk.engine) as session:
        return _apply(session, desk, _locked_agent(session, target), value)


def next_presence(desk: Desk, actor: Actor) -> PresenceView:
    """The workstation's presence key, for oneself: available → away → offline →
    available (an old ``busy`` becomes available)."""
    with write_session(desk.engine) as session:
        agent = _locked_agent(session, actor.login)
        return _apply(session, desk, agent, NEXT.get(agent.status, AgentStatus.available.value))


def presence_of(desk: Desk, login: str) -> PresenceView:
    """An agent's presence now (for the status line)."""
    with read_session(desk.engine) as session:
        agent = load_agent(session, login)
        return PresenceView(agent.login, agent.name, agent.status, agent.status_at)
