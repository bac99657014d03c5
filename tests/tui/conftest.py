"""Workstation tests: a small call centre on a SQLite file, a frozen clock, Pilot helpers.

TUI tests run on SQLite only (the services are tested on both databases elsewhere). The
apps are built with ``poll_interval=None`` unless a test is about live refresh, so that
nothing changes under a test's feet; operations still refresh the screen they came from.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from casedesk import heap
from casedesk.app import CaseDeskApp
from casedesk.clock import FrozenClock
from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.sla import policy_files
from tests.conftest import T0, World, build_world


def new_world(template: Path, path: Path, clock: FrozenClock) -> World:
    """A migrated copy of the template with the default SLA policies and the small centre."""
    shutil.copyfile(template, path)
    desk = Desk(make_engine(f"sqlite:///{path}"), clock)
    policy_files.load_defaults(desk)
    return build_world(desk)


@pytest.fixture(autouse=True)
def _no_heap_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workstation's ``heap.settle`` (a full collection, ~50 ms on the event loop, two
    seconds in) stays out of the screen tests' timing; ``test_app`` tests it itself."""
    monkeypatch.setattr(heap, "SETTLE_AFTER", 3600.0)


@pytest.fixture
def tui_clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def tui_world(sqlite_template: Path, tmp_path: Path, tui_clock: FrozenClock) -> Iterator[World]:
    world = new_world(sqlite_template, tmp_path / "desk.db", tui_clock)
    yield world
    world.desk.engine.dispose()


def make_app(world: World, login: str | None, **kwargs: Any) -> CaseDeskApp:
    """The workstation as ``login`` (None: the sign-in screen), without background polling
    and without running the SLA clock (a test runs it by hand when it is about the clock)."""
    kwargs.setdefault("poll_interval", None)
    kwargs.setdefault("clock_interval", None)
    kwargs.setdefault("timezone", "Europe/Madrid")
    kwargs.setdefault("remember_agent", False)
    actor = world.desk.actor(login) if login else None
    return CaseDeskApp(world.desk, actor, **kwargs)


async def settle(pilot: Pilot[Any], rounds: int = 8) -> None:
    """Let workers finish and their results land, until nothing is running."""
    app = pilot.app
    for _ in range(rounds):
        with contextlib.suppress(WorkerCancelled):  # superseded loads end cancelled
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break


def _send(pilot: Pilot[Any], ch: str) -> None:
    """Queue the key event of one typed character, the way the terminal driver would
    (``Pilot.press`` does the same but waits for idle after every key)."""
    app = pilot.app
    assert app._driver is not None
    key = _character_to_key(ch) if not ch.isalnum() else ch
    event = events.Key(key, ch)
    event.set_sender(app)
    app._driver.send_message(event)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one at a time (``Pilot.press``, which waits for screen switches), settling
    after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` into the focused widget: one key event per character, like a person
    typing fast (the events are queued together, then the app settles once)."""
    for ch in text:
        _send(pilot, ch)
    await settle(pilot)


def errors(app: CaseDeskApp) -> list[str]:
    return [m for severity, m in app.notices if severity == "error"]


def infos(app: CaseDeskApp) -> list[str]:
    return [m for severity, m in app.notices if severity == "information"]
