"""The entitlement rules: which line is in force, what is left, what a case or minutes use.

A line grants ``total`` cases or minutes over its period (its own ``starts``/``ends``, or
its contract's). On a day it is **expired** when the day is outside that period or its
contract is not ``active``; else **exhausted** when nothing is left (or the amount being
counted goes beyond what is left); else **ok**. Nothing here ever refuses: an exhausted or
expired line is counted all the same, and its state is returned for the case to record
and the agent to see. Counting is one ``UPDATE … RETURNING`` (the row lock orders two
agents taking the last case), and the state is judged from the value it returns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlmodel import Session, col

from casedesk import localformat
from casedesk.db import read_session
from casedesk.errors import NotFound
from casedesk.i18n import _, ngettext
from casedesk.models import Account, Agent, Case, Contact, Contract, ContractLine
from casedesk.services.context import Desk, storable_id
from casedesk.services.contracts.views import Consumption, LineStatus, Proposal
from casedesk.services.numbers import parse_case_number


class Entitlement(StrEnum):
    """What ``case.entitlement`` records."""

    ok = "ok"
    exhausted = "exhausted"
    expired = "expired"
    none = "none"


ALLOTMENTS = ("cases", "minutes")
_ORDER = {Entitlement.ok: 0, Entitlement.exhausted: 1, Entitlement.expired: 2}


def judge(
    *,
    total: int,
    used_before: int,
    amount: int,
    starts: date | None,
    ends: date | None,
    active: bool,
    on: date,
) -> Entitlement:
    """The state of a line on day ``on`` when ``amount`` more is counted on it (0: only
    looking). Pure: the one place the rule is written."""
    if not active or (starts is not None and on < starts) or (ends is not None and on > ends):
        return Entitlement.expired
    if used_before >= total or used_before + amount > total:
        return Entitlement.exhausted
    return Entitlement.ok


def amount(total: int, allotment: str) -> str:
    """``10 cases``, ``1 minute`` / ``10 casos``, ``1 minuto``."""
    if allotment == "cases":
        return ngettext("{n} case", "{n} cases", total).format(n=total)
    if allotment == "minutes":
        return ngettext("{n} minute", "{n} minutes", total).format(n=total)
    return f"{total} {allotment}"


def words(line: LineStatus | None, day: date) -> str:
    """The sentence the agent reads about a line (before or after counting on it)."""
    if line is None:
        return _("No contract line: the case counts against no contract.")
    name = f"{line.name} ({line.contract_number})"
    if line.state == Entitlement.expired:
        if line.starts is not None and day < line.starts:
            return _("Contract line {name} is not in force until {day}: "
                     "the case is taken and recorded as outside the contract.").format(
                name=name, day=localformat.day(line.starts))
        if line.ends is not None and day > line.ends:
            return _("Contract line {name} expired on {day}: the case is "
                     "taken and recorded as outside the contract.").format(
                name=name, day=localformat.day(line.ends))
        return _("The contract of line {name} is not active: the case is taken and "
                 "recorded as outside the contract.").format(name=name)
    total = amount(line.total, line.allotment)
    if line.state == Entitlement.exhausted:
        return _("Contract line {name} is exhausted: {used} of {total} used. The case is "
                 "taken and recorded as beyond the contract.").format(
            name=name, used=line.used, total=total)
    if line.ends is not None:
        return _("Contract line {name}: {left} of {total} left until {day}.").format(
            name=name, left=line.left, total=total, day=localformat.day(line.ends))
    return _("Contract line {name}: {left} of {total} left.").format(
        name=name, left=line.left, total=total)


def status(line: ContractLine, contract: Contract, on: date, *, amount: int = 0,
           used_before: int | None = None, state: Entitlement | None = None) -> LineStatus:
    """The read model of ``line`` on day ``on`` (its state judged for ``amount`` more)."""
    starts = line.starts or contract.starts
    ends = line.ends or contract.ends
    if state is None:
        state = judge(total=line.total, used_before=line.used if used_before is None
                      else used_before, amount=amount, starts=starts, ends=ends,
                      active=contract.status == "active", on=on)
    view = LineStatus(
        id=int(line.id or 0), contract_id=int(contract.id or 0),
        contract_number=contract.number, contract_name=contract.name, name=line.name,
        allotment=line.allotment, total=line.total, used=line.used,
        left=max(line.total - line.used, 0), over=max(line.used - line.total, 0),
        starts=starts, ends=ends, state=state.value, words="",
    )
    return replace(view, words=words(view, on))


def day_of(session: Session, agent_id: int | None, now: datetime) -> date:
    """The calendar day ``now`` falls on for an agent (their time zone; UTC for none)."""
    name = None
    if agent_id is not None:
        name = session.execute(
            select(col(Agent.timezone)).where(col(Agent.id) == agent_id)
        ).scalar_one_or_none()
    try:
        zone = ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def line_status(session: Session, line_id: int, on: date) -> LineStatus:
    """One line as it stands on ``on``; NotFound when there is none."""
    row = session.execute(
        select(ContractLine, Contract)
        .join(Contract, col(Contract.id) == col(ContractLine.contract_id))
        .where(col(ContractLine.id) == storable_id(line_id, "contract line"))
    ).first()
    if row is None:
        raise NotFound(_("no contract line {id}").format(id=line_id))
    return status(row[0], row[1], on)


def account_lines(session: Session, account_id: int, on: date) -> list[LineStatus]:
    """Every line of an account's contracts, best first: in force with something left,
    then exhausted, then expired; cases before minutes; the one ending soonest first."""
    rows = session.execute(
        select(ContractLine, Contract)
        .join(Contract, col(Contract.id) == col(ContractLine.contract_id))
        .where(col(Contract.account_id) == account_id)
    ).all()
    lines = [status(line, contract, on) for line, contract in rows]
    return sorted(lines, key=_rank)


def _rank(line: LineStatus) -> tuple[Any, ...]:
    return (_ORDER[Entitlement(line.state)], line.allotment != "cases",
            line.ends or date.max, line.id)


def propose_for(session: Session, contact_id: int | None, on: date) -> Proposal:
    """The lines a new case for ``contact_id`` may count against and the one proposed:
    the best line in force (even exhausted: it is recorded so); an expired line is listed
    but never proposed."""
    account_id: int | None = None
    account_name: str | None = None
    if contact_id is not None:
        contact = session.get(Contact, storable_id(contact_id, "contact"))
        if contact is None:
            raise NotFound(_("no contact {id}").format(id=contact_id))
        account_id = contact.account_id
    if account_id is not None:
        account = session.get(Account, account_id)
        account_name = account.name if account is not None else None
    lines = account_lines(session, account_id, on) if account_id is not None else []
    proposed = next((li for li in lines if li.state != Entitlement.expired), None)
    if proposed is not None:
        text = words(proposed, on)
    elif lines:
        text = _("Every contract line of this customer is outside its period: {line}").format(
            line=words(lines[0], on))
    elif account_id is not None:
        text = _("This customer's account has no contract line.")
    else:
        text = _("This customer has no account, so no contract.")
    return Proposal(contact_id, account_id, account_name, on, lines, proposed, text)


def propose(desk: Desk, contact_id: int | None, agent_id: int | None = None) -> Proposal:
    """:func:`propose_for` in a read transaction of its own, on the agent's today."""
    with read_session(desk.engine) as session:
        return propose_for(session, contact_id, day_of(session, agent_id, desk.now()))


