"""Snapshots of each main screen (120×40 and 80×24) with a frozen clock and fixed data.

Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and review the SVGs under ``tests/tui/__snapshots__``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from casedesk.services.knowledge import library
from casedesk.services.queries import live
from casedesk.services.workflow import cases, interactions, tasks, transitions
from tests.conftest import World
from tests.tui.conftest import make_app, settle, type_text

SIZE = (120, 40)
SMALL = (80, 24)


def build(world: World) -> dict[str, str]:
    """Cases in every SLA state, articles, a call, a task: the same on every run."""
    desk = world.desk
    sup, ana, luis = world.sup, world.ana, world.luis
    for title, keywords, body in (
        ("Reiniciar el router", "router, wifi, reinicio",
         "## Pasos\n\n1. Desenchufa el router 30 segundos.\n2. Espera a que la luz "
         "*Internet* quede fija.\n3. Si no vuelve, abre una incidencia técnica."),
        ("Configurar el wifi de 5 GHz", "wifi, router, canal",
         "Entra en 192.168.1.1 y activa la banda de **5 GHz**."),
        ("Cargo duplicado en la factura", "factura, cargo, devolución",
         "Comprueba los movimientos y solicita la devolución del cargo repetido."),
    ):
        art = library.add_article(desk, sup, title=title, keywords=keywords, body=body)
        library.publish(desk, sup, art.label)
    juan = world.contact_id
    c1 = cases.create_case(desk, luis, title="Sin conexión a internet", queue="technical",
                           priority="high", severity="critical", contact_id=juan)
    cases.create_case(desk, luis, title="El router se reinicia solo", queue="technical",
                      severity="major")
    cases.create_case(desk, luis, title="Wifi lento por la noche", queue="technical",
                      priority="low")
    cases.create_case(desk, luis, title="Cargo duplicado en la factura", queue="billing",
                      priority="high", contact_id=juan)
    call = interactions.log_interaction(desk, ana, channel="phone", contact_id=juan,
                                        typification="incident", subject="No funciona la TV",
                                        duration_seconds=312)
    c5 = cases.create_case(desk, ana, title="No funciona la TV", priority="high",
                           contact_id=juan, from_interaction=call.id,
                           description="La TV no arranca desde la actualización.")
    transitions.start(desk, ana, c5.label)
    cases.add_note(desk, ana, c5.label, "El cliente ya reinició el descodificador")
    tasks.add_task(desk, ana, title="Llamar al cliente por la tarde", case=c5.label, due_in="6h")
    c6 = cases.create_case(desk, ana, title="Cambio de cuenta bancaria", contact_id=juan)
    transitions.wait(desk, ana, c6.label, note="pendiente del IBAN")
    desk.clock.advance(timedelta(minutes=50))  # type: ignore[attr-defined]
    cases.log_time(desk, ana, c5.label, 20, "diagnóstico remoto")
    interactions.log_interaction(desk, ana, channel="email", direction="outbound",
                                 contact_id=juan, case=c5.label,
                                 subject="Pasos para reiniciar el descodificador")
    return {"critical": c1.label, "tv": c5.label}


def steady(then: Callable[[Pilot[Any]], Any] | None = None) -> Callable[[Pilot[Any]], Any]:
    """``run_before``: do ``then``, let every worker land, stop cursors blinking."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if then is not None:
            await then(pilot)
            await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False
        await still(pilot)

    return run_before


async def still(pilot: Pilot[Any], rounds: int = 40) -> None:
    """Wait until two frames in a row draw the same (a late refit of the footer, a chart
    laid out after its first size, a result landing on a loaded machine), at most
    ``rounds`` frames: the snapshot is then of what a person would see, not of a moment."""
    shown = ""
    for _ in range(rounds):
        await pilot.pause(0.05)
        await settle(pilot)
        frame = pilot.app.export_screenshot()
        if frame == shown:
            return
        shown = frame


def test_sign_in(snap_compare: Any, tui_world: World) -> None:
    assert snap_compare(make_app(tui_world, None), terminal_size=SIZE, run_before=steady())


