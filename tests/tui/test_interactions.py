"""Interaction log: lookup as you type, a new contact inline, the call timer, save, save and
open a case (the live call is the first response), save onto an existing case, and the
lists below the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import DataTable, OptionList, Select

from casedesk.screens.case import CaseScreen
from casedesk.screens.interactions import InteractionLogScreen, parse_mm_ss
from casedesk.services.directory import customers
from casedesk.services.queries import reads
from casedesk.services.queries.views import CaseDetail
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import infos, make_app, press, settle, type_text


def _today(world: World, login: str) -> list:
    agent = world.desk.actor(login)
    return reads.interactions_today(world.desk, agent.id, datetime(2026, 3, 1, tzinfo=UTC))


def _log(app: object) -> InteractionLogScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, InteractionLogScreen)
    return screen


def test_durations_parse() -> None:
    assert parse_mm_ss("4:05") == 245
    assert parse_mm_ss("7") == 420
    assert parse_mm_ss("1:02:03") == 3723
    assert parse_mm_ss("") == 0
    assert parse_mm_ss("abc") is None


async def test_lookup_existing_customer_and_save_a_timed_call(tui_world: World) -> None:
    old = cases.create_case(tui_world.desk, tui_world.luis, title="Router lento",
                            contact_id=tui_world.contact_id, queue="technical")
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _log(app)
        await type_text(pilot, "juan.perez@")
        await pilot.pause(0.25)
        await settle(pilot)
        matches = screen.query_one("#log-contact-matches", OptionList)
        assert "Juan Pérez" in str(matches.get_option_at_index(0).prompt)
        await press(pilot, "down", "enter")
        assert screen.contact is not None and screen.contact["name"] == "Juan Pérez"
        history_cases = screen.query_one("#history-cases", DataTable)
        assert str(history_cases.get_cell_at((0, 0))) == old.label
        await type_text(pilot, "Pregunta por su factura")
        tui_world.desk.clock.advance(timedelta(minutes=2, seconds=5))  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        saved = _today(tui_world, "ana")
        assert len(saved) == 1
        call = saved[0]
        assert (call.channel, call.direction, call.contact, call.subject) == (
            "phone", "inbound", "Juan Pérez", "Pregunta por su factura"
        )
        assert call.duration_seconds == 125 and call.case is None
        assert "interaction saved" in infos(app)
        today = screen.query_one("#log-today", DataTable)
        assert today.row_count == 1 and str(today.get_cell_at((0, 3))) == "Pregunta por su factura"
        assert screen.contact is None  # the form is clear for the next call


async def test_new_customer_then_save_and_open_a_case(tui_world: World) -> None:
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _log(app)
        await type_text(pilot, "Marta Gil")
        await pilot.pause(0.25)
        await press(pilot, "ctrl+n")
        await press(pilot, "tab")
        await type_text(pilot, "marta@example.com")
        await press(pilot, "tab")
        await type_text(pilot, "+34 611 222 333")
        await press(pilot, "enter")
        assert screen.contact is not None and screen.contact["name"] == "Marta Gil"
        found = customers.find_contacts(tui_world.desk, "marta@example.com")
        assert [c["name"] for c in found] == ["Marta Gil"]
        screen.query_one("#log-typification", Select).value = "incident"
        await type_text(pilot, "Sin conexión desde ayer")
        tui_world.desk.clock.advance(timedelta(minutes=4))  # type: ignore[attr-defined]
        await press(pilot, "ctrl+o")
        await press(pilot, "ctrl+s")  # the prefilled case form: title from the subject
        assert app.current_mode == "case"
        case_screen = app.screen
        assert isinstance(case_screen, CaseScreen) and case_screen.bundle is not None
        case: CaseDetail = case_screen.bundle.case
        assert (case.title, case.contact, case.area, case.owner) == (
            "Sin conexión desde ayer", "Marta Gil", "technical", "ana"
        )
        assert case.first_response_at is not None  # the live call answered the customer
        (call,) = _today(tui_world, "ana")
        assert call.case == case.label and call.duration_seconds == 240


async def test_save_onto_an_existing_case(tui_world: World) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Portabilidad",
                             contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _log(app)
        await type_text(pilot, "juan")
        await pilot.pause(0.25)
        await press(pilot, "down", "enter")
        screen.query_one("#log-channel", Select).value = "email"
        screen.query_one("#log-direction", Select).value = "outbound"
        await type_text(pilot, "Confirmamos la portabilidad")
        await press(pilot, "ctrl+l")
        # the customer's open case is suggested
        await press(pilot, "enter")
        (mail,) = _today(tui_world, "ana")
        assert (mail.channel, mail.direction, mail.case) == ("email", "outbound", case.label)
        assert reads.get_case(tui_world.desk, case.label).first_response_at is not None


async def test_log_on_the_case_from_the_case_screen(tui_world: World) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Baja de línea",
                             contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "i")
        screen = _log(app)
        assert screen.attach_case == case.label and screen.contact is not None
        await press(pilot, "ctrl+s")
        (call,) = _today(tui_world, "ana")
        assert call.case == case.label and call.subject == "Re: Baja de línea"
