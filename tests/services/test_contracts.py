"""Contracts, lines, templates and entitlements, on both databases: a case consumes its
line, exhausted and expired lines never block and are recorded on the case and its
event; minutes count against minutes lines; templates make a contract in one step."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.models import Case, CaseEvent
from casedesk.services.contracts import contracts, entitlements, templates
from casedesk.services.contracts.entitlements import Entitlement, judge
from casedesk.services.contracts.views import TemplateLine
from casedesk.services.workflow import cases, timelog
from tests.conftest import World

TODAY = date(2026, 3, 2)  # T0 in Madrid


def _case_row(world: World, case_id: int) -> Case:
    with read_session(world.desk.engine) as s:
        row = s.get(Case, case_id)
        assert row is not None
        return row


def _events(world: World, case_id: int) -> list[CaseEvent]:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                              .order_by(CaseEvent.id)).scalars())


def _versions_match(world: World) -> None:
    with read_session(world.desk.engine) as s:
        for case in s.execute(select(Case)).scalars():
            count = s.execute(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.case_id == case.id)).scalar_one()
            assert count == case.version, case.number


def _contract(world: World, *, cases_total: int = 1, minutes_total: int = 30,
              starts: date | None = TODAY - timedelta(days=10),
              ends: date | None = TODAY + timedelta(days=30)) -> tuple[int, int]:
    view = contracts.add_contract(world.desk, world.sup, account="Pérez Hogar",
                                  name="Soporte hogar", starts=starts, ends=ends)
    contracts.add_line(world.desk, world.sup, view.number, name="Incidencias",
                       allotment="cases", total=cases_total)
    view = contracts.add_line(world.desk, world.sup, view.number, name="Soporte remoto",
                              allotment="minutes", total=minutes_total)
    by_kind = {line.allotment: line.id for line in view.lines}
    return by_kind["cases"], by_kind["minutes"]


def test_contract_numbers_lines_and_show(world: World) -> None:
    cases_line, minutes_line = _contract(world, cases_total=5)
    shown = contracts.get_contract(world.desk, "CT-000001")
    assert shown.account == "Pérez Hogar" and shown.status == "active"
    assert [(li.name, li.allotment, li.total, li.left, li.state) for li in shown.lines] == [
        ("Incidencias", "cases", 5, 5, "ok"), ("Soporte remoto", "minutes", 30, 30, "ok")]
    assert contracts.get_contract(world.desk, "ct-1").id == shown.id  # typed loosely
    assert [c.number for c in contracts.list_contracts(world.desk, account="pérez hogar")] \
        == ["CT-000001"]
    assert "5 of 5 cases left until 2026-04-01" in shown.lines[0].words


def test_only_supervisors_write_contracts_and_bad_values_are_one_line(world: World) -> None:
    with pytest.raises(PermissionDenied):
        contracts.add_contract(world.desk, world.ana, account="Pérez Hogar", name="X")
    with pytest.raises(NotFound):
        contracts.add_contract(world.desk, world.sup, account="Nadie SL", name="X")
    with pytest.raises(ValidationError, match="ends"):
        contracts.add_contract(world.desk, world.sup, account="Pérez Hogar", name="X",
                               starts=TODAY, ends=TODAY - timedelta(days=1))
    view = contracts.add_contract(world.desk, world.sup, account="Pérez Hogar", name="X")
    for allotment, total in (("hours", 5), ("cases", 0), ("minutes", 10**12)):
        with pytest.raises(ValidationError):
            contracts.add_line(world.desk, world.sup, view.number, name="L",
                               allotment=allotment, total=total)
    with pytest.raises(NotFound):
        contracts.add_line(world.desk, world.sup, "CT-999999", name="L", allotment="cases",
                           total=1)


def test_a_case_consumes_its_line_and_the_exhausted_one_is_recorded_not_refused(
    world: World,
) -> None:
    cases_line, _ = _contract(world, cases_total=1)
    proposal = entitlements.propose(world.desk, world.contact_id, world.ana.id)
    assert proposal.proposed is not None and proposal.proposed.id == cases_line
    assert proposal.proposed.left == 1 and proposal.proposed.state == "ok"
    first = cases.create_case(world.desk, world.ana, title="Sin línea",
                              contact_id=world.contact_id, contract_line_id=cases_line)
    assert _case_row(world, first.id).entitlement == "ok"
    create = _events(world, first.id)[0]
    assert create.data is not None and create.data["entitlement"] == "ok"
    after = entitlements.propose(world.desk, world.contact_id, world.ana.id)
    exhausted = next(li for li in after.lines if li.id == cases_line)
    assert exhausted.state == "exhausted" and "exhausted: 1 of 1 case used" in exhausted.words
    # a line with something left comes first: the minutes line is proposed now
    assert after.proposed is not None and after.proposed.allotment == "minutes"
    second = cases.create_case(world.desk, world.ana, title="Otra vez sin línea",
                               contact_id=world.contact_id, contract_line_id=cases_line)
    assert _case_row(world, second.id).entitlement == "exhausted"
    data = _events(world, second.id)[0].data
    assert data is not None
    assert (data["entitlement"], data["used"], data["total"]) == ("exhausted", 2, 1)
    line = contracts.get_contract(world.desk, "CT-000001").lines[0]
    assert (line.used, line.left, line.over) == (2, 0, 1)
    _versions_match(world)


def test_an_expired_line_is_listed_not_proposed_and_recorded_when_chosen(world: World) -> None:
    cases_line, _ = _contract(world, starts=TODAY - timedelta(days=400),
                              ends=TODAY - timedelta(days=35))
    proposal = entitlements.propose(world.desk, world.contact_id, world.ana.id)
    assert proposal.proposed is None
    assert {li.state for li in proposal.lines} == {"expired"}
    assert "expired on 2026-01-26" in proposal.words
    c = cases.create_case(world.desk, world.ana, title="Contrato vencido",
                          contact_id=world.contact_id, contract_line_id=cases_line)
    assert _case_row(world, c.id).entitlement == "expired"
    assert contracts.get_contract(world.desk, "CT-000001").lines[0].used == 1


def test_a_case_without_a_line_records_none_and_a_changed_line_moves_the_count(
    world: World,
) -> None:
    cases_line, _ = _contract(world, cases_total=3)
    c = cases.create_case(world.desk, world.ana, title="Consulta", contact_id=world.contact_id)
    assert _case_row(world, c.id).entitlement == "none"
    edited = cases.update_case(world.desk, world.ana, c.number, version=c.version,
                               contract_line_id=cases_line)
    assert _case_row(world, edited.id).entitlement == "ok"
    assert contracts.get_contract(world.desk, "CT-000001").lines[0].used == 1
    data = _events(world, c.id)[-1].data
    assert data is not None and data["entitlement"] == ["none", "ok"]
    _versions_match(world)


def test_minutes_count_on_a_minutes_line_and_going_beyond_is_recorded(world: World) -> None:
    _, minutes_line = _contract(world, minutes_total=30)
    c = cases.create_case(world.desk, world.ana, title="Soporte remoto",
                          contact_id=world.contact_id, contract_line_id=minutes_line)
    assert _case_row(world, c.id).entitlement == "ok"
    first = timelog.add_time(world.desk, world.ana, c.number, 20, "diagnóstico")
    assert first.entitlement is not None and first.entitlement.state == "ok"
    assert first.entitlement.line.left == 10
    second = timelog.add_time(world.desk, world.ana, c.number, 25, "reconfiguración")
    assert second.entitlement is not None and second.entitlement.state == "exhausted"
    assert (second.entitlement.line.used, second.entitlement.line.over) == (45, 15)
    data = _events(world, c.id)[-1].data
    assert data is not None and (data["entitlement"], data["minutes"]) == ("exhausted", 25)
    # a cases line is not used by time
    cases_line = contracts.get_contract(world.desk, "CT-000001").lines[0]
    assert cases_line.used == 0
    _versions_match(world)


def test_a_line_can_have_its_own_period(world: World) -> None:
    view = contracts.add_contract(world.desk, world.sup, account="Pérez Hogar", name="Anual")
    view = contracts.add_line(world.desk, world.sup, view.number, name="Primer trimestre",
                              allotment="cases", total=3, starts=date(2026, 1, 1),
                              ends=date(2026, 2, 28))
    assert view.lines[0].state == "expired" and view.lines[0].ends == date(2026, 2, 28)


def test_templates_create_a_contract_with_its_lines_in_one_step(world: World) -> None:
    tpl = templates.add_template(
        world.desk, world.sup, name="Hogar Plus", duration_days=365,
        lines=[templates.parse_line_spec("Incidencias:cases:10"),
               templates.parse_line_spec("Soporte remoto : minutes : 600")],
    )
    assert [(li.name, li.allotment, li.total) for li in tpl.lines] == [
        ("Incidencias", "cases", 10), ("Soporte remoto", "minutes", 600)]
    assert [t.name for t in templates.list_templates(world.desk)] == ["Hogar Plus"]
    with pytest.raises(ValidationError, match="exists already"):
        templates.add_template(world.desk, world.sup, name="hogar plus", duration_days=30,
                               lines=tpl.lines)
    with pytest.raises(PermissionDenied):
        templates.apply_template(world.desk, world.ana, "Hogar Plus", account="Pérez Hogar")
    made = templates.apply_template(world.desk, world.sup, "hogar plus",
                                    account="Pérez Hogar")
    assert (made.starts, made.ends) == (TODAY, date(2027, 3, 1))
    assert [(li.name, li.total, li.used, li.state) for li in made.lines] == [
        ("Incidencias", 10, 0, "ok"), ("Soporte remoto", 600, 0, "ok")]
    proposal = entitlements.propose(world.desk, world.contact_id, world.ana.id)
    assert proposal.proposed is not None and proposal.proposed.name == "Incidencias"
    with pytest.raises(ValidationError):
        templates.add_template(world.desk, world.sup, name="Vacía", duration_days=30, lines=[])
    with pytest.raises(NotFound):
        templates.get_template(world.desk, "No existe")


@pytest.mark.parametrize("spec", ["", "Incidencias", "Incidencias:cases", "X:hours:3",
                                  "X:cases:0", "X:cases:-4", "X:cases:9999999999999"])
def test_bad_line_specs_are_one_validation_error(spec: str) -> None:
    with pytest.raises(ValidationError):
        templates.parse_line_spec(spec)


@given(st.text(max_size=40))
def test_line_specs_parse_or_refuse(text: str) -> None:
    try:
        line = templates.parse_line_spec(text)
    except ValidationError:
        return
    assert isinstance(line, TemplateLine)
    assert line.allotment in ("cases", "minutes") and line.total >= 1 and line.name


@given(total=st.integers(1, 1000), used=st.integers(0, 1200), amount=st.integers(0, 100),
       offset=st.integers(-5, 5))
def test_judge_follows_the_rule(total: int, used: int, amount: int, offset: int) -> None:
    on = TODAY + timedelta(days=offset)
    state = judge(total=total, used_before=used, amount=amount, starts=TODAY,
                  ends=TODAY + timedelta(days=2), active=True, on=on)
    if not 0 <= offset <= 2:
        assert state == Entitlement.expired
    elif used >= total or used + amount > total:
        assert state == Entitlement.exhausted
    else:
        assert state == Entitlement.ok and total - used >= amount


def test_the_customer_at_a_glance(world: World) -> None:
    from sqlalchemy import update

    from casedesk.db import write_session
    from casedesk.services.queries import customer_view
    from casedesk.services.workflow import interactions, transitions

    cases_line, _ = _contract(world, cases_total=1)
    first = cases.create_case(world.desk, world.ana, title="Sin línea",
                              contact_id=world.contact_id, contract_line_id=cases_line)
    second = cases.create_case(world.desk, world.ana, title="Factura",
                               contact_id=world.contact_id)
    transitions.cancel(world.desk, world.ana, second.number, "duplicado")
    interactions.log_interaction(world.desk, world.ana, channel="phone",
                                 contact_id=world.contact_id, subject="Llama", case=first.label)
    with write_session(world.desk.engine) as s:  # ratings come from imports and surveys
        s.execute(update(Case).where(Case.id == first.id).values(satisfaction=2))
        s.execute(update(Case).where(Case.id == second.id).values(satisfaction=5))
    contact = customer_view.find_contact(world.desk, "juan.perez@example.com")
    assert contact == world.contact_id == customer_view.find_contact(world.desk, "600 111 222")
    view = customer_view.customer_view(world.desk, contact_id=contact, agent_id=world.ana.id)
    assert (view.account, view.tier, view.contacts) == ("Pérez Hogar", "gold", ["Juan Pérez"])
    assert [c.label for c in view.open_cases] == [first.label]
    assert [c.label for c in view.past_cases] == [second.label]
    assert [i.subject for i in view.interactions] == ["Llama"]
    assert (view.satisfaction_average, view.satisfaction_count) == (3.5, 2)
    assert view.satisfaction_last == 5  # the case closed (cancelled) last
    lines = {li.name: li for c in view.contracts for li in c.lines}
    assert (lines["Incidencias"].left, lines["Incidencias"].state) == (0, "exhausted")
    by_account = customer_view.customer_view(
        world.desk, account_id=customer_view.find_account(world.desk, "pérez"))
    assert by_account.open_cases == view.open_cases and by_account.contact is None
    with pytest.raises(NotFound):
        customer_view.find_contact(world.desk, "nadie")
    with pytest.raises(ValidationError):
        customer_view.customer_view(world.desk)
