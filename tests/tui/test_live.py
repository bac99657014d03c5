"""Live refresh: lists follow other agents' changes within 2 s, and nothing reloads while
nothing changes (the change token itself is tested in tests/services)."""

from __future__ import annotations

import asyncio
import time

import pytest

from casedesk.screens import inbox as inbox_module
from casedesk.screens.inbox import InboxScreen
from casedesk.services.workflow import cases, transitions
from tests.conftest import World
from tests.tui.conftest import make_app, settle


async def test_inbox_follows_other_agents_within_two_seconds(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetches: list[str] = []
    real = inbox_module.reads.inbox

    def counting(*args: object, **kwargs: object) -> object:
        fetches.append("page")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inbox_module.reads, "inbox", counting)
    app = make_app(tui_world, "ana", poll_interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen) and screen.cases.rows_held == []
        loads = len(fetches)
        await pilot.pause(1.0)
        assert len(fetches) == loads, "nothing changed: no reloads"

        made = await asyncio.to_thread(
            cases.create_case, tui_world.desk, tui_world.luis, title="Nuevo", queue="billing"
        )
        started = time.monotonic()
        while [r.label for r in screen.cases.rows_held] != [made.label]:
            assert time.monotonic() - started < 2.0, "the inbox did not follow within 2 s"
            await pilot.pause(0.05)
        await asyncio.to_thread(transitions.accept, tui_world.desk, tui_world.sup, made.label)
        started = time.monotonic()
        while screen.cases.rows_held:
            assert time.monotonic() - started < 2.0
            await pilot.pause(0.05)
