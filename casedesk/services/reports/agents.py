"""Agent productivity in the period: contacts handled (interactions they took), cases
resolved (whose latest resolution fell in the period while they owned them), minutes
logged (time entries of every kind) and the average handle time of their calls (time on
the line plus after-call work). Three grouped queries, merged by agent.

Filters: ``agent`` that agent; ``team`` the team's agents; ``queue`` the queue's members.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column, select
from sqlmodel import Session, col

from casedesk.models import Agent, Case, Interaction, QueueMember, TimeEntry
from casedesk.services.reports.scope import Scope
from casedesk.services.reports.views import AgentRow


def _agent_filter(scope: Scope, column: Any) -> list[Any]:
    terms = []
    if scope.agent_id is not None:
        terms.append(col(column) == scope.agent_id)
    if scope.by_team:
        terms.append(col(column).in_(scope.team_agents()))
    if scope.queue_id is not None:
        terms.append(col(column).in_(
            select(col(QueueMember.agent_id)).where(col(QueueMember.queue_id) == scope.queue_id)
        ))
    return terms


def average(total: Any, count: Any) -> float | None:
    """``total / count`` to one decimal (computed here, so both databases agree)."""
    return round(int(total) / int(count), 1) if count else None


def productivity(session: Session, scope: Scope) -> list[AgentRow]:
    # every contact, then the calls alone: (agent, channel, started) is one index range
    # per agent and channel (``ix_interaction_agent_calls``), no expression per row
    agents = (scope.in_period(Interaction.started_at), col(Interaction.agent_id).is_not(None),
              *_agent_filter(scope, Interaction.agent_id))
    counts = dict(session.execute(
        select(col(Interaction.agent_id), func.count())
        .where(*agents).group_by(col(Interaction.agent_id))
    ).all())
    phone = {
        agent: (int(n), int(handle or 0))
        for agent, n, handle in session.execute(
            select(col(Interaction.agent_id), func.count(),
                   func.sum(col(Interaction.duration_seconds) + col(Interaction.wrap_seconds)))
            .where(col(Interaction.channel) == literal_column("'phone'"), *agents)
            .group_by(col(Interaction.agent_id))
        ).all()
    }
    contacts = {
        agent: (int(n), *phone.get(agent, (0, 0))) for agent, n in counts.items()
    }
    resolved = dict(session.execute(
        select(col(Case.owner_id), func.count())
        .where(scope.in_period(Case.resolved_at), col(Case.owner_id).is_not(None),
               *_agent_filter(scope, Case.owner_id))
        .group_by(col(Case.owner_id))
    ).all())
    minutes = dict(session.execute(
        select(col(TimeEntry.agent_id), func.sum(col(TimeEntry.minutes)))
        .where(scope.in_period(TimeEntry.at), *_agent_filter(scope, TimeEntry.agent_id))
        .group_by(col(TimeEntry.agent_id))
    ).all())
    ids = set(contacts) | set(resolved) | set(minutes)
    if not ids:
        return []
    names = {
        aid: (login, name)
        for aid, login, name in session.execute(
            select(col(Agent.id), col(Agent.login), col(Agent.name)).where(col(Agent.id).in_(ids))
        ).all()
    }
    rows = []
    for aid in ids:
        login, name = names[aid]
        handled, calls, handle = contacts.get(aid, (0, 0, 0))
        rows.append(AgentRow(
            login, name, handled, int(resolved.get(aid, 0)), int(minutes.get(aid) or 0),
            calls, average(handle, calls),
        ))
    return sorted(rows, key=lambda r: r.agent)
