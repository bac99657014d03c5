"""Call volume and length by channel and typification: the interactions that started in
the period, how many, and their average time on the line and after-call work.

Filters: ``agent`` the agent who took them; ``team`` the team's agents; ``queue`` those
on a case of the queue.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from casedesk.models import Case, Interaction
from casedesk.services.reports.agents import average
from casedesk.services.reports.scope import Scope
from casedesk.services.reports.views import CallRow


def volume(session: Session, scope: Scope) -> list[CallRow]:
    stmt = (
        select(
            col(Interaction.channel),
            col(Interaction.typification),
            func.count(),
            func.sum(col(Interaction.duration_seconds)),
            func.sum(col(Interaction.wrap_seconds)),
        )
        .where(scope.in_period(Interaction.started_at))
        .group_by(col(Interaction.channel), col(Interaction.typification))
        .order_by(col(Interaction.channel), col(Interaction.typification))
    )
    if scope.agent_id is not None:
        stmt = stmt.where(col(Interaction.agent_id) == scope.agent_id)
    if scope.by_team:
        stmt = stmt.where(col(Interaction.agent_id).in_(scope.team_agents()))
    if scope.queue_id is not None:
        stmt = stmt.where(col(Interaction.case_id).in_(
            select(col(Case.id)).where(col(Case.queue_id) == scope.queue_id)
        ))
    return [
        CallRow(channel, typification, int(n), average(duration, n), average(wrap, n))
        for channel, typification, n, duration, wrap in session.execute(stmt).all()
    ]
