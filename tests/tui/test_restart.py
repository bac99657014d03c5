"""A server that restarts mid-shift (issue 17 point 4), on a real PostgreSQL that really
stops and starts again (``pg_ctl stop -m fast``, then ``start`` on the same port and data
directory: :meth:`tests.pgserver.PgServer.halt` / ``resume``).

The restarts run on a server of this module's own, never the suite's shared one. Under a
running workstation: the status line says "database unreachable — retrying" (in the
language it speaks); the call being logged keeps its typed text and its running timer, a
note dialog keeps its typed text; an operation tried while the server is down is refused,
said, and not done; tried again once it is back, it is done once (the event trail counts
it); the workstation comes back by itself and hears pushed changes again. The CLI against
the stopped server: one line, exit 2.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea
from typer.testing import CliRunner

from casedesk.cli import app as cli_app
from casedesk.clock import FrozenClock
from casedesk.db import make_engine, upgrade
from casedesk.i18n import _
from casedesk.screens.case import CaseScreen
from casedesk.screens.inbox import InboxScreen
from casedesk.screens.interactions import InteractionLogScreen
from casedesk.screens.modals import TextPrompt
from casedesk.services.context import Desk
from casedesk.services.sla import policy_files
from casedesk.services.workflow import cases
from casedesk.widgets.call_timer import CallTimer
from tests import pgserver
from tests.conftest import T0, World, build_world
from tests.pgserver import PgServer, start_or_skip
from tests.tui.conftest import errors, make_app, press, settle, type_text
from tests.tui.test_connection import form_error, shown, status_line

#: the status line's words, in the language the workstation speaks (msgid, then cut at ·)
UNREACHABLE_MSG = "database unreachable — retrying · lists may be stale (since {since})"


def unreachable() -> str:
    return _(UNREACHABLE_MSG).split(" · ")[0]


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[PgServer, str]]:
    """A PostgreSQL of this module's own (it is stopped and started), with a migrated
    template database."""
    server = start_or_skip()
    if server.external:
        server.stop()
        pytest.skip(f"{pgserver.ENV_URL} names a server the suite cannot restart")
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    engine = make_engine(server.create_database(name), pool=False)
    upgrade(engine)
    engine.dispose()
    yield server, name
    server.stop()


@pytest.fixture
def restart_world(own_server: tuple[PgServer, str]) -> Iterator[tuple[PgServer, World]]:
    server, template = own_server
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    desk = Desk(make_engine(server.url_for(name)), FrozenClock(T0))
    policy_files.load_defaults(desk)
    world = build_world(desk)
    yield server, world
    desk.engine.dispose()
    if not server.running:
        server.resume()
    server.drop_database(name)


def events_of(world: World, label: str, kind: str) -> int:
    """How many ``kind`` events the trail holds for the case (read on a fresh engine: the
    world's own pooled connections died with the server)."""
    engine = make_engine(str(world.desk.engine.url.render_as_string(hide_password=False)),
                         pool=False)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                'SELECT count(*) FROM case_event e JOIN "case" c ON c.id = e.case_id '
                "WHERE c.number = :n AND e.kind = :k"
            ), {"n": int(label.split("-")[-1]), "k": kind}).scalar_one())
    finally:
        engine.dispose()


