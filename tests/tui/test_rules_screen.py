"""The routing rules screen: opened with ``r`` from the supervisor view, lists the rules in
order with their conditions in words, moves them up and down, enables and disables them;
snapshots at 120×40 and 80×24."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from casedesk.screens.rules import RulesScreen
from casedesk.services.routing import rule_files
from tests.conftest import World
from tests.tui.conftest import errors, make_app, press, settle
from tests.tui.test_snapshots import SIZE, SMALL, steady

RULES: dict[str, Any] = {"rule": [
    {"name": "vip", "queue": "commercial", "set_priority": "high",
     "when": {"tier": "vip", "severity": ["critical", "major"]}},
    {"name": "facturas", "queue": "billing", "strategy": "manual",
     "required_skills": ["facturación"],
     "when": {"keywords": ["factura", "cobro"], "channel": ["email", "phone"]}},
    {"name": "[bold]averías[/]", "queue": "technical", "active": False,
     "when": {"subject": ["sin servicio", "avería"]}},
]}


def _load(world: World) -> None:
    rule_files.store_rules(world.desk, rule_files.parse_rules(RULES))


def _rows(screen: RulesScreen) -> list[list[str]]:
    table = screen.query_one("#rules-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_open_from_supervisor_move_and_toggle(tui_world: World) -> None:
    _load(tui_world)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        screen = app.screen
        assert isinstance(screen, RulesScreen)
        rows = _rows(screen)
        assert [r[:2] for r in rows] == [["1", "vip"], ["2", "facturas"],
                                         ["3", "[bold]averías[/]"]]  # markup stays text
        assert rows[0][2] == "severity critical or major · tier VIP"
        assert rows[1][2] == "channel e-mail or phone · keyword factura or cobro"
        assert rows[1][4] == "manual · skills facturación"
        assert rows[0][4] == "queue (manual)" and rows[2][5] == "no"
        # move "facturas" up: it becomes rule 1, and the cursor stays on it
        screen.query_one("#rules-table", DataTable).move_cursor(row=1)
        await press(pilot, "u")
        assert [r.name for r in rule_files.list_rules(tui_world.desk)][:2] == ["facturas", "vip"]
        assert [r[1] for r in _rows(screen)][:2] == ["facturas", "vip"]
        assert screen.selected_name() == "facturas"
        # and down again, past the end it stops
        await press(pilot, "d", "d", "d")
        assert [r.name for r in rule_files.list_rules(tui_world.desk)] == [
            "vip", "[bold]averías[/]", "facturas"]
        # enable the disabled rule
        screen.query_one("#rules-table", DataTable).move_cursor(row=1)
        await press(pilot, "e")
        assert all(r.active for r in rule_files.list_rules(tui_world.desk))
        assert _rows(screen)[1][5] == "yes"
        assert not errors(app)
        await press(pilot, "escape")
        assert not isinstance(app.screen, RulesScreen)


async def test_agents_cannot_open_it(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_go("rules")
        await settle(pilot)
        assert not isinstance(app.screen, RulesScreen)
        assert errors(app)


async def test_empty_says_how_to_load(tui_world: World) -> None:
    app = make_app(tui_world, "maria", start_mode="rules")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        title = app.screen.query_one("#rules-title")
        assert "casedesk rules load" in str(title.render())


def _snapshot(snap_compare: Any, world: World, size: tuple[int, int]) -> bool:
    _load(world)

    async def second(pilot: Pilot[Any]) -> None:
        await pilot.press("down")

    app = make_app(world, "maria", start_mode="rules")
    return bool(snap_compare(app, terminal_size=size, run_before=steady(second)))


def test_rules_screen(snap_compare: Any, tui_world: World) -> None:
    assert _snapshot(snap_compare, tui_world, SIZE)


def test_rules_screen_small(snap_compare: Any, tui_world: World) -> None:
    assert _snapshot(snap_compare, tui_world, SMALL)
