"""A database that goes away mid-shift and comes back (issue 17 point 4), on a real
PostgreSQL: every connection is cut and new ones refused for a while, as in a restart. The
workstation says "database unreachable — retrying" (its listener noticed: polling is all
but off), keeps its rows, comes back by itself and hears pushed changes again."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
from textual.pilot import Pilot

from casedesk.screens.inbox import InboxScreen
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import make_app, settle
from tests.tui.test_connection import UNREACHABLE, shown, status_line
from tests.tui.test_pushed import pg_world  # noqa: F401 - the fixture


def _outage(world: World, down: bool) -> None:
    """Refuse (or allow again) new connections to the world's database; cut the others."""
    url = world.desk.engine.url
    name = url.database
    admin = url.set(database="postgres", drivername="postgresql").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(not down).lower()}')
        if down:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
            )


async def _until(pilot: Pilot[Any], condition: Any, seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, what
        await pilot.pause(0.05)
    return time.monotonic() - started


async def test_a_server_that_goes_away_and_comes_back(pg_world: World) -> None:  # noqa: F811
    made = cases.create_case(pg_world.desk, pg_world.luis, title="Antes", queue="billing")
    app = make_app(pg_world, "ana", poll_interval=60.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await _until(pilot, lambda: app._listener is not None and app._listener.listening.is_set(),
                     10, "the workstation never listened")
        assert [r.label for r in screen.cases.rows_held] == [made.label]
        line = status_line(app)
        try:
            await asyncio.to_thread(_outage, pg_world, True)
            await _until(pilot, lambda: UNREACHABLE in shown(line), 5, "the outage was not said")
            assert [r.label for r in screen.cases.rows_held] == [made.label], "rows kept"
        finally:
            await asyncio.to_thread(_outage, pg_world, False)
        await _until(pilot, lambda: shown(line) == "", 10, "it did not come back by itself")
        await _until(pilot, lambda: app._listener.listening.is_set(), 10, "not listening again")
        pg_world.desk.engine.dispose()  # the test's own handle (Luis's desk) also lost its
        after = await asyncio.to_thread(
            cases.create_case, pg_world.desk, pg_world.luis, title="Después", queue="billing"
        )
        await _until(pilot, lambda: after.label in [r.label for r in screen.cases.rows_held],
                     2, "a pushed change after the outage did not arrive")