def test_sign_in_small(snap_compare: Any, tui_world: World) -> None:
    assert snap_compare(make_app(tui_world, None), terminal_size=SMALL, run_before=steady())


def _help(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    """F1 on the WIP bin: this screen's keys first, then the keys everywhere, the legend."""
    build(world)

    async def f1(pilot: Pilot[Any]) -> None:
        await pilot.press("f1")

    app = make_app(world, "ana", start_mode="wip")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(f1)))


def test_help(snap_compare: Any, tui_world: World) -> None:
    assert _help(snap_compare, tui_world, SIZE)


def test_help_small(snap_compare: Any, tui_world: World) -> None:
    assert _help(snap_compare, tui_world, SMALL)


async def _technical_queue(pilot: Pilot[Any]) -> None:
    screen: Any = pilot.app.screen
    queues = screen.query_one("#inbox-queues", DataTable)
    for _ in range(100):  # a loaded machine may still be landing on the first queue
        if screen.queue is not None and queues.row_count:  # (counts come after the page)
            break
        await pilot.pause(0.05)
    queues.move_cursor(row=1)
    for _ in range(100):
        if screen.queue == "technical":
            break
        await pilot.pause(0.05)
    await settle(pilot)


def _inbox(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    build(world)
    app = make_app(world, "ana", start_mode="inbox")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(_technical_queue)))


def _wip(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    build(world)
    app = make_app(world, "ana", start_mode="wip")
    return bool(snap_compare(app, terminal_size=size, run_before=steady()))


def _case(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    labels = build(world)

    async def open_case(pilot: Pilot[Any]) -> None:
        pilot.app.open_case(labels["tv"])  # type: ignore[attr-defined]

    app = make_app(world, "ana", start_mode="wip")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(open_case)))


def _log(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    build(world)

    async def lookup(pilot: Pilot[Any]) -> None:
        await type_text(pilot, "juan")
        await pilot.pause(0.25)
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await type_text(pilot, "Consulta sobre la factura de marzo")

    app = make_app(world, "ana", start_mode="log")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(lookup)))


def _knowledge(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    labels = build(world)

    async def search(pilot: Pilot[Any]) -> None:
        pilot.app.open_case(labels["critical"])  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await type_text(pilot, "router")
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.press("down")

    app = make_app(world, "ana", start_mode="inbox")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(search)))


def _supervisor(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    build(world)

    async def technical(pilot: Pilot[Any]) -> None:
        await pilot.press("down", "down")

    app = make_app(world, "maria", start_mode="supervisor")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(technical)))


def _customer(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    """The customer at a glance, from the case screen: a contract with a used-up line."""
    from datetime import date

    from casedesk.services.contracts import contracts

    labels = build(world)
    made = contracts.add_contract(world.desk, world.sup, account="Pérez Hogar",
                                  name="Soporte hogar", starts=date(2026, 1, 1),
                                  ends=date(2026, 12, 31))
    contracts.add_line(world.desk, world.sup, made.number, name="Incidencias",
                       allotment="cases", total=1)
    made = contracts.add_line(world.desk, world.sup, made.number, name="Soporte remoto",
                              allotment="minutes", total=120)
    cases.create_case(world.desk, world.ana, title="Segunda avería del mes",
                      contact_id=world.contact_id, contract_line_id=made.lines[0].id)
    cases.create_case(world.desk, world.ana, title="Tercera avería del mes",
                      contact_id=world.contact_id, contract_line_id=made.lines[0].id)

    async def open_customer(pilot: Pilot[Any]) -> None:
        pilot.app.open_case(labels["tv"])  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("r")

    app = make_app(world, "ana", start_mode="wip")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(open_customer)))


def test_customer(snap_compare: Any, tui_world: World) -> None:
    assert _customer(snap_compare, tui_world, SIZE)


def test_customer_small(snap_compare: Any, tui_world: World) -> None:
    assert _customer(snap_compare, tui_world, SMALL)


def test_inbox(snap_compare: Any, tui_world: World) -> None:
    assert _inbox(snap_compare, tui_world, SIZE)


