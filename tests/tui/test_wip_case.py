"""WIP bin and case screen: countdowns, status keys, dispatch, notes, time, tasks, parents,
cancel/reopen, the customer's history, and refused operations."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Select, Static, TextArea

from casedesk.screens.case import CaseScreen
from casedesk.screens.history import HistoryModal
from casedesk.screens.modals import ResolveForm, TextPrompt
from casedesk.screens.wip import WipScreen
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, tasks, transitions
from casedesk.widgets.sla import SlaPanel
from tests.conftest import World
from tests.tui.conftest import errors, make_app, press, settle, type_text


def _wip(app: object) -> WipScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, WipScreen)
    return screen


def _footer_actions(app: object) -> set[str]:
    """The actions the footer offers now (the keys that apply)."""
    screen = app.screen  # type: ignore[attr-defined]
    return {b.binding.action for b in screen.active_bindings.values()
            if b.binding.show and b.enabled}


def _case_screen(app: object) -> CaseScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, CaseScreen)
    return screen


async def test_bin_by_nearest_deadline_with_live_countdowns(tui_world: World) -> None:
    desk = tui_world.desk
    low = cases.create_case(desk, tui_world.ana, title="Cambio de domicilio", priority="low",
                            contact_id=tui_world.contact_id)
    high = cases.create_case(desk, tui_world.ana, title="Sin servicio", priority="high",
                             severity="critical", contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = _wip(app).cases
        assert [r.label for r in table.rows_held] == [high.label, low.label]
        before = str(table.get_cell_at((0, 0))).strip()
        # critical: 30 min first response, Madrid 09:00 Monday; business time, then the
        # due wall time in the agent's zone
        assert before == "30m 00s 09:30"
        desk.clock.advance(timedelta(minutes=25, seconds=10))  # type: ignore[attr-defined]
        await pilot.pause(1.1)
        cell = table.get_cell_at((0, 0))
        assert str(cell).strip() == "4m 50s 09:30" and "yellow" in str(cell.style)  # at 80 %
        desk.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        await pilot.pause(1.1)
        cell = table.get_cell_at((0, 0))
        assert str(cell).strip() == "-0m 10s 09:30" and "red" in str(cell.style)
        assert "1 breached" in str(_wip(app).query_one("#wip-status").render())


async def test_status_keys_and_dispatch_from_the_bin(tui_world: World) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.luis, title="Router lento", queue="technical")
    transitions.accept(desk, tui_world.ana, case.label)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = lambda: reads.get_case(desk, case.label).status  # noqa: E731
        await press(pilot, "s")
        assert status() == "in_progress"
        await press(pilot, "w")
        assert status() == "awaiting_customer"
        assert str(_wip(app).cases.get_cell_at((0, 3))) == "awaiting customer"
        await press(pilot, "u")
        assert status() == "in_progress"
        await press(pilot, "v")
        app.screen.query_one("#resolve-type", Select).value = "workaround"
        await type_text(pilot, "reinicio del router")
        await press(pilot, "ctrl+s")
        got = reads.get_case(desk, case.label)
        assert (got.status, got.resolution_type, got.resolution_notes) == (
            "resolved", "workaround", "reinicio del router"
        )
        await press(pilot, "o")
        assert status() == "in_progress"
        await press(pilot, "d")
        await press(pilot, "enter")  # "its home queue"
        got = reads.get_case(desk, case.label)
        assert got.owner is None and got.queue == "technical"
        assert _wip(app).cases.rows_held == []


async def test_case_screen_shows_everything_and_runs_every_action(tui_world: World) -> None:
    desk = tui_world.desk
    parent = cases.create_case(desk, tui_world.sup, title="Caída de fibra en Sevilla",
                               queue="technical", priority="high", severity="critical")
    case = cases.create_case(desk, tui_world.ana, title="Sin conexión en Triana",
                             contact_id=tui_world.contact_id, priority="high")
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        screen = _case_screen(app)
        header = str(screen.query_one("#case-header").render())
        for part in (case.label, "Sin conexión en Triana", "Juan Pérez", "Pérez Hogar (gold)",
                     "Priority high", "Owner Ana García", "[new]"):
            assert part in header
        sla_lines = screen.query_one("#case-sla", SlaPanel).lines()
        assert [(n, str(s)) for n, _d, s, _r in sla_lines][:2] == [
            ("First response", "ok"), ("Resolution", "ok")
        ]

        await press(pilot, "n")
        await type_text(pilot, "cliente llama desde el móvil")
        await press(pilot, "enter")
        await press(pilot, "l")
        await type_text(pilot, "15")
        await press(pilot, "tab")
        await type_text(pilot, "diagnóstico")
        await press(pilot, "enter")
        await press(pilot, "t")
        await type_text(pilot, "llamar al cliente")
        await press(pilot, "tab")
        await type_text(pilot, "2h")
        await press(pilot, "enter")
        task_table = screen.query_one("#case-tasks", DataTable)
        assert task_table.row_count == 1
        assert str(task_table.get_cell_at((0, 0))) == "ok"
        assert str(task_table.get_cell_at((0, 4))) == "2h 00m"
        task_table.focus()
        await press(pilot, "m")
        assert [t.status for t in tasks.list_tasks(desk, case=case.label, include_done=True)] == [
            "done"
        ]
        await press(pilot, "p")
        await type_text(pilot, parent.label)
        await press(pilot, "enter")
        assert reads.get_case(desk, case.label).parent == parent.label

        timeline = screen.query_one("#case-timeline", DataTable)
        texts = [str(timeline.get_cell_at((i, 3))) for i in range(timeline.row_count)]
        assert any("cliente llama desde el móvil" in t for t in texts)
        assert any(t.startswith("15 min") for t in texts)
        assert any("task added: llamar al cliente" in t for t in texts)
        assert any(f"parent {parent.label}" in t for t in texts)

        await press(pilot, "x")
        assert isinstance(app.screen, TextPrompt)  # "Cancel CS-…: why?"
        await press(pilot, "escape")
        await press(pilot, "v")
        await type_text(pilot, "nada")
        # cancelled meanwhile (another workstation): the resolve is refused
        transitions.cancel(desk, tui_world.ana, case.label, "duplicado")
        await press(pilot, "ctrl+s")
        form = app.screen
        assert isinstance(form, ResolveForm), "a refused resolve keeps its dialog open"
        said = str(form.query_one("#form-error", Static).content)
        assert said.startswith(f"{case.label} is cancelled: cannot resolve it")
        assert form.query_one("#resolve-notes", TextArea).text == "nada"
        await press(pilot, "escape")
        assert not isinstance(app.screen, ResolveForm)


async def test_refused_operation_is_a_notification(tui_world: World) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.luis, title="Ajeno", queue="technical")
    transitions.accept(desk, tui_world.luis, case.label)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        shown = _footer_actions(app)
        assert "wait" not in shown and "accept" not in shown  # Luis's case: nothing to do
        await press(pilot, "w")
        assert errors(app) == [] and reads.get_case(desk, case.label).status == "new"
        mine = cases.create_case(desk, tui_world.ana, title="Propio")
        app.open_case(mine.label)
        await settle(pilot)
        assert "wait" in _footer_actions(app)
        transitions.dispatch(desk, tui_world.ana, mine.label, "technical")  # meanwhile
        await press(pilot, "w")
        assert errors(app) == [f"{mine.label} is not in your bin: accept it before you pause it"]
        assert reads.get_case(desk, mine.label).status == "new"


async def test_customer_history_from_the_case(tui_world: World) -> None:
    desk = tui_world.desk
    older = cases.create_case(desk, tui_world.luis, title="Factura de enero",
                              contact_id=tui_world.contact_id, queue="billing")
    case = cases.create_case(desk, tui_world.ana, title="Sin conexión",
                             contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "h")
        assert isinstance(app.screen, HistoryModal)
        cases_table = app.screen.query_one("#history-cases", DataTable)
        labels = [str(cases_table.get_cell_at((i, 0))) for i in range(cases_table.row_count)]
        assert set(labels) == {older.label, case.label}
        app.screen.query_one("#history-tabs").active = "history-tab-cases"  # type: ignore[attr-defined]
        await settle(pilot)
        cases_table.focus()
        cases_table.move_cursor(row=labels.index(older.label))
        await press(pilot, "enter")
        assert _case_screen(app).number == older.label
        await press(pilot, "escape")
        assert app.current_mode == "inbox"


async def test_goto_case_by_number(tui_world: World) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Cambio de tarifa")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f5")
        await type_text(pilot, "1")
        await press(pilot, "enter")
        screen = _case_screen(app)
        assert screen.bundle is not None and screen.bundle.case.label == case.label
        await press(pilot, "g")
        await type_text(pilot, "999")
        await press(pilot, "enter")
        assert errors(app) == ["no case CS-000999"]
        assert screen.number == case.label and screen.bundle is not None
