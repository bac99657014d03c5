"""Supervisor view: queue load and SLA health, agents against capacity, a queue's or an
agent's cases, assign / yank / transfer; and the board service behind it."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList

from casedesk.screens.supervisor import SupervisorScreen, load_bar
from casedesk.services.directory import staff
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle


def _sup(app: object) -> SupervisorScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SupervisorScreen)
    return screen


def _row(table: DataTable, key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


def test_load_bar() -> None:
    assert str(load_bar(9, 10)) == "█████████░ 9/10"
    assert str(load_bar(0, 0)) == "░░░░░░░░░░ 0/0"


async def test_yank_assign_and_transfer(tui_world: World) -> None:
    desk = tui_world.desk
    held = cases.create_case(desk, tui_world.luis, title="En el bin de Luis", queue="technical")
    transitions.accept(desk, tui_world.luis, held.label)
    waiting = cases.create_case(desk, tui_world.ana, title="Esperando", queue="billing")
    staff.set_agent_status(desk, tui_world.carmen, "away")
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _sup(app)
        queues = screen.query_one("#sup-queues", DataTable)
        assert _row(queues, "billing")[:2] == ["billing", "1"]
        agents = screen.query_one("#sup-agents", DataTable)
        assert _row(agents, "luis")[1:3] == ["available", "█░░░░░░░░░ 1/10"]
        assert _row(agents, "carmen")[1] == "away 09:00"  # since T0, in Madrid
        # the billing queue's cases are shown first (the first queue)
        assert [r.label for r in screen.cases.rows_held] == [waiting.label]

        await press(pilot, "g")
        agent_logins = [str(agents.coordinate_to_cell_key((i, 0)).row_key.value)
                        for i in range(agents.row_count)]
        agents.move_cursor(row=agent_logins.index("luis"))
        await settle(pilot)
        assert screen.scope == ("agent", "luis")
        assert [r.label for r in screen.cases.rows_held] == [held.label]
        await press(pilot, "c", "y")
        assert reads.get_case(desk, held.label).owner == "luis"  # it asks first
        await press(pilot, "y")
        got = reads.get_case(desk, held.label)
        assert got.owner is None and got.queue == "technical"
        assert screen.cases.rows_held == []

        await press(pilot, "q")
        queues.move_cursor(row=0)
        await settle(pilot)
        assert screen.scope == ("queue", "billing")
        await press(pilot, "c", "a")
        choices = app.screen.query_one("#choice-list", OptionList)
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        choices.highlighted = ids.index("carmen")
        await press(pilot, "enter")
        assert reads.get_case(desk, waiting.label).owner == "carmen"

        queue_names = [str(queues.coordinate_to_cell_key((i, 0)).row_key.value)
                       for i in range(queues.row_count)]
        await press(pilot, "q")
        queues.move_cursor(row=queue_names.index("technical"))
        await settle(pilot)
        assert [r.label for r in screen.cases.rows_held] == [held.label]
        await press(pilot, "c", "t")
        choices = app.screen.query_one("#choice-list", OptionList)
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        choices.highlighted = ids.index("commercial")
        await press(pilot, "enter")
        assert reads.get_case(desk, held.label).queue == "commercial"
        assert _row(agents, "carmen")[2] == "█░░░░░░░░░ 1/10"
