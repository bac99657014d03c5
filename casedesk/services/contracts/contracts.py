"""Contracts of accounts and their lines: add, list, show. Supervisors write them."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import Account, Contract, ContractLine
from casedesk.models.base import saved_id
from casedesk.services.context import Actor, Desk, storable, storable_id
from casedesk.services.contracts.entitlements import ALLOTMENTS, day_of, status
from casedesk.services.contracts.views import ContractView
from casedesk.services.numbers import claim_numbers, shown_number

#: The most a line may grant: a hundred years of minutes, far beyond any contract.
MAX_TOTAL = 100 * 366 * 24 * 60
_NUMBER = re.compile(r"^\s*(?:ct-?)?0*(\d{1,18})\s*$", re.IGNORECASE)


def require_supervisor(actor: Actor, what: str) -> None:
    """Contracts and their templates are the supervisors' to write."""
    if not actor.is_supervisor:
        raise PermissionDenied(
            _("only a supervisor may {action}; {login} is an {role}").format(
                action=_(what), login=actor.login, role=label("role", actor.role))
        )


def check_line(name: str, allotment: str, total: int) -> tuple[str, str, int]:
    """A line's name, allotment and total, checked (one ValidationError line each)."""
    name = storable((name or "").strip(), N_("the line's name"), 200)
    if not name:
        raise ValidationError(_("a contract line needs a name"))
    allotment = (allotment or "").strip().lower()
    if allotment not in ALLOTMENTS:
        raise ValidationError(
            _("allotment {allotment} is not one of {choices}").format(
                allotment=repr(allotment), choices=", ".join(ALLOTMENTS))
        )
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValidationError(_("a line's total must be a whole number, not {value}").format(
            value=repr(total)))
    if not 1 <= total <= MAX_TOTAL:
        raise ValidationError(
            _("a line's total must be between 1 and {max}, not {value}").format(
                max=f"{MAX_TOTAL:,}", value=shown_number(total))
        )
    return name, allotment, total


def check_period(starts: date | None, ends: date | None) -> None:
    if starts is not None and ends is not None and ends < starts:
        raise ValidationError(
            _("the period ends ({ends}) before it starts ({starts})").format(
                ends=ends.isoformat(), starts=starts.isoformat())
        )


def load_account(session: Session, account: int | str) -> Account:
    """An account by id, or by its exact name (case-insensitive) when that is unique."""
    if isinstance(account, int) and not isinstance(account, bool):
        found = session.get(Account, storable_id(account, "account"))
        if found is None:
            raise NotFound(_("no account {id}").format(id=account))
        return found
    text = str(account).strip()
    if text.isdigit():
        return load_account(session, int(text))
    rows: list[Account] = list(session.execute(
        select(Account).where(func.lower(col(Account.name)) == text.lower()).limit(2)
    ).scalars().all())
    if not rows:
        raise NotFound(_("no account named {name}").format(name=repr(text)))
    if len(rows) > 1:
        raise ValidationError(_("more than one account is named {name}: give its id").format(
            name=repr(text)))
    return rows[0]


def load_contract(session: Session, contract: int | str) -> Contract:
    """A contract by its number (``CT-000001``, or as imported) or by id (an int)."""
    if isinstance(contract, int) and not isinstance(contract, bool):
        found = session.get(Contract, storable_id(contract, "contract"))
        if found is None:
            raise NotFound(_("no contract {id}").format(id=contract))
        return found
    text = str(contract).strip()
    row: Contract | None = session.execute(
        select(Contract).where(func.lower(col(Contract.number)) == text.lower())
    ).scalar_one_or_none()
    if row is None:
        match = _NUMBER.match(text)
        if match:
            row = session.execute(
                select(Contract).where(col(Contract.number) == contract_label(
                    int(match.group(1))))
            ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("no contract {number}").format(number=repr(text)))
    return row


def contract_label(number: int) -> str:
    """``CT-000001``: the number of a contract made by casedesk."""
    return f"CT-{number:06d}"


def _new_number(session: Session) -> str:
    """The next free ``CT-`` number (an imported contract may already hold one)."""
    while True:
        label = contract_label(claim_numbers(session, "contract")[0])
        taken = session.execute(
            select(col(Contract.id)).where(col(Contract.number) == label)
        ).first()
        if taken is None:
            return label


