"""Keys that never surprise (issue 15, point 4): Esc and Enter leave a filter for the list,
the highlighted row is the one acted on and moves to the first row when the list changes,
`n` takes the most urgent case of what is shown, yank and quitting with unsaved work ask
first, and typed work survives a refusal."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from casedesk.screens.inbox import InboxScreen
from casedesk.screens.supervisor import SupervisorScreen
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
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


async def confirm_yes(pilot: Pilot[Any]) -> None:
    """Answer Yes in the confirmation dialog, if one is open (yank asks, see step 4)."""
    from casedesk.screens.modals import ConfirmPrompt

    if isinstance(pilot.app.screen, ConfirmPrompt):
        await press(pilot, "y")


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


def _bins(world: World) -> tuple[list[str], list[str]]:
    """Three cases in ana's bin, three in luis's."""
    desk = world.desk
    ana, luis = [], []
    for n in range(3):
        a = cases.create_case(desk, world.luis, title=f"De Ana {n}", queue="technical")
        transitions.accept(desk, world.ana, a.label)
        ana.append(a.label)
        b = cases.create_case(desk, world.ana, title=f"De Luis {n}", queue="technical")
        transitions.accept(desk, world.luis, b.label)
        luis.append(b.label)
    return ana, luis


async def _show_agent(pilot: Pilot[Any], screen: SupervisorScreen, login: str) -> None:
    agents = screen.query_one("#sup-agents", DataTable)
    logins = [str(agents.coordinate_to_cell_key((i, 0)).row_key.value)
              for i in range(agents.row_count)]
    agents.focus()
    agents.move_cursor(row=logins.index(login))
    await settle(pilot)
    assert screen.scope == ("agent", login)


async def test_switching_agent_then_yank_takes_the_highlighted_case(tui_world: World) -> None:
    """The reported accident: the cursor on ana's third case, switch to luis, press y —
    the case yanked is the one highlighted (luis's first), shown on screen."""
    ana, luis = _bins(tui_world)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        await _show_agent(pilot, screen, "ana")
        assert sorted(r.label for r in screen.cases.rows_held) == sorted(ana)
        await press(pilot, "c", "down", "down")
        assert screen.cases.cursor_row == 2
        await _show_agent(pilot, screen, "luis")
        table = screen.cases
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        highlighted = table.current()
        assert highlighted is not None and highlighted.label in luis
        await press(pilot, "c", "y")
        await confirm_yes(pilot)
        owners = {label: reads.get_case(tui_world.desk, label).owner for label in luis + ana}
        assert owners[highlighted.label] is None
        assert [o for o in owners.values() if o is None] == [None]


async def test_no_key_acts_on_the_old_list_while_the_new_one_loads(tui_world: World) -> None:
    ana, luis = _bins(tui_world)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        await _show_agent(pilot, screen, "ana")
        screen.scope = ("agent", "luis")
        screen.load_cases(keep=False)
        screen.action_yank()  # before luis's bin has arrived
        await settle(pilot)
        assert all(reads.get_case(tui_world.desk, c).owner == "ana" for c in ana)
        assert all(reads.get_case(tui_world.desk, c).owner == "luis" for c in luis)
        assert ("warning", SupervisorScreen.NO_SELECTION) in app.notices


async def test_a_filter_change_or_a_vanished_case_puts_the_cursor_on_the_first_row(
    tui_world: World,
) -> None:
    labels = _technical(tui_world)
    more = [cases.create_case(tui_world.desk, tui_world.luis, title=f"Router {n}",
                              queue="technical").label for n in range(3)]
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_technical(pilot)
        table = screen.cases
        await press(pilot, "end")
        assert table.cursor_row == len(labels) + len(more) - 1
        await press(pilot, "slash")
        await type_text(pilot, "router")
        await press(pilot, "enter")
        assert sorted(r.label for r in table.rows_held) == sorted([labels[2], *more])
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        # another workstation takes the highlighted case: a reload lands on the first row,
        # not on whichever case moved up into the old position
        await press(pilot, "down", "down")
        gone = table.current()
        assert gone is not None
        transitions.accept(tui_world.desk, tui_world.luis, gone.label)
        screen.refresh_data()
        await settle(pilot)
        assert gone.label not in [r.label for r in table.rows_held]
        assert table.cursor_row == 0


async def test_yank_asks_first_and_no_is_the_default(tui_world: World) -> None:
    from casedesk.screens.modals import ConfirmPrompt

    _ana, luis = _bins(tui_world)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        await _show_agent(pilot, screen, "luis")
        await press(pilot, "c")
        for answer in ("escape", "enter", "n"):
            await press(pilot, "y")
            assert isinstance(app.screen, ConfirmPrompt)
            assert "Luis Romero" in str(app.screen.query_one("#confirm-question").render())
            await press(pilot, answer)
            assert app.screen is screen
            assert all(reads.get_case(tui_world.desk, c).owner == "luis" for c in luis)
        target = screen.cases.current()
        assert target is not None
        await press(pilot, "y", "y")
        assert reads.get_case(tui_world.desk, target.label).owner is None
        assert f"{target.label} yanked back to queue technical" in [m for _, m in app.notices]


async def test_next_takes_the_most_urgent_case_of_what_is_shown(tui_world: World) -> None:
    from casedesk.screens.case import CaseScreen

    labels = _technical(tui_world)  # the critical one (labels[1]) is the queue's most urgent
    cases.create_case(tui_world.desk, tui_world.luis, title="Router sin luz", queue="technical",
                      priority="low")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_technical(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "router")  # two of the four
        await press(pilot, "enter")
        shown = [r.label for r in screen.cases.rows_held]
        assert labels[1] not in shown and len(shown) == 2
        # the first shown is taken by someone else meanwhile: n takes the next shown
        transitions.accept(tui_world.desk, tui_world.luis, shown[0])
        await press(pilot, "n")
        assert isinstance(app.screen, CaseScreen) and app.screen.number == shown[1]
        assert reads.get_case(tui_world.desk, shown[1]).owner == "ana"
        assert reads.get_case(tui_world.desk, labels[1]).owner is None
        await press(pilot, "f3")
        assert screen.filters["text"] == "router"
        assert screen.cases.rows_held == []
        await press(pilot, "n")
        assert reads.get_case(tui_world.desk, labels[1]).owner is None  # not outside the filter
        assert ("warning", "No case is shown with this filter: x clears it.") in app.notices
        await press(pilot, "x", "n")  # no filter: the queue's most urgent
        assert reads.get_case(tui_world.desk, labels[1]).owner == "ana"


def _count_exits(app: Any) -> list[int]:
    """Record the app's exits instead of ending the test's run."""
    exits: list[int] = []
    app.exit = lambda *args, **kwargs: exits.append(1)
    return exits


async def test_quitting_with_a_running_call_asks_first(tui_world: World) -> None:
    from casedesk.screens.modals import ConfirmPrompt

    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        exits = _count_exits(app)
        log = app.screen
        await type_text(pilot, "juan")  # a phone call: the timer starts with the first key
        assert app.unsaved_work() is not None
        for answer in ("escape", "enter", "n"):
            await press(pilot, "ctrl+q")
            assert isinstance(app.screen, ConfirmPrompt)
            assert "call timer is running" in str(app.screen.query_one("#confirm-detail").render())
            await press(pilot, answer)
            assert app.screen is log and exits == []
        await press(pilot, "ctrl+q", "y")
        assert exits == [1]


async def test_quitting_with_nothing_unsaved_does_not_ask(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        exits = _count_exits(app)
        assert app.unsaved_work() is None
        await press(pilot, "ctrl+q")
        assert exits == [1]


async def test_a_refused_resolve_in_the_bin_keeps_the_notes_typed(tui_world: World) -> None:
    """The case is yanked while the agent types the resolution: the form stays open with
    every word, although the bin behind it has reloaded without the case."""
    from textual.widgets import Static, TextArea

    from casedesk.screens.modals import ResolveForm

    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.luis, title="Sin tono", queue="technical")
    transitions.accept(desk, tui_world.ana, case.label)
    transitions.start(desk, tui_world.ana, case.label)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "v")
        await type_text(pilot, "reinicio del router y prueba de línea")
        transitions.yank(desk, desk.actor("maria"), case.label)
        await press(pilot, "ctrl+s")
        form = app.screen
        assert isinstance(form, ResolveForm)
        assert str(form.query_one("#form-error", Static).content) != ""
        notes = form.query_one("#resolve-notes", TextArea)
        assert notes.text == "reinicio del router y prueba de línea"
        assert reads.get_case(desk, case.label).status != "resolved"
