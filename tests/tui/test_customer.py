"""The customer at a glance (one key from the log and from a case), the case form's
contract line, and the call timer's handle / after-call split, driven by the app's clock."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from textual.widgets import DataTable, Select, Static

from casedesk.clock import FrozenClock
from casedesk.db import read_session, write_session
from casedesk.models import Case, Interaction, TimeEntry
from casedesk.screens.case import CaseScreen
from casedesk.screens.customer import CustomerScreen
from casedesk.screens.interactions import InteractionLogScreen
from casedesk.screens.modals import CaseForm
from casedesk.services.contracts import contracts
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text


def contract_for_juan(world: World, *, cases_total: int = 1, used_up: bool = True) -> int:
    """Juan's account gets a contract: a cases line (used up when asked) and a minutes line."""
    view = contracts.add_contract(world.desk, world.sup, account="Pérez Hogar",
                                  name="Soporte hogar", starts=date(2026, 1, 1),
                                  ends=date(2026, 12, 31))
    view = contracts.add_line(world.desk, world.sup, view.number, name="Incidencias",
                              allotment="cases", total=cases_total)
    contracts.add_line(world.desk, world.sup, view.number, name="Soporte remoto",
                       allotment="minutes", total=120)
    line = view.lines[0].id
    if used_up:
        for i in range(cases_total):
            cases.create_case(world.desk, world.ana, title=f"Incidencia {i + 1}",
                              contact_id=world.contact_id, contract_line_id=line)
    return line


def rate(world: World, label: str, stars: int) -> None:
    with write_session(world.desk.engine) as s:
        s.execute(update(Case).where(Case.number == int(label[3:])).values(satisfaction=stars))


async def choose_juan(pilot: object) -> None:
    await type_text(pilot, "juan")  # type: ignore[arg-type]
    await pilot.pause(0.25)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await press(pilot, "down", "enter")  # type: ignore[arg-type]


async def test_ctrl_g_on_the_log_shows_the_selected_customer(tui_world: World) -> None:
    contract_for_juan(tui_world)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+g")  # nobody chosen yet: said, nothing opens
        assert isinstance(app.screen, InteractionLogScreen)
        await choose_juan(pilot)
        await press(pilot, "ctrl+g")
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.view is not None
        assert screen.view.account == "Pérez Hogar"
        lines = screen.query_one("#customer-lines", DataTable)
        assert lines.row_count == 2
        head = str(screen.query_one("#customer-head", Static).render())
        assert "is exhausted: 1 of 1 case used" in head
        await press(pilot, "escape")
        assert isinstance(app.screen, InteractionLogScreen)


async def test_r_on_a_case_shows_its_customer_and_enter_opens_a_case(tui_world: World) -> None:
    contract_for_juan(tui_world)
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Sin línea fija",
                             contact_id=tui_world.contact_id)
    rate(tui_world, "CS-000001", 4)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "r")
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.view is not None
        assert screen.view.satisfaction_average == 4.0
        table = screen.query_one("#customer-cases", DataTable)
        assert table.row_count == 2
        table.focus()
        table.move_cursor(row=table.get_row_index("CS-000001"))
        await press(pilot, "enter")
        case_screen = app.screen
        assert isinstance(case_screen, CaseScreen)
        assert case_screen.number == "CS-000001"


async def test_the_case_form_proposes_the_line_and_says_it_is_exhausted(tui_world: World) -> None:
    line = contract_for_juan(tui_world, cases_total=1)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await choose_juan(pilot)
        await type_text(pilot, "Otra avería")
        await press(pilot, "ctrl+o")
        form = app.screen
        assert isinstance(form, CaseForm)
        chosen = form.query_one("#case-line", Select)
        assert chosen.value != CaseForm.NO_LINE  # a line in force is proposed
        chosen.value = str(line)  # the agent picks the exhausted one
        await settle(pilot)
        words = str(form.query_one("#case-entitlement", Static).render())
        assert "is exhausted: 1 of 1 case used" in words
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CaseScreen)  # never refused
        shown = [n.message for n in app._notifications]
        assert any("exhausted" in m for m in shown)
    with read_session(tui_world.desk.engine) as s:
        made = s.execute(select(Case).where(Case.title == "Otra avería")).scalar_one()
        assert (made.contract_line_id, made.entitlement) == (line, "exhausted")


async def test_the_call_timer_keeps_handle_time_and_after_call_work_apart(
    tui_world: World, tui_clock: FrozenClock
) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Factura duplicada",
                             contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InteractionLogScreen)
        screen.prepare_for_case(case)
        await settle(pilot)
        await press(pilot, "ctrl+t")  # the call starts
        tui_clock.advance(timedelta(seconds=245))
        await press(pilot, "ctrl+t")  # end call: 4:05 on the line
        tui_clock.advance(timedelta(seconds=61))  # wrap-up
        screen.tick()  # what the app's once-a-second tick draws
        timer_text = str(screen.query_one("#log-timer").render())
        assert "4:05 call ended" in timer_text and "1:01 after the call" in timer_text
        await press(pilot, "ctrl+s")
    with read_session(tui_world.desk.engine) as s:
        call = s.execute(select(Interaction).where(Interaction.case_id == case.id)).scalar_one()
        assert (call.duration_seconds, call.wrap_seconds) == (245, 61)
        entries = s.execute(select(TimeEntry.kind, TimeEntry.minutes, TimeEntry.interaction_id)
                            .order_by(TimeEntry.id)).all()
    assert [tuple(e) for e in entries] == [("handle", 5, call.id), ("after_call", 2, call.id)]