async def _until(pilot: Pilot[Any], condition: Any, seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, what
        await pilot.pause(0.05)
    return time.monotonic() - started


def test_the_server_restarts_on_its_own_port(own_server: tuple[PgServer, str]) -> None:
    """The port is outside the ephemeral range (no ``bind(0)`` elsewhere on the machine,
    no outgoing connection is handed it while the server is down); a restart keeps it."""
    server, _template = own_server
    low, _high = pgserver._ephemeral_range()
    assert server.port < low, "a port from the ephemeral range may be taken while down"
    admin = server.admin_url.replace("+psycopg", "")
    before = psycopg.connect(admin, autocommit=True)
    server.halt()
    assert not server.running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(admin, connect_timeout=2)
    with socket.socket() as probe:  # nothing listens meanwhile; the port is not taken
        assert probe.connect_ex((server.host, server.port)) != 0
    took = server.resume()
    assert server.running and took < 60
    with psycopg.connect(admin, autocommit=True) as conn:
        assert conn.execute("SHOW port").fetchone() == (str(server.port),)
    with pytest.raises(psycopg.OperationalError):
        before.execute("SELECT 1")  # the session from before the restart was cut
    before.close()
    assert server.restart() < 60  # and again, straight through


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_a_workstation_lives_through_a_real_restart(
    restart_world: tuple[PgServer, World], lang: str
) -> None:
    server, world = restart_world
    desk = world.desk
    clock = desk.clock
    assert isinstance(clock, FrozenClock)
    mine = cases.create_case(desk, world.ana, title="Sin línea")
    app = make_app(world, "ana", poll_interval=1.0, language=lang)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        await _until(pilot, lambda: app._listener is not None and app._listener.listening.is_set(),
                     10, "the workstation never listened")
        # a call being logged: its timer runs, its subject and notes are typed
        await press(pilot, "f2")
        await settle(pilot)
        log = app.screen
        assert isinstance(log, InteractionLogScreen)
        assert log.query_one("#log-channel", Select).value == "phone"
        log.query_one("#log-subject", Input).focus()
        await type_text(pilot, "No tiene tono")
        log.query_one("#log-notes", TextArea).text = "reinició el router dos veces"
        timer = log.query_one("#log-timer", CallTimer)
        timer.start()
        started_at = timer.started_at
        # a note being typed on a case
        app.open_case(mine.label)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, TextPrompt)
        await type_text(pilot, "cliente avisado")

        line = status_line(app)
        assert shown(line) == ""
        await asyncio.to_thread(server.halt)
        try:
            await _until(pilot, lambda: unreachable() in shown(status_line(app)), 10,
                         "the outage was not said")
            if lang == "es":
                assert shown(status_line(app)).startswith("base de datos inaccesible")
            # the note, tried while the server is down: refused, said in the dialog, kept
            await press(pilot, "enter")
            await _until(pilot, lambda: not form.writing and form_error(form) != "", 20,
                         "the refused note was not said")
            assert app.screen is form
            assert form.query_one("#prompt-input", Input).value == "cliente avisado"
            clock.advance(timedelta(seconds=40))  # the call goes on meanwhile
            await pilot.pause(1.2)
            assert unreachable() in shown(status_line(app)), "the line stays while it is down"
        finally:
            await asyncio.to_thread(server.resume)
        await _until(pilot, lambda: shown(status_line(app)) == "", 20,
                     "it did not come back by itself")
        await _until(pilot, lambda: app._listener.listening.is_set(), 10, "not listening again")
        assert events_of(world, mine.label, "note") == 0, "the refused note was not done"
        # tried again once the server is back: done, once (a first try may still meet a
        # connection from before the restart — refused, and said — so retry until done)
        for _attempt in range(5):
            await press(pilot, "enter")
            await _until(pilot, lambda: not form.writing, 20, "the note never returned")
            if app.screen is not form:
                break
            await pilot.pause(0.3)
        assert app.screen is not form, form_error(form)
        assert isinstance(app.screen, CaseScreen)
        assert events_of(world, mine.label, "note") == 1, "done once, never twice"
        # the call: text and timer as they were, the timer still running (40 s on)
        await press(pilot, "f2")
        await settle(pilot)
        assert app.screen is log
        assert log.query_one("#log-subject", Input).value == "No tiene tono"
        assert log.query_one("#log-notes", TextArea).text == "reinició el router dos veces"
        assert timer.running and timer.started_at == started_at and timer.elapsed() >= 40
        # pushed changes arrive again: Luis's new case reaches Ana's inbox without a poll
        await press(pilot, "f3")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        desk.engine.dispose()  # the test's own handle lost its connections with the server
        after = await asyncio.to_thread(
            cases.create_case, desk, world.luis, title="Después", queue="billing"
        )
        await _until(pilot, lambda: after.label in [r.label for r in inbox.cases.rows_held],
                     3, "a pushed change after the restart did not arrive")
        assert not [e for e in errors(app) if "Traceback" in e]


def test_the_cli_against_a_stopped_server_says_one_line_and_exits_2(
    restart_world: tuple[PgServer, World],
) -> None:
    server, world = restart_world
    url = world.desk.engine.url.render_as_string(hide_password=False)
    world.desk.engine.dispose()
    server.halt()
    try:
        result = CliRunner().invoke(cli_app, ["--db", url, "case", "list"])
    finally:
        server.resume()
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk: "), result.stderr
    assert "Traceback" not in result.output


async def test_a_key_pressed_while_the_server_is_down_is_refused_and_not_done(
    restart_world: tuple[PgServer, World],
) -> None:
    """``s`` (start) on a case while the server is stopped: an error is said and the trail
    holds no start; pressed again once the server is back: started, once."""
    server, world = restart_world
    mine = cases.create_case(world.desk, world.ana, title="Sin línea")
    app = make_app(world, "ana", poll_interval=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(mine.label)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        await asyncio.to_thread(server.halt)
        try:
            await _until(pilot, lambda: unreachable() in shown(status_line(app)), 10,
                         "the outage was not said")
            await press(pilot, "s")
            await _until(pilot, lambda: bool(errors(app)), 20, "the refusal was not said")
            assert "database" in errors(app)[-1]
        finally:
            await asyncio.to_thread(server.resume)
        await _until(pilot, lambda: shown(status_line(app)) == "", 20,
                     "it did not come back by itself")
        assert events_of(world, mine.label, "start") == 0, "refused, so not done"
        for _attempt in range(5):  # a first try may meet a connection from before
            said = len(errors(app))
            await press(pilot, "s")
            await settle(pilot)
            if events_of(world, mine.label, "start") or len(errors(app)) == said:
                break
            await pilot.pause(0.3)
        await settle(pilot)
        assert events_of(world, mine.label, "start") == 1, "done once, never twice"
