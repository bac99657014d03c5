"""Bulk work in the case lists: space, shift+arrows and ctrl+a mark; ``b`` acts on the
marked cases through the bulk service; one summary says what was done and refused."""

from __future__ import annotations

from typing import Any

from textual.widgets import TextArea

from casedesk.i18n import set_language
from casedesk.screens.bulk import BulkActions, bulk_operations
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from casedesk.widgets.case_table import CaseTable
from casedesk.widgets.selection import MARK
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle


def _table(app: Any) -> CaseTable:
    screen = app.screen
    assert isinstance(screen, BulkActions)
    return screen.bulk_table()


def _line(table: CaseTable, y: int) -> str:
    return table.render_line(y).text


def _notices(app: Any) -> list[str]:
    return [m for _severity, m in app.notices]


async def test_inbox_marks_and_sets_priority_of_the_marked(tui_world: World) -> None:
    made = [cases.create_case(tui_world.desk, tui_world.luis, title=f"Caso {i}",
                              queue="technical", priority="low") for i in range(3)]
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = _table(app)
        assert len(table.rows_held) == 3
        await press(pilot, "space", "shift+down")
        assert len(table.marks) == 2 and table.cursor_row == 1
        assert _line(table, 1).startswith(MARK) and _line(table, 2).startswith(MARK)
        assert not _line(table, 3).startswith(MARK)
        assert "2 marked" in _line(table, 0)
        await press(pilot, "space")  # unmarks the highlighted one
        await press(pilot, "shift+up")
        marked = {r.label for r in table.marked_rows()}
        first, second = (table.rows_held[0].label, table.rows_held[1].label)
        assert marked == {first, second}
        # b → "Set the priority" (the second operation for an agent) → high (the first)
        assert bulk_operations(False)[1] == "priority"
        await press(pilot, "b", "down", "enter", "enter")
        await settle(pilot)
        for number in (first, second):
            assert reads.get_case(tui_world.desk, number).priority == "high"
        untouched = ({c.label for c in made} - {first, second}).pop()
        assert reads.get_case(tui_world.desk, untouched).priority == "low"
        assert "2 cases done" in _notices(app)
        assert table.marks == set()  # nothing refused: no marks left


async def test_supervisor_marks_all_and_sees_refusals(tui_world: World) -> None:
    for i in range(2):
        cases.create_case(tui_world.desk, tui_world.ana, title=f"Factura {i}", queue="billing")
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        table = _table(app)
        assert len(table.rows_held) == 2
        await press(pilot, "ctrl+a")
        assert len(table.marks) == 2
        await press(pilot, "ctrl+a")  # all marked already: unmarks them
        assert table.marks == set()
        await press(pilot, "ctrl+a")
        # close (the last operation) → yes: neither is resolved, both refused with why
        await press(pilot, "b", "end", "enter", "y")
        await settle(pilot)
        summary = _notices(app)[-1].splitlines()
        assert summary[0] == "0 cases done, 2 refused"
        assert len(summary) == 3 and all(": " in line for line in summary[1:])
        assert len(table.marks) == 2  # the refused stay marked
        # assign (the first operation for a supervisor) → the first agent offered
        await press(pilot, "b", "enter", "enter")
        await settle(pilot)
        assert _notices(app)[-1] == "2 cases done"
        owners = {reads.get_case(tui_world.desk, r).owner for r in ("CS-000001", "CS-000002")}
        assert len(owners) == 1 and None not in owners


async def test_wip_resolves_the_highlighted_case_when_none_is_marked(tui_world: World) -> None:
    mine = [cases.create_case(tui_world.desk, tui_world.ana, title=f"Mío {i}") for i in range(2)]
    transitions.start(tui_world.desk, tui_world.ana, mine[0].label)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = _table(app)
        assert len(table.rows_held) == 2 and table.marks == set()
        target = table.rows_held[0].label
        # resolve is the third operation for an agent
        await press(pilot, "b", "down", "down", "enter")
        app.screen.query_one("#resolve-notes", TextArea).insert("hecho por lotes")
        await press(pilot, "ctrl+s")
        await settle(pilot)
        assert reads.get_case(tui_world.desk, target).status == "resolved"
        other = ({c.label for c in mine} - {target}).pop()
        assert reads.get_case(tui_world.desk, other).status != "resolved"
        assert "1 case done" in _notices(app)


async def test_in_spanish_marks_count_and_summary(tui_world: World) -> None:
    set_language("es")
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "b")
        assert _notices(app)[-1] == "ningún caso seleccionado"
    for i in range(2):
        cases.create_case(tui_world.desk, tui_world.ana, title=f"Mío {i}")
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = _table(app)
        await press(pilot, "ctrl+a")
        assert "2 marcados · b actúa sobre ellos" in _line(table, 0)
        # close → sí: neither is resolved
        await press(pilot, "b", "end", "enter", "y")
        await settle(pilot)
        summary = _notices(app)[-1].splitlines()
        assert summary[0] == "0 casos hechos, 2 rechazados"
