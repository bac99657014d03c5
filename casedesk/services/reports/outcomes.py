"""How cases ended and what customers thought: resolution types of the cases resolved in
the period, and their satisfaction ratings (1–5) where known, per queue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from casedesk.models import Case, Queue
from casedesk.services.reports.scope import Scope
from casedesk.services.reports.views import ResolutionRow, SatisfactionRow

#: What a resolved case with no resolution type recorded is listed as.
UNRECORDED = "(not recorded)"


def resolution_types(session: Session, scope: Scope) -> list[ResolutionRow]:
    kind = func.coalesce(col(Case.resolution_type), UNRECORDED)
    counts = session.execute(
        select(kind, func.count())
        .where(scope.in_period(Case.resolved_at), scope.case_filter())
        .group_by(kind)
    ).all()
    total = sum(int(n) for _k, n in counts)
    rows = [ResolutionRow(str(k), int(n), round(100.0 * int(n) / total, 1)) for k, n in counts]
    return sorted(rows, key=lambda r: (-r.cases, r.resolution_type))


def satisfaction(session: Session, scope: Scope) -> list[SatisfactionRow]:
    name = func.coalesce(col(Queue.name), "(no queue)")
    rows = session.execute(
        select(name, func.count(), func.sum(col(Case.satisfaction)))
        .select_from(Case)
        .outerjoin(Queue, col(Queue.id) == col(Case.queue_id))
        .where(scope.in_period(Case.resolved_at), col(Case.satisfaction).is_not(None),
               scope.case_filter())
        .group_by(name)
        .order_by(name)
    ).all()
    out = [
        SatisfactionRow(str(q), int(n), round(int(total) / int(n), 2) if n else None)
        for q, n, total in rows
    ]
    if len(out) > 1:
        n = sum(r.rated for r in out)
        total = sum(int(t) for _q, _n, t in rows)
        out.append(SatisfactionRow("(all queues)", n, round(total / n, 2)))
    return out
