"""Entitlement consumption per contract: each line of the contracts in force at some time
in the period (no start or end date: always), what it grants, what was used and what is
left (negative: used beyond the grant, which never blocks a call)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session, col

from casedesk.models import Account, Contract, ContractLine
from casedesk.services.reports.scope import Scope
from casedesk.services.reports.views import EntitlementRow


def consumption(session: Session, scope: Scope) -> list[EntitlementRow]:
    rows = session.execute(
        select(
            col(Contract.number), col(Account.name), col(ContractLine.name),
            col(ContractLine.allotment), col(ContractLine.total), col(ContractLine.used),
            (col(ContractLine.total) - col(ContractLine.used)).label("left"),
        )
        .select_from(ContractLine)
        .join(Contract, col(Contract.id) == col(ContractLine.contract_id))
        .join(Account, col(Account.id) == col(Contract.account_id))
        .where(
            or_(col(Contract.starts).is_(None), col(Contract.starts) <= scope.end),
            or_(col(Contract.ends).is_(None), col(Contract.ends) >= scope.start),
        )
        .order_by(col(Contract.number), col(ContractLine.id))
    ).all()
    return [EntitlementRow(n, a, line, kind, int(t), int(u), int(left))
            for n, a, line, kind, t, u, left in rows]
