"""The live board: waiting and breached cases per queue (the supervisor board's counts,
:func:`casedesk.services.queries.board.queue_loads`), how many cases of each queue breach
within the next hour, agents by presence, and the breaches due in the next hour over
every open case (the partial index of active cases by ``due_at``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from casedesk.db import read_session
from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.localformat import number
from casedesk.models import Case
from casedesk.models.cases import case_is_active
from casedesk.services.context import Actor, Desk, require_supervisor
from casedesk.services.queries import board
from casedesk.services.reports.scope import utc
from casedesk.services.reports.views import NowBoard, NowQueue

#: Presence states in the order the board lists them.
PRESENCE = ("available", "busy", "away", "offline")
HOUR = timedelta(hours=1)


def _breaching(session: Session, queues: list[int], waiting: bool, start: Any, soon: Any) -> int:
    """Active cases of ``queues`` (only those waiting in them: ``waiting``) whose nearest
    deadline falls within the next hour."""
    cond = and_(case_is_active(), col(Case.due_at) > start, col(Case.due_at) <= soon,
                col(Case.queue_id).in_(queues))
    if waiting:
        cond = and_(cond, col(Case.owner_id).is_(None))
    return int(session.execute(select(func.count()).where(cond)).scalar_one())


def now_board(desk: Desk, actor: Actor) -> NowBoard:
    require_supervisor(actor, N_("see the floor's board"))
    now = desk.now()
    loads = board.queue_loads(desk, viewer=actor)
    agents = board.agent_loads(desk, viewer=actor)
    with read_session(desk.engine) as session:
        start, soon = utc(now), utc(now + HOUR)
        queues = tuple(
            NowQueue(q.name, q.waiting, q.breached, _breaching(session, [q.id], True, start, soon),
                     q.available)
            for q in loads
        )
        total = _breaching(session, [q.id for q in loads], False, start, soon)
    counts = {s: 0 for s in PRESENCE}
    for a in agents:
        counts[a.status] = counts.get(a.status, 0) + 1
    return NowBoard(now, queues, tuple(counts.items()), total,
                    waiting=sum(q.waiting for q in queues))


def _presence(status: str, n: int) -> str:
    """``4 available`` / ``4 disponibles``."""
    count = number(n)
    if status == "available":
        return ngettext("{n} available", "{n} available", n).format(n=count)
    if status == "busy":
        return ngettext("{n} busy", "{n} busy", n).format(n=count)
    if status == "away":
        return ngettext("{n} away", "{n} away", n).format(n=count)
    if status == "offline":
        return ngettext("{n} offline", "{n} offline", n).format(n=count)
    return _("{n} {status}").format(n=count, status=label("agent_status", status))


def board_sentence(board: NowBoard) -> str:
    """The board's totals in the reader's language: ``3 cases waiting; 2 cases breach
    within the next hour. Agents: 4 available, 0 busy, 1 away, 0 offline.``"""
    waiting = ngettext("{n} case waiting", "{n} cases waiting", board.waiting).format(
        n=number(board.waiting))
    soon = board.breaching_next_hour
    breaching = ngettext("{n} case breaches within the next hour",
                         "{n} cases breach within the next hour", soon).format(n=number(soon))
    presence = ", ".join(_presence(status, n) for status, n in board.presence)
    return _("{waiting}; {breaching}. Agents: {presence}.").format(
        waiting=waiting, breaching=breaching, presence=presence)
