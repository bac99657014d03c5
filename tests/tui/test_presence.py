"""The presence key (F8) and what the supervisor view shows of presence and routing."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from casedesk.services.directory import presence, queue_setup, staff
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle


async def test_f8_cycles_my_presence_and_shows_it(tui_world: World) -> None:
    desk = tui_world.desk
    queue_setup.set_strategy(desk, tui_world.sup, "commercial", "least_loaded")
    held = cases.create_case(desk, tui_world.sup, title="para carmen", queue="commercial")
    app = make_app(tui_world, "carmen")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.presence == "available"
        assert app.screen.sub_title == "Queue inbox · Carmen Ruiz (agent) · available"
        await press(pilot, "f8")
        assert staff.get_agent(desk, "carmen").status == "away"
        assert app.screen.sub_title == "Queue inbox · Carmen Ruiz (agent) · away"
        assert ("information", "you are away now") in app.notices
        await press(pilot, "f8")
        assert staff.get_agent(desk, "carmen").status == "offline"
        assert ("information", f"returned to their queues: {held.label}") in app.notices
        assert reads.get_case(desk, held.label).owner is None
        await press(pilot, "f8")
        assert app.presence == "available"
        assert app.screen.sub_title.endswith("(agent) · available")
        await press(pilot, "f4")  # another screen shows it too
        assert app.screen.sub_title == "My WIP bin · Carmen Ruiz (agent) · available"


async def test_supervisor_sees_presence_since_and_why_cases_wait(tui_world: World) -> None:
    desk = tui_world.desk
    presence.set_presence(desk, tui_world.carmen, "away")
    queue_setup.set_strategy(desk, tui_world.sup, "commercial", "round_robin")
    waiting = cases.create_case(desk, tui_world.sup, title="[b]nadie[/b]", queue="commercial")
    assert waiting.owner is None
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        agents = app.screen.query_one("#sup-agents", DataTable)
        assert str(agents.get_row("carmen")[1]) == "away 09:00"  # T0 in Madrid
        assert str(agents.get_row("luis")[1]) == "available"  # never changed: no time
        waits = app.screen.query_one("#sup-waits", Static)
        assert waits.display
        assert str(waits.content) == (
            "Why cases wait: commercial (round robin): no member of commercial is available")
        presence.set_presence(desk, tui_world.carmen, "available")
        cases.create_case(desk, tui_world.sup, title="ya hay", queue="commercial")
        assert reads.get_case(desk, waiting.label).owner is None
        app.data_changed()
        await settle(pilot)
        assert str(agents.get_row("carmen")[1]) == "available 09:00"
        # the most urgent waiting case still waits for the reason it was given
        assert "no member of commercial is available" in str(waits.content)
        await press(pilot, "f8")  # the supervisor's own presence
        assert staff.get_agent(desk, "maria").status == "away"
