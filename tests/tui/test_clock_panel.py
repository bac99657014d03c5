"""The clock on the workstation: breaches arrive without a key, the supervisor's clock
panel (last run, by whom, late, escalated and inactive cases), and a workstation running
the clock itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from casedesk.clock import FrozenClock
from casedesk.db import read_session
from casedesk.screens import supervisor as supervisor_module
from casedesk.screens.inbox import InboxScreen
from casedesk.screens.supervisor import SupervisorScreen
from casedesk.services.sla import lease
from casedesk.services.sla.clocks import ClockState
from casedesk.services.sla.lease import ClockRunner
from casedesk.services.workflow import cases
from casedesk.widgets.clock_panel import ClockPanel
from casedesk.widgets.sla import row_state
from tests.conftest import World
from tests.tui.conftest import make_app, settle


async def _until(
    pilot: Pilot[Any], check: Callable[[], bool], what: str, seconds: float = 3.0
) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, what
        await pilot.pause(0.05)


async def test_a_breach_the_clock_records_reaches_the_inbox_without_a_key(
    tui_world: World, tui_clock: FrozenClock
) -> None:
    made = cases.create_case(tui_world.desk, tui_world.luis, title="Sin servicio",
                             queue="billing", severity="critical")
    tui_clock.advance(timedelta(days=2))
    app = make_app(tui_world, "ana", poll_interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        [row] = screen.cases.rows_held
        assert row.label == made.label and row.priority == "medium"

        run = await asyncio.to_thread(
            ClockRunner(tui_world.desk, "worker", tick_seconds=60).step
        )
        assert run is not None and sum(run.report.breaches.values()) >= 1
        await _until(
            pilot,
            lambda: [r.priority for r in screen.cases.rows_held] == ["high"],
            "the escalation did not reach the inbox by itself",
        )
        [row] = screen.cases.rows_held
        assert row_state(row, app.now()) == ClockState.breached


async def test_the_supervisor_sees_the_clock_and_what_it_flagged(
    tui_world: World, tui_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = cases.create_case(tui_world.desk, tui_world.luis, title="Router [/] caído",
                             queue="technical", severity="critical")
    tui_clock.advance(timedelta(days=2))
    runner = ClockRunner(tui_world.desk, "worker", tick_seconds=60)
    assert runner.step() is not None
    monkeypatch.setattr(supervisor_module, "CLOCK_RECHECK", 1)
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SupervisorScreen)
        panel = app.screen.query_one(ClockPanel)
        text = panel.text
        assert "The SLA clock last ran 0 s ago" in text and runner.who in text
        assert f"Escalated (1): {made.label} Router [/] caído (high, technical)" in text
        assert f"Inactive (1): {made.label}" in text
        assert panel.status is not None and not panel.status.late

        tui_clock.advance(timedelta(minutes=3))  # nobody runs the clock any more
        await _until(pilot, lambda: panel.status is not None and panel.status.late,
                     "the panel never said the clock is late")
        assert "The SLA clock is late: it last ran 3 min ago" in panel.text


async def test_the_supervisor_sees_a_clock_that_never_ran(tui_world: World) -> None:
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = app.screen.query_one(ClockPanel).text
        assert "The SLA clock has never run" in text
        assert "Escalated (0): none" in text and "Inactive (0): none" in text


async def test_a_workstation_runs_the_clock_after_sign_in(tui_world: World) -> None:
    app = make_app(tui_world, "ana", clock_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:

        def ran_by_ana() -> bool:
            with read_session(tui_world.desk.engine) as session:
                row = lease.lease_row(session)
            return row is not None and bool(row.last_run_by) and row.last_run_by.endswith(":ana")

        await _until(pilot, ran_by_ana, "the workstation did not run the clock", 10)
    with read_session(tui_world.desk.engine) as session:
        row = lease.lease_row(session)
    assert row is not None and row.holder is None, "closing the app gave the lease up"
