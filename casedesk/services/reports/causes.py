"""Root causes and trends: the categories (case area) and products behind the cases opened
in the period, the most frequent first, each against the previous period of equal length.

A case's product is its contract line's product; a case with none counts for each
product its account holds (``account_product``); a case with neither has no product.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlmodel import Session, col

from casedesk.models import AccountProduct, Case, ContractLine, Product
from casedesk.services.reports.scope import Scope
from casedesk.services.reports.views import CauseRow

#: How many categories and products the report lists.
TOP = 10


def _areas(session: Session, scope: Scope) -> dict[str, int]:
    return {
        str(area): int(n)
        for area, n in session.execute(
            select(col(Case.area), func.count())
            .where(scope.in_period(Case.created_at), scope.case_filter())
            .group_by(col(Case.area))
        ).all()
    }


def _products(session: Session, scope: Scope) -> dict[str, int]:
    period = (scope.in_period(Case.created_at), scope.case_filter())
    by_line: Select[Any] = (
        select(col(ContractLine.product_id).label("product_id"))
        .select_from(Case)
        .join(ContractLine, col(ContractLine.id) == col(Case.contract_line_id))
        .where(col(Case.contract_line_id).is_not(None),
               col(ContractLine.product_id).is_not(None), *period)
    )
    by_account: Select[Any] = (
        select(col(AccountProduct.product_id).label("product_id"))
        .select_from(Case)
        .outerjoin(ContractLine, col(ContractLine.id) == col(Case.contract_line_id))
        .join(AccountProduct, col(AccountProduct.account_id) == col(Case.account_id))
        .where(col(Case.account_id).is_not(None), col(ContractLine.product_id).is_(None),
               *period)
    )
    found: Any = union_all(by_line, by_account).subquery("found")
    return {
        str(name): int(n)
        for name, n in session.execute(
            select(col(Product.name), func.count())
            .select_from(found.join(Product, col(Product.id) == found.c.product_id))
            .group_by(col(Product.id), col(Product.name))
        ).all()
    }


def _rows(dimension: str, now: dict[str, int], before: dict[str, int]) -> list[CauseRow]:
    ranked = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    rows = []
    for value, cases in ranked:
        previous = before.get(value, 0)
        change = cases - previous
        rows.append(CauseRow(
            dimension, value, cases, previous, change,
            round(100.0 * change / previous, 1) if previous else None,
        ))
    return rows


def top_causes(session: Session, scope: Scope) -> list[CauseRow]:
    before = scope.previous()
    return (
        _rows("category", _areas(session, scope), _areas(session, before))
        + _rows("product", _products(session, scope), _products(session, before))
    )
