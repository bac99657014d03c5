"""Pushed updates in the workstation (issue 17 point 1), on a real PostgreSQL: with polling
all but off, another agent's new case reaches the inbox through LISTEN/NOTIFY alone."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from casedesk.clock import FrozenClock
from casedesk.db import make_engine
from casedesk.screens.inbox import InboxScreen
from casedesk.services.context import Desk
from casedesk.services.sla import policy_files
from casedesk.services.workflow import cases
from tests.conftest import T0, World, build_world
from tests.pgserver import PgServer
from tests.tui.conftest import make_app, settle


@pytest.fixture
def pg_world(pg_server: PgServer, pg_template: str) -> Iterator[World]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    desk = Desk(make_engine(pg_server.url_for(name)), FrozenClock(T0))
    policy_files.load_defaults(desk)
    world = build_world(desk)
    yield world
    desk.engine.dispose()
    pg_server.drop_database(name)


async def test_the_inbox_hears_another_agents_case_without_polling(pg_world: World) -> None:
    app = make_app(pg_world, "ana", poll_interval=60.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen) and screen.cases.rows_held == []
        started = time.monotonic()
        while app._listener is None or not app._listener.listening.is_set():
            assert time.monotonic() - started < 10, "the workstation never listened"
            await pilot.pause(0.05)
        made = await asyncio.to_thread(
            cases.create_case, pg_world.desk, pg_world.luis, title="Nuevo", queue="billing"
        )
        started = time.monotonic()
        while [r.label for r in screen.cases.rows_held] != [made.label]:
            assert time.monotonic() - started < 1.0, "the pushed change did not arrive in 1 s"
            await pilot.pause(0.02)
