"""Waiting cases offered again: a case that waited because nobody fitted goes to the agent
who fits once someone does (back from away, a slot freed, a new member).

Routing assigns a case when it is created; when the queue's strategy found nobody
(``NoPick``), the case waits in the queue. Each tick of the SLA clock then calls
:func:`offer_waiting`: for every queue whose strategy is not manual, its most urgent
waiting cases are offered to the strategy again, one guarded change and one ``assign``
event each (no actor: the system did it; the note says why that agent), until the strategy
finds nobody. Cases that were pulled back into a queue on purpose are offered too — a
queue with an assigning strategy hands out its work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from casedesk.db import write_session
from casedesk.errors import ConflictError
from casedesk.models import Case, Queue, Strategy
from casedesk.models.base import saved_id
from casedesk.models.cases import case_is_active
from casedesk.services.context import Desk
from casedesk.services.numbers import case_label
from casedesk.services.routing.assign import Pick, pick_agent
from casedesk.services.workflow.changes import apply_change

#: Cases offered per queue and tick (a floor coming back from lunch fills up over ticks).
PER_QUEUE = 100


def offer_waiting(
    desk: Desk, now: datetime | None = None, *, per_queue: int = PER_QUEUE
) -> list[str]:
    """Offer the waiting cases of every assigning queue to its strategy again; returns the
    labels of the cases given to someone, most urgent first within each queue."""
    now = now or desk.now()
    with write_session(desk.engine) as session:
        queues = session.execute(
            select(col(Queue.id), col(Queue.name), col(Queue.strategy))
            .where(col(Queue.strategy) != Strategy.manual.value)
            .order_by(col(Queue.name))
        ).all()
    given: list[str] = []
    for queue_id, name, strategy in queues:
        with write_session(desk.engine) as session:  # one queue, one transaction
            given += _offer_queue(session, saved_id(queue_id), name, strategy, now, per_queue)
    return given


def _offer_queue(
    session: Session, queue_id: int, name: str, strategy: str, now: datetime, limit: int
) -> list[str]:
    waiting = session.execute(
        select(Case)
        .where(col(Case.queue_id) == queue_id, col(Case.owner_id).is_(None), case_is_active())
        .order_by(col(Case.due_at), col(Case.id))
        .limit(limit)
    ).scalars().all()
    given = []
    for case in waiting:
        pick = pick_agent(
            session, queue_id, strategy, area=case.area, contact_id=case.contact_id, now=now
        )
        if not isinstance(pick, Pick):
            if strategy != Strategy.skills:
                break  # nobody fits any case of this queue now
            continue  # another area's skills may still find someone
        reason = f"queue {name}: {pick.reason}"
        try:
            apply_change(
                session,
                case,
                None,
                now,
                kind="assign",
                values={"owner_id": pick.agent_id},
                guard=(col(Case.owner_id).is_(None), col(Case.queue_id) == queue_id),
                note=reason,
                data={"routing": {"queue": name, "strategy": strategy, "agent": pick.login,
                                  "reason": reason}},
                activity=False,
            )
        except ConflictError:
            continue  # somebody took or moved it meanwhile: nothing was changed
        given.append(case_label(case.number))
    return given
