"""Editing a case (``cases.update_case``) on both databases: who may, what it records."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casedesk.db import read_session, write_session
from casedesk.errors import InvalidTransition, PermissionDenied, StaleVersion, ValidationError
from casedesk.models import Case, CaseEvent, Contract, ContractLine
from casedesk.services.directory import customers
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import World


def _events_match_version(world: World) -> None:
    with read_session(world.desk.engine) as s:
        for version, events in s.execute(
            select(Case.version, func.count(CaseEvent.id))
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .group_by(Case.id, Case.version)
        ).all():
            assert events == version


def _used(world: World, line_id: int) -> int:
    with read_session(world.desk.engine) as s:
        query = select(ContractLine.used).where(ContractLine.id == line_id)
        used: int = s.execute(query).scalar_one()
        return used


def test_one_event_with_before_and_after_shown_on_the_timeline(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Router", queue="technical")
    edited = cases.update_case(
        world.desk, world.ana, c.label, version=c.version,
        title="Router sin señal", priority="high", area="billing", description="Luz roja",
    )
    assert (edited.title, edited.priority, edited.area, edited.description) == (
        "Router sin señal", "high", "billing", "Luz roja")
    assert edited.version == c.version + 1
    last = reads.timeline(world.desk, c.label)[-1]
    assert last.kind == "update"
    assert last.data["priority"] == ["medium", "high"]
    assert last.data["title"] == ["Router", "Router sin señal"]
    assert "priority medium → high" in last.text
    assert "title “Router” → “Router sin señal”" in last.text
    assert "category general → billing" in last.text and "description edited" in last.text
    _events_match_version(world)


def test_stale_version_names_who_changed_what(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Router", queue="technical")
    cases.update_case(world.desk, world.sup, c.label, version=c.version, priority="high")
    with pytest.raises(StaleVersion) as err:
        cases.update_case(world.desk, world.ana, c.label, version=c.version, title="otro")
    assert "María López" in str(err.value) and "priority" in str(err.value)
    _events_match_version(world)


def test_only_owner_queue_member_or_supervisor_may_edit(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Router", queue="technical")
    with pytest.raises(PermissionDenied, match="not yours"):
        cases.update_case(world.desk, world.carmen, c.label, version=c.version, title="x")
    got = cases.update_case(world.desk, world.luis, c.label, version=c.version, title="x")
    assert got.title == "x"  # luis works the technical queue
    bin_case = cases.create_case(world.desk, world.carmen, title="Oferta")  # carmen's bin
    with pytest.raises(PermissionDenied):
        cases.update_case(world.desk, world.luis, bin_case.label, version=1, title="y")
    assert cases.update_case(world.desk, world.carmen, bin_case.label, version=1,
                             title="y").title == "y"


def test_closed_and_cancelled_are_refused(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Duplicado")
    transitions.cancel(world.desk, world.ana, c.label, "duplicado")
    current = reads.get_case(world.desk, c.label)
    with pytest.raises(InvalidTransition, match="cancelled: reopen it first"):
        cases.update_case(world.desk, world.ana, c.label, version=current.version, title="x")


def test_customer_and_contract_line_change_the_account_policy_and_counts(world: World) -> None:
    other_account = customers.add_account(world.desk, name="Bar Luna", tier="vip")
    other = customers.add_contact(world.desk, name="Rosa Luna", account_id=other_account)
    with write_session(world.desk.engine) as s:
        contract = Contract(number="C-2026-1", account_id=other_account, name="Soporte 2026")
        s.add(contract)
        s.flush()
        line = ContractLine(contract_id=contract.id, name="10 casos", allotment="cases",
                            total=10, used=0)
        s.add(line)
        s.flush()
        line_id = line.id
    assert line_id is not None
    c = cases.create_case(world.desk, world.ana, title="Factura", contact_id=world.contact_id)
    assert c.account == "Pérez Hogar"
    with pytest.raises(ValidationError, match="another customer's contract"):
        cases.update_case(world.desk, world.ana, c.label, version=c.version,
                          contract_line_id=line_id)
    moved = cases.update_case(world.desk, world.ana, c.label, version=c.version,
                              contact_id=other, contract_line_id=line_id)
    assert moved.account == "Bar Luna" and moved.contract_line == "10 casos"
    text = reads.timeline(world.desk, c.label)[-1].text
    assert "customer Juan Pérez → Rosa Luna" in text and "contract line none → 10 casos" in text
    assert _used(world, line_id) == 1
    back = cases.update_case(world.desk, world.ana, c.label, version=moved.version,
                             contract_line_id=None, contact_id=None)
    assert back.account is None and back.contact_id is None
    assert _used(world, line_id) == 0
    _events_match_version(world)


def test_nothing_changed_is_no_event(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Router")
    same = cases.update_case(world.desk, world.ana, c.label, version=c.version, title="Router ")
    assert same.version == c.version
    with pytest.raises(ValidationError, match="cannot edit status"):
        cases.update_case(world.desk, world.ana, c.label, version=c.version, status="closed")
