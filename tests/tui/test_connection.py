"""Faults the agent must see (issue 10, point 6): a database that does not answer, a
refused write, a write that waits for a lock.

- while the change-token poll fails, every screen's status line says "database
  unreachable — retrying" and that the lists may be stale; the lists keep their rows; the
  line goes when a poll succeeds again (and the lists reload);
- a form that writes stays open until its write succeeds: a refusal is shown inside it
  with the typed text intact, to retry or to cancel;
- a write that has not returned after 2 s says it is waiting for the database (inside the
  form, or on the status line for a key like ``s``), and the notice goes when it returns.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from casedesk.app import CaseDeskApp
from casedesk.errors import StaleVersion
from casedesk.screens import actions as actions_module
from casedesk.screens import interactions as interactions_module
from casedesk.screens.case import CaseScreen
from casedesk.screens.inbox import InboxScreen
from casedesk.screens.modals import WAITING, CaseForm, Form, ResolveForm, TextPrompt
from casedesk.services.queries import live, reads
from casedesk.services.workflow import cases, tasks, transitions
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text

UNREACHABLE = "database unreachable — retrying"


def status_line(app: CaseDeskApp) -> Static:
    screen = app.desk_screen()
    assert screen is not None
    return screen.query_one("#db-status", Static)


def shown(line: Static) -> str:
    """What the status line says, or "" while it is hidden."""
    return str(line.content) if line.display else ""


async def until(pilot: Pilot[Any], condition: Any, seconds: float = 5.0) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "timed out"
        await pilot.pause(0.05)


def form_hint(form: Form) -> str:
    return str(form.query_one("#form-hint", Static).content)


def form_error(form: Form) -> str:
    return str(form.query_one("#form-error", Static).content)


async def test_a_database_that_does_not_answer_is_said_and_the_lists_keep_their_rows(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.create_case(tui_world.desk, tui_world.luis, title="Sin línea", queue="technical")
    real = live.change_token
    down = threading.Event()

    def token(desk: Any) -> Any:
        if down.is_set():
            raise OperationalError("SELECT max(id)", {}, Exception("server closed the connection"))
        return real(desk)

    monkeypatch.setattr(live, "change_token", token)
    app = make_app(tui_world, "ana", poll_interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await until(pilot, lambda: screen.cases.row_count == 1)
        line = status_line(app)
        assert shown(line) == ""

        down.set()
        await until(pilot, lambda: UNREACHABLE in shown(line))
        assert "lists may be stale" in shown(line)
        assert screen.cases.row_count == 1, "the list keeps what it holds"
        await pilot.pause(0.5)
        assert UNREACHABLE in shown(line), "the line stays while the database is away"
        await press(pilot, "f4")  # every screen says it
        await until(pilot, lambda: UNREACHABLE in shown(status_line(app)))

        await press(pilot, "f3")
        await asyncio.to_thread(
            cases.create_case, tui_world.desk, tui_world.luis, title="Otra", queue="technical"
        )
        down.clear()
        await until(pilot, lambda: shown(status_line(app)) == "")
        await until(pilot, lambda: screen.cases.row_count == 2)  # back: reloaded
        assert app.unreachable_since is None


async def test_a_refused_resolve_keeps_the_typed_notes_and_can_be_retried(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Factura doble")
    transitions.start(desk, tui_world.ana, case.label)
    real = transitions.resolve
    calls: list[int | None] = []

    def resolve(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("version"))
        if len(calls) == 1:
            raise StaleVersion(f"{case.label} was changed by Luis Romero: reload it")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions_module.transitions, "resolve", resolve)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await press(pilot, "v")
        form = app.screen
        assert isinstance(form, ResolveForm)
        notes = "Devuelto el cargo [/] duplicado"
        await type_text(pilot, notes)
        await press(pilot, "ctrl+s")
        assert app.screen is form, "the dialog stays open"
        assert form_error(form) == f"{case.label} was changed by Luis Romero: reload it"
        assert form.query_one("#resolve-notes", TextArea).text == notes
        assert reads.get_case(desk, case.label).status == "in_progress"

        await press(pilot, "ctrl+s")  # retry
        assert not isinstance(app.screen, ResolveForm)
        assert reads.get_case(desk, case.label).status == "resolved"
        assert reads.get_case(desk, case.label).resolution_notes == notes
        assert len(calls) == 2
        assert f"{case.label} is resolved" in [m for _, m in app.notices]


async def test_a_refused_note_can_be_cancelled(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Sin línea")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(actions_module.cases, "add_note", refuse)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, TextPrompt)
        await type_text(pilot, "llamó otra vez")
        await press(pilot, "enter")
        assert app.screen is form
        assert form_error(form) == "database error: database is locked"
        assert form.query_one("#prompt-input", Input).value == "llamó otra vez"
        await press(pilot, "escape")
        assert isinstance(app.screen, CaseScreen)


async def test_a_note_waiting_for_a_lock_says_so_in_its_dialog(tui_world: World) -> None:
    """Another process holds SQLite's write lock for 2.5 s: the dialog says it is waiting,
    then closes once the note is written."""
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Sin línea")
    path = desk.engine.url.database
    assert path
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, TextPrompt)
        await type_text(pilot, "espera al bloqueo")

        holder = sqlite3.connect(path, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("enter")
            await pilot.pause(0.5)
            assert app.screen is form and form.writing
            assert form_hint(form) == "saving…"
            await until(pilot, lambda: form_hint(form) == WAITING)
            await pilot.press("escape")  # no closing while the write is out (and no
            await pilot.pause(0.1)  # waiting for the workers: this test holds the lock)
            assert app.screen is form
            assert form_hint(form).startswith("saving…")
        finally:
            holder.rollback()
            holder.close()
        await until(pilot, lambda: app.screen is not form, seconds=5.0)
        assert not form.writing
        timeline = reads.timeline(desk, case.label)
        assert any("espera al bloqueo" in e.text for e in timeline), timeline


async def test_a_slow_status_change_says_so_on_the_status_line(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Sin línea")
    real = transitions.start
    released = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        released.wait(10)  # in the worker thread: a write held up until the test says
        return real(*args, **kwargs)

    monkeypatch.setattr(actions_module.transitions, "start", slow)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        line = status_line(app)
        pressed = time.monotonic()
        await pilot.press("s")
        await pilot.pause(0.5)
        assert shown(line) == "", "nothing said before 2 s"
        await until(pilot, lambda: shown(line) == WAITING, seconds=5.0)
        assert time.monotonic() - pressed >= 2.0
        released.set()
        await until(pilot, lambda: shown(line) == "", seconds=5.0)
        await settle(pilot)
        assert reads.get_case(desk, case.label).status == "in_progress"


async def test_task_and_time_dialogs_keep_what_was_typed_when_refused(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Sin línea")

    def locked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(actions_module.cases, "log_time", locked)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)

        await press(pilot, "t")  # a due time the service refuses
        form = app.screen
        assert isinstance(form, Form)
        await type_text(pilot, "llamar mañana")
        await press(pilot, "tab")
        await type_text(pilot, "pronto")
        await press(pilot, "enter")
        assert app.screen is form
        assert form_error(form) != ""
        assert form.query_one("#task-title", Input).value == "llamar mañana"
        form.query_one("#task-due", Input).value = "2h"
        await press(pilot, "ctrl+s")
        assert app.screen is not form
        titles = [t.title for t in tasks.list_tasks(desk, case=case.label, include_done=True)]
        assert titles == ["llamar mañana"]

        await press(pilot, "l")  # a refused time entry
        form = app.screen
        assert isinstance(form, Form)
        await type_text(pilot, "15")
        await press(pilot, "tab")
        await type_text(pilot, "diagnóstico")
        await press(pilot, "enter")
        assert app.screen is form
        assert form_error(form) == "database error: database is locked"
        assert form.query_one("#time-minutes", Input).value == "15"
        assert form.query_one("#time-note", Input).value == "diagnóstico"
        await press(pilot, "escape")
        assert isinstance(app.screen, CaseScreen)


async def test_a_refused_case_from_a_call_logs_the_call_once_and_keeps_the_form(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = interactions_module.cases.create_case
    tries: list[str] = []

    def create(*args: Any, **kwargs: Any) -> Any:
        tries.append(kwargs["title"])
        if len(tries) == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(interactions_module.cases, "create_case", create)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "juan")
        await pilot.pause(0.25)
        await settle(pilot)
        await press(pilot, "down", "enter")
        await type_text(pilot, "Sin conexión desde ayer")
        await press(pilot, "ctrl+o")
        form = app.screen
        assert isinstance(form, CaseForm)
        form.query_one("#case-title", Input).value = "Sin conexión (fibra)"
        await press(pilot, "ctrl+s")
        assert app.screen is form
        assert form_error(form) == "database error: database is locked"
        assert form.query_one("#case-title", Input).value == "Sin conexión (fibra)"
        await press(pilot, "ctrl+s")  # retry: the case, on the call already logged
        assert app.current_mode == "case"
        assert tries == ["Sin conexión (fibra)"] * 2
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None
        calls = reads.customer_history(tui_world.desk, tui_world.contact_id).interactions
        assert [(c.subject, c.case) for c in calls] == [
            ("Sin conexión desde ayer", screen.bundle.case.label)
        ]
