"""The workstation at 80×24 (issue 15 point 6): what a person must read stays on the screen.

Each test reads the screen as drawn (the compositor's lines), not the widgets' data.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from textual.pilot import Pilot

from casedesk.screens.knowledge import KnowledgeScreen
from casedesk.widgets.case_table import COLUMNS, CaseTable, fit_columns
from casedesk.widgets.footer import DeskFooter
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle
from tests.tui.test_snapshots import SMALL, _technical_queue, build


def screen_lines(pilot: Pilot[Any]) -> list[str]:
    """The terminal's lines as the person sees them."""
    strips = pilot.app.screen._compositor.render_strips()
    return [strip.text for strip in strips]


def test_columns_drop_in_order_and_never_the_key_ones() -> None:
    columns = ("due", "case", "title", "status", "priority", "severity", "contact", "created")
    wide = [c for _i, c, _w in fit_columns(columns, 140)]
    assert wide == list(columns)
    previous = set(wide)
    for width in range(140, 40, -1):
        shown = {c for _i, c, _w in fit_columns(columns, width)}
        assert {"due", "case", "contact"} <= shown
        assert shown <= previous  # once given up, a column does not come back narrower
        previous = shown
    at_80 = fit_columns(columns, 79)
    assert 1 + sum(w + 2 for _i, _c, w in at_80) <= 79
    assert [c for _i, c, _w in at_80] == ["due", "case", "title", "status", "contact"]


@given(
    columns=st.lists(st.sampled_from(sorted(COLUMNS)), unique=True, min_size=1),
    width=st.integers(min_value=0, max_value=300),
)
def test_fit_columns_keeps_the_key_ones_and_fits_when_it_can(
    columns: list[str], width: int
) -> None:
    fitted = fit_columns(columns, width)
    shown = [c for _i, c, _w in fitted]
    assert [columns[i] for i, _c, _w in fitted] == shown  # order and indexes kept
    assert {"due", "case", "contact"} & set(columns) <= set(shown)
    if "title" in shown:
        assert 12 <= dict((c, w) for _i, c, w in fitted)["title"] <= 48
    fixed = {"due", "case", "contact", "title"} & set(columns)
    floor = 1 + sum((12 if c == "title" else COLUMNS[c][1]) + 2 for c in fixed)
    if width >= floor:  # room for what is never dropped: the line fits
        assert 1 + sum(w + 2 for _i, _c, w in fitted) <= width


async def test_inbox_at_80x24_keeps_sign_number_and_customer(tui_world: World) -> None:
    build(tui_world)
    app = make_app(tui_world, "ana", start_mode="inbox")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _technical_queue(pilot)
        table = app.screen.query_one("#inbox-cases", CaseTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.max_scroll_x == 0  # nothing to scroll sideways: no cut sign
        lines = screen_lines(pilot)
        row = next(line for line in lines if "CS-000001" in line)
        assert "-20m 00s" in row and "Juan Pérez" in row
        header = next(line for line in lines if "Due (business)" in line)
        assert "Customer" in header


async def test_footer_fits_at_80_and_hidden_keys_still_work(tui_world: World) -> None:
    build(tui_world)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(DeskFooter)
        assert footer.virtual_size.width <= 80
        bottom = screen_lines(pilot)[-1]
        assert "F1 Help" in bottom and "^p Commands" in bottom and "…" not in bottom
        assert "f6" not in bottom  # the hint gave way ...
        await press(pilot, "f6")  # ... the key did not
        await settle(pilot)
        assert isinstance(app.screen, KnowledgeScreen)


async def test_supervisor_at_80x24_shows_breach_counts(tui_world: World) -> None:
    build(tui_world)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        lines = screen_lines(pilot)
        assert any("Brch" in line for line in lines)
        technical = next(line for line in lines if line.strip().startswith("technical"))
        assert technical.split()[:5] == ["technical", "3", "3", "0", "1"]


async def test_case_timeline_at_80x24_shows_rows_with_what(tui_world: World) -> None:
    labels = build(tui_world)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.open_case(labels["tv"])
        await settle(pilot)
        lines = screen_lines(pilot)
        start = next(i for i, line in enumerate(lines) if "Timeline" in line)
        rows = [line for line in lines[start + 2 :] if "Ana García" in line]
        assert rows and "interaction" in " ".join(rows)


async def test_call_log_at_120_shows_whole_case_numbers(tui_world: World) -> None:
    build(tui_world)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        today = [line for line in screen_lines(pilot) if "Juan Pérez" in line and "CS-" in line]
        assert today and all("CS-000005" in line for line in today)
