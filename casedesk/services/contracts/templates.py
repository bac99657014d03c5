"""Contract templates: a name, a duration and lines; applying one to an account creates
the contract and all its lines in one transaction."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.models.config import ContractTemplate
from casedesk.services.context import Actor, Desk, storable
from casedesk.services.contracts.contracts import (
    check_line,
    contract_view,
    create_contract,
    create_line,
    load_account,
    require_supervisor,
)
from casedesk.services.contracts.entitlements import day_of
from casedesk.services.contracts.views import ContractView, TemplateLine, TemplateView
from casedesk.services.numbers import shown_number

#: A contract runs at most ten years.
MAX_DAYS = 3660
_SPEC = re.compile(r"^(?P<name>.+?)\s*:\s*(?P<allotment>[A-Za-z]+)\s*:\s*(?P<total>[+-]?\d+)\s*$")


def parse_line_spec(text: str) -> TemplateLine:
    """``Incidencias:cases:10`` or ``Soporte remoto:minutes:600`` → a checked line."""
    match = _SPEC.match(text or "")
    if match is None:
        raise ValidationError(
            _("line {line} is not NAME:cases:TOTAL or NAME:minutes:TOTAL").format(
                line=repr(text))
        )
    digits = match.group("total")
    if len(digits) > 12:
        raise ValidationError(_("line {name}: the total is too large").format(
            name=repr(match.group("name"))))
    name, allotment, total = check_line(match.group("name"), match.group("allotment"),
                                        int(digits))
    return TemplateLine(name, allotment, total)


def _check_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValidationError(_("a duration must be whole days, not {value}").format(
            value=repr(days)))
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            _("a contract runs 1 to {max} days, not {value}").format(
                max=MAX_DAYS, value=shown_number(days))
        )
    return days


def _view(row: ContractTemplate) -> TemplateView:
    lines = [TemplateLine(str(li["name"]), str(li["allotment"]), int(li["total"]))
             for li in row.lines or []]
    return TemplateView(int(row.id or 0), row.name, row.description, row.duration_days, lines)


def _load(session: Session, name: str) -> ContractTemplate:
    row: ContractTemplate | None = session.execute(
        select(ContractTemplate)
        .where(func.lower(col(ContractTemplate.name)) == (name or "").strip().lower())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("no contract template {name}").format(name=repr(name)))
    return row


def add_template(
    desk: Desk,
    actor: Actor,
    *,
    name: str,
    duration_days: int,
    lines: list[TemplateLine],
    description: str = "",
) -> TemplateView:
    """A new contract template (supervisors): at least one line, names unique."""
    require_supervisor(actor, N_("add contract templates"))
    name = storable((name or "").strip(), N_("the template's name"), 100)
    if not name:
        raise ValidationError(_("a contract template needs a name"))
    description = storable(description or "", N_("the description"))
    _check_days(duration_days)
    if not lines:
        raise ValidationError(_("a contract template needs at least one line"))
    stored: list[dict[str, Any]] = []
    for line in lines:
        line_name, allotment, total = check_line(line.name, line.allotment, line.total)
        stored.append({"name": line_name, "allotment": allotment, "total": total})
    with write_session(desk.engine) as session:
        if session.execute(
            select(col(ContractTemplate.id))
            .where(func.lower(col(ContractTemplate.name)) == name.lower())
        ).first() is not None:
            raise ValidationError(_("contract template {name} exists already").format(
                name=repr(name)))
        session.execute(
            insert(ContractTemplate).values(
                name=name, description=description, duration_days=duration_days,
                lines=stored, created_at=desk.now(),
            )
        )
        return _view(_load(session, name))


def list_templates(desk: Desk) -> list[TemplateView]:
    """Every contract template, by name."""
    with read_session(desk.engine) as session:
        rows = session.execute(
            select(ContractTemplate).order_by(col(ContractTemplate.name))
        ).scalars().all()
        return [_view(r) for r in rows]


def get_template(desk: Desk, name: str) -> TemplateView:
    with read_session(desk.engine) as session:
        return _view(_load(session, name))


def apply_template(
    desk: Desk,
    actor: Actor,
    name: str,
    *,
    account: int | str,
    starts: date | None = None,
    contract_name: str | None = None,
    number: str | None = None,
) -> ContractView:
    """A contract of ``account`` made from template ``name``: it starts on ``starts``
    (default: today for the supervisor), runs the template's days (``ends`` is its last
    day) and has the template's lines, all in one transaction."""
    require_supervisor(actor, N_("create contracts from templates"))
    with write_session(desk.engine) as session:
        template = _load(session, name)
        account_row = load_account(session, account)
        today = day_of(session, actor.id, desk.now())
        first = starts or today
        ends = first + timedelta(days=template.duration_days - 1)
        contract_id = create_contract(
            session, account=account_row, name=contract_name or template.name,
            starts=first, ends=ends, number=number,
        )
        for line in template.lines or []:
            create_line(session, contract_id, name=str(line["name"]),
                        allotment=str(line["allotment"]), total=int(line["total"]))
        return contract_view(session, contract_id, today)
