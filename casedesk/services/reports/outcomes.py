"""How cases ended and what customers thought: resolution types of the cases resolved in
the period, and their satisfaction ratings (1–5) where known, per queue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from casedesk.models import Case, Queue
from casedesk.services.reports.scope import Scope
from casedesk.services.reports.views import (
    ALL_QUEUES,
    MARKERS,
    NO_QUEUE,
    ResolutionRow,
    SatisfactionRow,
)

#: What a resolved case with no resolution type recorded is listed as.
UNRECORDED = MARKERS[2]


def resolution_types(session: Session, scope: Scope) -> list[ResolutionRow]:
    # grouped by the column itself (the index's order: ``ix_case_resolution_type``)
    counts = session.execute(
        select(col(Case.resolution_type), func.count())
        .where(scope.in_period(Case.resolved_at), scope.case_filter())
        .group_by(col(Case.resolution_type))
    ).all()
    total = sum(int(n) for _k, n in counts)
    rows = [ResolutionRow(UNRECORDED if k is None else str(k), int(n),
                          round(100.0 * int(n) / total, 1)) for k, n in counts]
    return sorted(rows, key=lambda r: (-r.cases, r.resolution_type))


def satisfaction(session: Session, scope: Scope) -> list[SatisfactionRow]:
    # grouped by queue id (the index's order: ``ix_case_satisfaction``), named after
    grouped = session.execute(
        select(col(Case.queue_id), func.count(), func.sum(col(Case.satisfaction)))
        .where(scope.in_period(Case.resolved_at), col(Case.satisfaction).is_not(None),
               scope.case_filter())
        .group_by(col(Case.queue_id))
    ).all()
    names = dict(session.execute(select(col(Queue.id), col(Queue.name))).all())
    rows = sorted(((names.get(q, NO_QUEUE), int(n), int(t)) for q, n, t in grouped),
                  key=lambda r: r[0])
    out = [SatisfactionRow(q, n, round(t / n, 2)) for q, n, t in rows]
    if len(out) > 1:
        n = sum(r.rated for r in out)
        total = sum(int(t) for _q, _n, t in rows)
        out.append(SatisfactionRow(ALL_QUEUES, n, round(total / n, 2)))
    return out