def describe_line(desk: Desk, line_id: int, agent_id: int | None = None) -> LineStatus:
    """One line as it stands on the agent's today (what a case on it would find)."""
    with read_session(desk.engine) as session:
        return line_status(session, line_id, day_of(session, agent_id, desk.now()))


def case_line(desk: Desk, number: int | str, agent_id: int | None = None) -> LineStatus | None:
    """The contract line a case counts against, as it stands today (None: no line)."""
    with read_session(desk.engine) as session:
        line_id = session.execute(
            select(col(Case.contract_line_id))
            .where(col(Case.number) == parse_case_number(number))
        ).scalar_one_or_none()
        if line_id is None:
            return None
        return line_status(session, line_id, day_of(session, agent_id, desk.now()))


def count_case(session: Session, line_id: int, on: date) -> Consumption:
    """A new case on ``line_id``: a ``cases`` line counts one more; a ``minutes`` line is
    only looked at (its minutes come with the time logged)."""
    line = line_status(session, line_id, on)
    if line.allotment != "cases":
        return Consumption(line.state, line)
    return _count(session, line_id, 1, on)


def count_minutes(session: Session, line_id: int, minutes: int, on: date) -> Consumption | None:
    """Minutes logged on a case of ``line_id``: a ``minutes`` line counts them; None for
    a ``cases`` line (time does not use it)."""
    line = line_status(session, line_id, on)
    if line.allotment != "minutes":
        return None
    return _count(session, line_id, minutes, on)


def _count(session: Session, line_id: int, amount: int, on: date) -> Consumption:
    used_after = session.execute(
        update(ContractLine)
        .where(col(ContractLine.id) == line_id)
        .values(used=col(ContractLine.used) + amount)
        .returning(col(ContractLine.used))
    ).scalar_one()
    row = session.execute(
        select(ContractLine, Contract)
        .join(Contract, col(Contract.id) == col(ContractLine.contract_id))
        .where(col(ContractLine.id) == line_id)
        .execution_options(populate_existing=True)
    ).one()
    line, contract = row
    state = judge(total=line.total, used_before=used_after - amount, amount=amount,
                  starts=line.starts or contract.starts, ends=line.ends or contract.ends,
                  active=contract.status == "active", on=on)
    return Consumption(state.value, status(line, contract, on, state=state))


def uncount_case(session: Session, line_id: int) -> None:
    """A case no longer counts against a ``cases`` line (its line was changed)."""
    used = col(ContractLine.used)
    session.execute(
        update(ContractLine)
        .where(col(ContractLine.id) == line_id, col(ContractLine.allotment) == "cases",
               used > 0)
        .values(used=used - 1)
    )
