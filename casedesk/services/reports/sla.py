"""SLA compliance per policy and deadline kind, for the cases opened in the period.

From the bits the clocks record on each case (:class:`~casedesk.services.sla.clocks.Flag`):
a deadline is *met* when its ``*_MET`` bit is set and *breached* when its ``*_BREACHED``
bit is, or when it is past and still running though the scan has not recorded it yet.
Next response has no "met" bit (it runs again at each customer contact): it is met when
the case was resolved or closed with no next-response breach. A policy's cases count for
each kind of deadline the policy sets; the rest of them are *pending*.

Two grouped queries: the bits of every case of the period, read from the covering index
``ix_case_created`` alone, and the past running deadlines, which only open cases have
(their own partial index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlmodel import Session, col

from casedesk.models import Case, SlaPolicy
from casedesk.services.reports.backlog import is_open
from casedesk.services.reports.scope import Scope, utc
from casedesk.services.reports.views import SlaRow
from casedesk.services.sla.clocks import RUNNING, Flag

KINDS = ("first_response", "next_response", "resolution")


def _bit(bit: int) -> Any:
    masked = col(Case.sla_flags).op("&")(literal_column(str(int(bit)))).self_group()
    return masked != literal_column("0")


def _count(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _statuses(values: tuple[str, ...]) -> Any:
    return col(Case.status).in_([literal_column(f"'{s}'") for s in values])


def compliance(session: Session, scope: Scope, now: datetime) -> list[SlaRow]:
    fr_met, fr_br = _bit(Flag.FIRST_RESPONSE_MET), _bit(Flag.FIRST_RESPONSE_BREACHED)
    res_met, res_br = _bit(Flag.RESOLUTION_MET), _bit(Flag.RESOLUTION_BREACHED)
    nr_br = _bit(Flag.NEXT_RESPONSE_BREACHED)
    period = (scope.in_period(Case.created_at), col(Case.sla_policy_id).is_not(None),
              scope.case_filter())
    recorded = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                col(Case.sla_policy_id), func.count(),
                _count(fr_met), _count(and_(fr_br, ~fr_met)),
                _count(and_(_statuses(("resolved", "closed")), ~nr_br)), _count(nr_br),
                _count(res_met), _count(and_(res_br, ~res_met)),
            ).where(*period).group_by(col(Case.sla_policy_id))
        ).all()
    }
    if not recorded:
        return []
    at = utc(now)

    def past(due: Any) -> Any:
        return and_(col(due).is_not(None), col(due) <= at)

    unrecorded = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                col(Case.sla_policy_id),
                _count(and_(~fr_met, ~fr_br, col(Case.first_response_at).is_(None),
                            past(Case.first_response_due))),
                _count(and_(~nr_br, past(Case.next_response_due))),
                _count(and_(~res_met, ~res_br, _statuses(RUNNING), past(Case.resolution_due))),
            ).where(is_open(), *period).group_by(col(Case.sla_policy_id))
        ).all()
    }
    policies = {
        p.id: p for p in session.execute(
            select(SlaPolicy).where(col(SlaPolicy.id).in_(list(recorded)))
        ).scalars()
    }
    out = []
    for pid, (total, *counts) in recorded.items():
        policy = policies[pid]
        late = unrecorded.get(pid, (0, 0, 0))
        targets = (policy.first_response_minutes, policy.next_response_minutes,
                   policy.resolution_minutes)
        for i, kind in enumerate(KINDS):
            if targets[i] is None:
                continue
            met, breached = int(counts[2 * i]), int(counts[2 * i + 1]) + int(late[i])
            done = met + breached
            out.append(SlaRow(
                policy.name, kind, met, breached, int(total) - done,
                round(100.0 * met / done, 1) if done else None,
            ))
    return sorted(out, key=lambda r: (r.policy, KINDS.index(r.kind)))