def test_wip_bin(snap_compare: Any, tui_world: World) -> None:
    assert _wip(snap_compare, tui_world, SIZE)


def test_case_detail(snap_compare: Any, tui_world: World) -> None:
    assert _case(snap_compare, tui_world, SIZE)


def test_interaction_log(snap_compare: Any, tui_world: World) -> None:
    assert _log(snap_compare, tui_world, SIZE)


def test_knowledge(snap_compare: Any, tui_world: World) -> None:
    assert _knowledge(snap_compare, tui_world, SIZE)


def test_supervisor(snap_compare: Any, tui_world: World) -> None:
    assert _supervisor(snap_compare, tui_world, SIZE)


# --- the same screens on a small terminal (80×24) ---------------------------------------


def test_inbox_small(snap_compare: Any, tui_world: World) -> None:
    assert _inbox(snap_compare, tui_world, SMALL)


def test_wip_bin_small(snap_compare: Any, tui_world: World) -> None:
    assert _wip(snap_compare, tui_world, SMALL)


def test_case_detail_small(snap_compare: Any, tui_world: World) -> None:
    assert _case(snap_compare, tui_world, SMALL)


def test_interaction_log_small(snap_compare: Any, tui_world: World) -> None:
    assert _log(snap_compare, tui_world, SMALL)


def test_knowledge_small(snap_compare: Any, tui_world: World) -> None:
    assert _knowledge(snap_compare, tui_world, SMALL)


def test_supervisor_small(snap_compare: Any, tui_world: World) -> None:
    assert _supervisor(snap_compare, tui_world, SMALL)


def test_database_unreachable_small(
    snap_compare: Any, tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status line above the footer while the database does not answer."""
    build(tui_world)

    def down(desk: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    async def unplug(pilot: Pilot[Any]) -> None:
        await _technical_queue(pilot)
        monkeypatch.setattr(live, "change_token", down)
        pilot.app.data_changed()  # type: ignore[attr-defined]
        await settle(pilot)

    app = make_app(tui_world, "ana", start_mode="inbox")
    assert snap_compare(app, terminal_size=SMALL, run_before=steady(unplug))


# --- the report screen (issue 14): the fixed floor of tests/services/test_reports.py ------


def _reports(snap_compare: Any, world: World, size: tuple[int, int], report: str) -> bool:
    from textual.widgets import Select

    from tests.services.test_reports import build as build_floor

    build_floor(world)  # the clock at 2026-04-01 12:00 UTC, the data fixed

    async def pick(pilot: Pilot[Any]) -> None:
        screen: Any = pilot.app.screen
        screen.query_one("#rep-name", Select).value = report
        for _ in range(100):  # the Changed message, then the worker, then the drawing
            await settle(pilot)
            shown = screen.report
            if shown is not None and shown.name == report and not screen.query_one(
                    "#rep-table").loading:
                break
            await pilot.pause(0.05)
        # the table is where the supervisor reads; the first load's busy indicator takes
        # the focus away at a moment that depends on the machine's load
        table = screen.query_one("#rep-table")
        table.focus()
        widths: list[int] = []
        for _ in range(20):  # the table sizes its columns to the rows when it is idle
            await settle(pilot)
            now = [c.get_render_width(table) for c in table.ordered_columns]
            if now == widths:
                break
            widths = now
            await pilot.pause(0.02)

    app = make_app(world, "maria", start_mode="reports")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(pick)))


def test_reports_volume(snap_compare: Any, tui_world: World) -> None:
    assert _reports(snap_compare, tui_world, SIZE, "volume")


def test_reports_sla(snap_compare: Any, tui_world: World) -> None:
    assert _reports(snap_compare, tui_world, SIZE, "sla")


def test_reports_volume_small(snap_compare: Any, tui_world: World) -> None:
    assert _reports(snap_compare, tui_world, SMALL, "volume")


def test_reports_now_small(snap_compare: Any, tui_world: World) -> None:
    assert _reports(snap_compare, tui_world, SMALL, "now")
