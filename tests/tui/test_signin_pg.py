"""The sign-in screen on a shared PostgreSQL that wants a password: it asks (hidden), the
workstation reconnects with it and signs in as the connected role; a wrong one is said
and asked again. Against a real scram-sha-256 server."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from casedesk.app import build_workstation
from casedesk.cli.state import CliState
from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.directory import staff
from tests.pgserver import PgServer
from tests.services.test_roles import _grant_tables
from tests.tui.conftest import settle


@pytest.fixture
def scram_floor(scram_db: tuple[PgServer, str]) -> tuple[PgServer, str]:
    server, name = scram_db
    desk = Desk(make_engine(server.url_for(name)))
    staff.add_agent(desk, None, login="admin", name="Admin", role="admin")
    staff.add_agent(desk, desk.actor("admin"), login="maria", name="María López",
                    role="supervisor", password="maria's secret")
    desk.engine.dispose()
    _grant_tables(server.url_for(name))
    return server, name


async def _type(pilot: Any, text: str) -> None:
    box = pilot.app.screen.query_one("#signin-password", Input)
    box.value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_the_workstation_asks_for_the_password(
    scram_floor: tuple[PgServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, name = scram_floor
    monkeypatch.delenv("PGPASSWORD", raising=False)
    state = CliState(db_flag=server.url_as(name, "maria"))
    app = build_workstation(state)
    app.poll_interval = None
    app.clock_interval = None
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#signin-password", Input)
        assert box.password is True
        await _type(pilot, "not it")
        assert any("password authentication failed" in m for _, m in app.notices)
        assert app.actor is None and app.screen.query("#signin-password")
        await _type(pilot, "maria's secret")
        assert app.actor is not None and app.actor.login == "maria"
        assert app.desk.session_role() == "maria"
        assert "secret" not in repr(app.desk.engine.url)
    app.desk.engine.dispose()
    state.close()
