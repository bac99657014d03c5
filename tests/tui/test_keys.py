"""Keys that never surprise (issue 15, point 4): Esc and Enter leave a filter for the list,
the highlighted row is the one acted on and moves to the first row when the list changes,
`n` takes the most urgent case of what is shown, yank and quitting with unsaved work ask
first, and typed work survives a refusal."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from casedesk.screens.inbox import InboxScreen
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text


def _technical(world: World) -> list[str]:
    """Three waiting cases in queue technical: low, high/critical, medium/major."""
    made = [
        cases.create_case(world.desk, world.luis, title="Consulta de tarifa", queue="technical",
                          priority="low", contact_id=world.contact_id),
        cases.create_case(world.desk, world.luis, title="Sin conexión", queue="technical",
                          priority="high", severity="critical", contact_id=world.contact_id),
        cases.create_case(world.desk, world.luis, title="Router lento", queue="technical",
                          priority="medium", severity="major"),
    ]
    return [c.label for c in made]


async def _open_technical(pilot: Pilot[Any]) -> InboxScreen:
    """The inbox with queue technical selected (ana's second queue) and the cases focused."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    screen.query_one("#inbox-queues", DataTable).move_cursor(row=1)
    await settle(pilot)
    screen.cases.focus()
    await settle(pilot)
    assert screen.queue == "technical"
    return screen


async def _wait_filter(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.3)  # the text filter's debounce
    await settle(pilot)


async def test_escape_leaves_the_text_filter_and_keys_act_on_the_list(tui_world: World) -> None:
    labels = _technical(tui_world)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_technical(pilot)
        await press(pilot, "slash")
        text = screen.query_one("#filter-text", Input)
        assert screen.focused is text
        await type_text(pilot, "router")
        await press(pilot, "escape")
        assert screen.focused is screen.cases
        await _wait_filter(pilot)
        assert [r.label for r in screen.cases.rows_held] == [labels[2]]
        await press(pilot, "a")  # an action, not a letter typed into the filter
        assert text.value == "router"
        assert reads.get_case(tui_world.desk, labels[2]).owner == "ana"


async def test_enter_in_the_text_filter_moves_to_the_list(tui_world: World) -> None:
    labels = _technical(tui_world)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_technical(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "tarifa")
        await press(pilot, "enter")
        assert screen.focused is screen.cases
        assert [r.label for r in screen.cases.rows_held] == [labels[0]]
        await press(pilot, "a")
        assert screen.query_one("#filter-text", Input).value == "tarifa"
        assert reads.get_case(tui_world.desk, labels[0]).owner == "ana"


async def test_escape_leaves_the_filter_selects(tui_world: World) -> None:
    _technical(tui_world)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_technical(pilot)
        await press(pilot, "f")
        priority = screen.query_one("#filter-priority", Select)
        assert screen.focused is priority
        await press(pilot, "enter")  # opens the menu: Esc closes the menu first
        assert priority.expanded
        await press(pilot, "escape")
        assert not priority.expanded and screen.focused is priority
        await press(pilot, "escape")
        assert screen.focused is screen.cases
        await press(pilot, "f", "tab", "escape")  # from the second select too
        assert screen.focused is screen.cases
