"""The backlog: cases open now (new, in progress, awaiting the customer) per queue, by
how long ago they were opened. One grouped count over the partial index of open cases
(``ix_case_open_age``: queue, created, owner)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal_column, select
from sqlmodel import Session, col

from casedesk.models import Case, Queue
from casedesk.services.reports.scope import Scope, utc
from casedesk.services.reports.views import NO_QUEUE, BacklogRow
from casedesk.services.sla.clocks import OPEN

#: The age buckets: (column, lower bound in days, upper bound in days or None).
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("under_1d", 0, 1), ("d1_3", 1, 3), ("d3_7", 3, 7), ("d7_30", 7, 30), ("over_30d", 30, None),
)

#: The statuses of open cases, inline (the partial index's WHERE clause says the same).
OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"


def is_open() -> Any:
    return col(Case.status).in_([literal_column(f"'{s}'") for s in OPEN])


def by_queue(session: Session, scope: Scope, now: datetime) -> list[BacklogRow]:
    sums = []
    for _key, low, high in BUCKETS:
        newer = utc(now - timedelta(days=low))
        cond = col(Case.created_at) <= newer
        if high is not None:
            cond = cond & (col(Case.created_at) > utc(now - timedelta(days=high)))
        sums.append(func.coalesce(func.sum(case((cond, 1), else_=0)), 0))
    grouped = (
        select(col(Case.queue_id).label("queue_id"), func.count().label("total"),
               *[s.label(k) for s, (k, _l, _h) in zip(sums, BUCKETS, strict=True)])
        .where(is_open(), scope.case_filter())
        .group_by(col(Case.queue_id))
        .subquery()
    )
    name = func.coalesce(col(Queue.name), NO_QUEUE)
    rows = session.execute(
        select(name, *[grouped.c[k] for k, _l, _h in BUCKETS], grouped.c.total)
        .select_from(grouped.outerjoin(Queue, col(Queue.id) == grouped.c.queue_id))
        .order_by(name)
    ).all()
    return [BacklogRow(str(r[0]), *(int(v) for v in r[1:])) for r in rows]
