"""The report screen: reached from the supervisor view with one key; a report and a period
picked; the table and the chart; the live board refreshing itself; saving as CSV."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from textual.widgets import DataTable, Input, Select
from textual_plotext import PlotextPlot

from casedesk.bulk import fast_insert
from casedesk.db import write_session
from casedesk.models import Case
from casedesk.models.base import table_of
from casedesk.screens.modals import TextPrompt
from casedesk.screens.reports import NOW_REFRESH, ReportsScreen
from casedesk.services.sla.clocks import FAR_FUTURE
from tests.conftest import World
from tests.services.test_reports import NOW, build
from tests.tui.conftest import make_app, press, settle


def _screen(app: object) -> ReportsScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, ReportsScreen)
    return screen


async def _shown(pilot: object, screen: ReportsScreen, name: str, first: str | None = None) -> None:
    """Wait until the screen shows report ``name`` (whose first cell is ``first``)."""
    for _ in range(100):
        await settle(pilot)  # type: ignore[arg-type]
        report = screen.report
        if report is not None and report.name == name and (
                first is None or (report.rows and str(report.rows[0][0]) == first)):
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]


def _rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_reports_from_the_supervisor_view(tui_world: World) -> None:
    build(tui_world)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "o")
        await settle(pilot)
        screen = _screen(app)
        table = screen.query_one("#rep-table", DataTable)
        rows = _rows(table)
        # the last 30 days up to 1 April (Madrid): the DST day has c2 and two resolutions
        assert len(rows) == 30
        assert ["2026-03-29", "1", "2", "0"] in rows
        assert screen.query_one("#rep-chart", PlotextPlot).display

        screen.query_one("#rep-period", Select).value = "7d"
        await _shown(pilot, screen, "volume", "2026-03-26")
        assert [r[0] for r in _rows(table)][0] == "2026-03-26"

        screen.query_one("#rep-name", Select).value = "sla"
        await _shown(pilot, screen, "sla")
        assert _rows(table) == [["floor-sla", "first response", "3", "1", "0", "75.0%"],
                                ["floor-sla", "resolution", "1", "2", "1", "33.3%"]]

        screen.query_one("#rep-name", Select).value = "agents"
        await _shown(pilot, screen, "agents")
        assert not screen.query_one("#rep-chart", PlotextPlot).display
        assert _rows(table)[0][:3] == ["ana", "Ana García", "3"]


async def test_the_now_board_refreshes_itself(tui_world: World) -> None:
    ids = build(tui_world)
    app = make_app(tui_world, "maria", start_mode="reports")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        screen = _screen(app)
        await _shown(pilot, screen, "now")
        table = screen.query_one("#rep-table", DataTable)
        waiting = {r[0]: r[1] for r in _rows(table)}
        assert waiting["technical"] == "2"
        with write_session(tui_world.desk.engine) as s:  # a new call arrives
            created = NOW - timedelta(minutes=5)
            fast_insert(s, table_of(Case), [{
                "number": 50, "title": "Nueva", "description": "", "area": "technical",
                "priority": "medium", "severity": "minor", "status": "new",
                "queue_id": ids["q_technical"], "created_at": created, "updated_at": created,
                "due_at": FAR_FUTURE, "sla_flags": 0, "paused_seconds": 0, "version": 1,
            }])
        clock = tui_world.desk.clock
        clock.advance(timedelta(seconds=NOW_REFRESH - 1))  # type: ignore[attr-defined]
        screen.tick()
        await settle(pilot)
        assert {r[0]: r[1] for r in _rows(table)}["technical"] == "2"  # not yet
        clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
        screen.tick()  # what the app's timer calls every second
        await settle(pilot)
        assert {r[0]: r[1] for r in _rows(table)}["technical"] == "3"


async def test_save_the_shown_report_as_csv(tui_world: World, tmp_path: Path) -> None:
    build(tui_world)
    app = make_app(tui_world, "maria", start_mode="reports")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        prompt = app.screen.query_one("#prompt-input", Input)
        assert prompt.value.endswith("casedesk-volume-2026-03-03-to-2026-04-01.csv")
        target = tmp_path / "volume.csv"
        prompt.value = str(target)
        await press(pilot, "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        lines = list(csv.reader(target.open(encoding="utf-8")))
        assert lines[0] == ["day", "opened", "resolved", "closed"]
        assert ["2026-03-29", "1", "2", "0"] in lines

        await press(pilot, "e")
        await settle(pilot)
        app.screen.query_one("#prompt-input", Input).value = str(tmp_path / "no" / "x.csv")
        await press(pilot, "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)  # refused inside the form, one line
        assert "no folder" in str(app.screen.query_one(".form-error").render())


async def test_agents_cannot_open_reports(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_go("reports")
        await settle(pilot)
        assert not isinstance(app.screen, ReportsScreen)