def create_contract(
    session: Session,
    *,
    account: Account,
    name: str,
    starts: date | None,
    ends: date | None,
    number: str | None = None,
) -> int:
    """Insert a contract in ``session`` (checked); returns its id."""
    name = storable((name or "").strip(), N_("the contract's name"), 200)
    if not name:
        raise ValidationError(_("a contract needs a name"))
    check_period(starts, ends)
    if number is not None:
        number = storable(number.strip(), N_("the contract number"), 40)
        if not number:
            raise ValidationError(_("a contract number cannot be empty"))
        if session.execute(
            select(col(Contract.id)).where(col(Contract.number) == number)
        ).first() is not None:
            raise ValidationError(_("contract {number} exists already").format(number=number))
    else:
        number = _new_number(session)
    contract_id: int = session.execute(
        insert(Contract)
        .values(number=number, account_id=account.id, name=name, starts=starts, ends=ends,
                status="active")
        .returning(col(Contract.id))
    ).scalar_one()
    return contract_id


def create_line(
    session: Session,
    contract_id: int,
    *,
    name: str,
    allotment: str,
    total: int,
    starts: date | None = None,
    ends: date | None = None,
) -> int:
    """Insert a line of ``contract_id`` in ``session`` (checked); returns its id."""
    name, allotment, total = check_line(name, allotment, total)
    check_period(starts, ends)
    line_id: int = session.execute(
        insert(ContractLine)
        .values(contract_id=contract_id, name=name, allotment=allotment, total=total, used=0,
                starts=starts, ends=ends)
        .returning(col(ContractLine.id))
    ).scalar_one()
    return line_id


def add_contract(
    desk: Desk,
    actor: Actor,
    *,
    account: int | str,
    name: str,
    starts: date | None = None,
    ends: date | None = None,
    number: str | None = None,
) -> ContractView:
    """A new active contract of an account (numbered ``CT-…`` unless ``number``)."""
    require_supervisor(actor, N_("add contracts"))
    with write_session(desk.engine) as session:
        row = load_account(session, account)
        contract_id = create_contract(session, account=row, name=name, starts=starts,
                                      ends=ends, number=number)
        return contract_view(session, contract_id, day_of(session, actor.id, desk.now()))


def add_line(
    desk: Desk,
    actor: Actor,
    contract: int | str,
    *,
    name: str,
    allotment: str,
    total: int,
    starts: date | None = None,
    ends: date | None = None,
) -> ContractView:
    """A new line on a contract: ``total`` cases or minutes, over the contract's period
    unless the line has its own."""
    require_supervisor(actor, N_("add contract lines"))
    with write_session(desk.engine) as session:
        row = load_contract(session, contract)
        create_line(session, saved_id(row.id), name=name, allotment=allotment, total=total,
                    starts=starts, ends=ends)
        return contract_view(session, saved_id(row.id), day_of(session, actor.id, desk.now()))


def contract_view(session: Session, contract_id: int, on: date) -> ContractView:
    """A contract with its lines as they stand on ``on``."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(_("no contract {id}").format(id=contract_id))
    account = session.get(Account, contract.account_id)
    lines = session.execute(
        select(ContractLine)
        .where(col(ContractLine.contract_id) == contract_id)
        .order_by(col(ContractLine.id))
    ).scalars().all()
    return ContractView(
        id=saved_id(contract.id), number=contract.number, account_id=contract.account_id,
        account=account.name if account is not None else "", name=contract.name,
        starts=contract.starts, ends=contract.ends, status=contract.status,
        lines=[status(line, contract, on) for line in lines],
    )


def get_contract(desk: Desk, contract: int | str, agent_id: int | None = None) -> ContractView:
    """One contract (by number) and what each line still allows today."""
    with read_session(desk.engine) as session:
        row = load_contract(session, contract)
        return contract_view(session, saved_id(row.id), day_of(session, agent_id, desk.now()))


def list_contracts(
    desk: Desk, *, account: int | str | None = None, agent_id: int | None = None,
    limit: int = 200,
) -> list[ContractView]:
    """Contracts (of one account, or all), newest first, with their lines."""
    with read_session(desk.engine) as session:
        query = select(col(Contract.id)).order_by(col(Contract.id).desc()).limit(limit)
        if account is not None:
            query = query.where(col(Contract.account_id) == load_account(session, account).id)
        day = day_of(session, agent_id, desk.now())
        return [contract_view(session, cid, day) for cid in session.execute(query).scalars()]


def account_contracts(session: Session, account_id: int, on: date) -> list[ContractView]:
    """An account's contracts, newest first (the customer view)."""
    ids = session.execute(
        select(col(Contract.id)).where(col(Contract.account_id) == account_id)
        .order_by(col(Contract.id).desc())
    ).scalars().all()
    return [contract_view(session, cid, on) for cid in ids]
