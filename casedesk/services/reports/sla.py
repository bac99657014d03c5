"""SLA compliance per policy and deadline kind, for the cases opened in the period.

From the bits the clocks record on each case (:class:`~casedesk.services.sla.clocks.Flag`):
a deadline is *breached* when its ``*_BREACHED`` bit is set and *met* when its ``*_MET``
bit is, or when it is past and still running though the scan has not recorded it yet.
Next response has no "met" bit (it runs again at each customer contact): it is met
when the case was resolved or closed with no next-response breach. Everything else with a
target is *pending*. One grouped pass over the period's cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlmodel import Session, col

from casedesk.models import Case, SlaPolicy
from casedesk.services.reports.scope import Scope, utc
from casedesk.services.reports.views import SlaRow
from casedesk.services.sla.clocks import OPEN, RUNNING, Flag

KINDS = ("first_response", "next_response", "resolution")


def _bit(bit: int) -> Any:
    masked = col(Case.sla_flags).op("&")(literal_column(str(int(bit)))).self_group()
    return masked != literal_column("0")


def _count(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _overdue(due: Any, now: datetime, statuses: tuple[str, ...]) -> Any:
    """A running deadline already past that the scan has not recorded yet."""
    return and_(col(due).is_not(None), col(due) <= utc(now),
                col(Case.status).in_([literal_column(f"'{s}'") for s in statuses]))


def compliance(session: Session, scope: Scope, now: datetime) -> list[SlaRow]:
    finished = col(Case.status).in_([literal_column("'resolved'"), literal_column("'closed'")])
    fr_target = or_(col(Case.first_response_due).is_not(None), _bit(Flag.FIRST_RESPONSE_MET),
                    _bit(Flag.FIRST_RESPONSE_BREACHED))
    res_target = or_(col(Case.resolution_due).is_not(None), _bit(Flag.RESOLUTION_MET),
                     _bit(Flag.RESOLUTION_BREACHED))
    nr_target = col(SlaPolicy.next_response_minutes).is_not(None)
    grouped = (
        select(
            col(Case.sla_policy_id).label("policy_id"),
            _count(and_(fr_target, _bit(Flag.FIRST_RESPONSE_MET))).label("fr_met"),
            _count(and_(fr_target, ~_bit(Flag.FIRST_RESPONSE_MET), or_(
                _bit(Flag.FIRST_RESPONSE_BREACHED),
                and_(col(Case.first_response_at).is_(None),
                     _overdue(Case.first_response_due, now, OPEN)),
            ))).label("fr_breached"),
            _count(fr_target).label("fr_all"),
            _count(and_(nr_target, finished, ~_bit(Flag.NEXT_RESPONSE_BREACHED))
                   ).label("nr_met"),
            _count(and_(nr_target, or_(
                _bit(Flag.NEXT_RESPONSE_BREACHED), _overdue(Case.next_response_due, now, OPEN),
            ))).label("nr_breached"),
            _count(nr_target).label("nr_all"),
            _count(and_(res_target, _bit(Flag.RESOLUTION_MET))).label("res_met"),
            _count(and_(res_target, ~_bit(Flag.RESOLUTION_MET), or_(
                _bit(Flag.RESOLUTION_BREACHED), _overdue(Case.resolution_due, now, RUNNING),
            ))).label("res_breached"),
            _count(res_target).label("res_all"),
        )
        .select_from(Case)
        .join(SlaPolicy, col(SlaPolicy.id) == col(Case.sla_policy_id))
        .where(scope.in_period(Case.created_at), scope.case_filter())
        .group_by(col(Case.sla_policy_id))
        .subquery()
    )
    rows = session.execute(
        select(col(SlaPolicy.name), grouped)
        .select_from(grouped.join(SlaPolicy, col(SlaPolicy.id) == grouped.c.policy_id))
        .order_by(col(SlaPolicy.name))
    ).all()
    out = []
    for r in rows:
        values = r._mapping
        for kind, prefix in zip(KINDS, ("fr", "nr", "res"), strict=True):
            met, breached, every = (
                int(values[f"{prefix}_{s}"]) for s in ("met", "breached", "all")
            )
            if not every:
                continue
            done = met + breached
            out.append(SlaRow(
                str(r[0]), kind, met, breached, every - done,
                round(100.0 * met / done, 1) if done else None,
            ))
    return out
