"""Queue inbox: counts, order, accept / next / transfer / reject, filters, keyset paging,
and two workstations racing for one case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, OptionList

from casedesk.clock import FrozenClock
from casedesk.db import make_engine
from casedesk.screens.case import CaseScreen
from casedesk.screens.inbox import InboxScreen
from casedesk.services import demo
from casedesk.services.context import Desk
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import errors, infos, make_app, press, settle, type_text


def _cases(world: World) -> list[str]:
    made = [
        cases.create_case(world.desk, world.luis, title="Consulta de tarifa", queue="technical",
                          priority="low", contact_id=world.contact_id),
        cases.create_case(world.desk, world.luis, title="Sin conexión", queue="technical",
                          priority="high", severity="critical", contact_id=world.contact_id),
        cases.create_case(world.desk, world.luis, title="Router lento", queue="technical",
                          priority="medium", severity="major"),
        cases.create_case(world.desk, world.luis, title="Factura duplicada", queue="billing",
                          priority="high"),
    ]
    return [c.label for c in made]


def _inbox(app: object) -> InboxScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, InboxScreen)
    return screen


async def test_queues_with_counts_and_cases_most_urgent_first(tui_world: World) -> None:
    labels = _cases(tui_world)
    tui_world.desk.clock.advance(timedelta(minutes=50))  # type: ignore[attr-defined]
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _inbox(app)
        queues = screen.query_one("#inbox-queues", DataTable)
        rows = [[str(c) for c in queues.get_row_at(i)] for i in range(queues.row_count)]
        # billing: 1 high case whose 30 min first response (critical) is … not critical:
        # "high" policy, 1 h first response → warning at 48 min.
        assert rows[0][:2] == ["billing", "1"] and rows[0][3] == "1"
        assert rows[1][:3] == ["technical", "3", "3"]
        table = screen.cases
        shown = [r.label for r in table.rows_held]
        expected = [r.label for r in reads.inbox(tui_world.desk, "billing").rows]
        assert shown == expected == [labels[3]]
        queues.focus()
        await press(pilot, "down")
        shown = [r.label for r in screen.cases.rows_held]
        assert shown == [r.label for r in reads.inbox(tui_world.desk, "technical").rows]
        assert shown[0] == labels[1]  # critical: the nearest deadline first
        due = str(screen.cases.get_cell_at((0, 0)))
        assert due.startswith("-") or "m" in due


async def test_accept_next_transfer_and_reject(tui_world: World) -> None:
    labels = _cases(tui_world)
    extra = cases.create_case(tui_world.desk, tui_world.luis, title="Sin tono", queue="technical")
    labels.insert(3, extra.label)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _inbox(app)
        screen.query_one("#inbox-queues", DataTable).move_cursor(row=1)
        await settle(pilot)
        screen.cases.focus()
        await press(pilot, "a")
        assert reads.get_case(tui_world.desk, labels[1]).owner == "ana"
        assert f"{labels[1]} is in your bin (F4)" in infos(app)
        assert labels[1] not in [r.label for r in screen.cases.rows_held]

        await press(pilot, "t")
        choices = app.screen.query_one("#choice-list", OptionList)
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        choices.highlighted = ids.index("commercial")
        await press(pilot, "enter")
        moved = [c for c in labels[:4] if reads.get_case(tui_world.desk, c).queue == "commercial"]
        assert len(moved) == 1

        await press(pilot, "r")
        await type_text(pilot, "falta el número de contrato")
        await press(pilot, "enter")
        rejected = [
            c for c in labels[:4] if reads.get_case(tui_world.desk, c).owner == "luis"
        ]
        assert len(rejected) == 1

        await press(pilot, "n")
        assert app.current_mode == "case"
        assert isinstance(app.screen, CaseScreen)
        remaining = set(labels[:4]) - {labels[1], *moved, *rejected}
        (taken,) = remaining
        assert reads.get_case(tui_world.desk, taken).owner == "ana"
        assert app.screen.number == taken
        await press(pilot, "f3")
        await press(pilot, "n")
        assert errors(app) == ["queue 'technical' has no waiting cases"]


async def test_filters_by_priority_and_text(tui_world: World) -> None:
    labels = _cases(tui_world)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _inbox(app)
        screen.query_one("#inbox-queues", DataTable).move_cursor(row=1)
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "router")
        await pilot.pause(0.3)
        await settle(pilot)
        assert [r.label for r in screen.cases.rows_held] == [labels[2]]
        screen.query_one("#filter-text", Input).value = ""
        await pilot.pause(0.3)
        await settle(pilot)
        screen.query_one("#filter-priority").value = "low"  # type: ignore[attr-defined]
        await settle(pilot)
        assert [r.label for r in screen.cases.rows_held] == [labels[0]]
        screen.cases.focus()
        await press(pilot, "x")
        assert len(screen.cases.rows_held) == 3


async def test_large_queue_is_paged_by_keyset(tui_world: World) -> None:
    demo.generate_cases(tui_world.desk, 260, queue="billing")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = _inbox(app).cases
        assert table.row_count == 100 and table.next_after is not None
        table.focus()
        await press(pilot, "pagedown", "pagedown")
        assert table.row_count == 200
        await press(pilot, "ctrl+end")
        await press(pilot, "ctrl+end")
        waiting = len(reads.list_cases(tui_world.desk, queue="billing", limit=1000))
        assert table.next_after is None
        expected = [
            r.label for r in reads.inbox(tui_world.desk, "billing", limit=1000).rows
        ]
        assert [r.label for r in table.rows_held] == expected
        assert table.row_count == len(expected) <= waiting


async def test_two_workstations_race_for_one_case(tui_world: World) -> None:
    """The first accepts; the second presses accept on its stale row: refused, no change."""
    case = cases.create_case(tui_world.desk, tui_world.luis, title="Sin tono", queue="technical")
    clock = tui_world.desk.clock
    assert isinstance(clock, FrozenClock)
    other = Desk(make_engine(str(tui_world.desk.engine.url)), clock)
    first = make_app(tui_world, "ana")
    second = make_app(build_world_view(other), "luis")
    try:
        async with first.run_test(size=(120, 40)) as p1, second.run_test(size=(120, 40)) as p2:
            await settle(p1)
            await settle(p2)
            for pilot, app in ((p1, first), (p2, second)):
                _inbox(app).query_one("#inbox-queues", DataTable).move_cursor(row=1)
                await settle(pilot)
                assert [r.label for r in _inbox(app).cases.rows_held] == [case.label]
                _inbox(app).cases.focus()
            await press(p1, "a")
            clock.advance(timedelta(seconds=3))
            events_before = len(reads.timeline(tui_world.desk, case.label))
            await press(p2, "a")
            assert errors(second) == [f"{case.label} was taken by Ana García 3 s ago"]
            after = reads.get_case(tui_world.desk, case.label)
            assert after.owner == "ana" and after.version == case.version + 1
            assert len(reads.timeline(tui_world.desk, case.label)) == events_before
            # the refused workstation reloads: the case is gone from its inbox
            assert _inbox(second).cases.rows_held == []
    finally:
        other.engine.dispose()


def build_world_view(desk: Desk) -> World:
    """A second handle on an existing world's database (no data is created)."""
    return World(desk, desk.actor("admin"), desk.actor("maria"), desk.actor("ana"),
                 desk.actor("luis"), desk.actor("carmen"), 1)



async def test_a_first_page_that_fails_is_said_and_stops_the_spinners(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.errors import ConfigError
    from casedesk.services.queries import board

    def unreachable(*args: object, **kwargs: object) -> None:
        raise ConfigError("cannot open database: server closed the connection")

    monkeypatch.setattr(board, "member_queues", unreachable)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _inbox(app)
        assert errors(app) == ["cannot open database: server closed the connection"]
        assert not screen.query_one("#inbox-queues", DataTable).loading
        assert not screen.cases.loading
        assert screen.focused is not None  # the keys still work: F2…F7, ctrl+p
