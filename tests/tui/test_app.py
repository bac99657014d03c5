"""Start-up, sign-in, the function keys, help and the command palette."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList
from typer.testing import CliRunner

from casedesk import app as app_module
from casedesk import heap
from casedesk.cli import app as cli_app
from casedesk.config import Settings, load_settings, read_config_file, write_config_value
from casedesk.screens.case import CaseScreen
from casedesk.screens.help import HelpScreen
from casedesk.screens.signin import SignInScreen
from tests.conftest import World
from tests.tui.conftest import errors, make_app, press, settle, type_text


async def test_sign_in_lists_agents_and_remembers_the_choice(tui_world: World) -> None:
    app = make_app(tui_world, None, remember_agent=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        options = app.screen.query_one("#signin-agents", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0] == "Admin  (admin, admin)"
        assert any(label == "Luis Romero  (luis, agent)" for label in labels)
        ana = next(i for i, label in enumerate(labels) if label.startswith("Ana García"))
        options.highlighted = ana
        await press(pilot, "enter")
        assert app.actor is not None and app.actor.login == "ana"
        assert app.current_mode == "inbox"
    assert read_config_file()["agent"] == "ana"


async def test_escape_on_sign_in_quits(tui_world: World) -> None:
    app = make_app(tui_world, None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 0 and app.actor is None


def test_run_workstation_signs_in_the_configured_agent(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configured login is used; an unknown one opens the sign-in with a warning."""
    started: list[dict[str, Any]] = []

    def fake_run(self: app_module.CaseDeskApp) -> None:
        started.append({"actor": self.actor, "notice": self._startup_notice, "tz": self.tz})

    monkeypatch.setattr(app_module.CaseDeskApp, "run", fake_run)

    class State:  # the CliState the CLI hands over: its settings and its desk
        as_flag = None

        @property
        def settings(self) -> Settings:
            return load_settings()

        def desk(self, **_options: Any) -> Any:
            return tui_world.desk

    write_config_value("agent", "luis")
    app_module.run_workstation(State())
    write_config_value("agent", "nobody")
    app_module.run_workstation(State())
    assert started[0]["actor"].login == "luis" and started[0]["notice"] is None
    assert str(started[0]["tz"]) == "Europe/Madrid"
    assert started[1]["actor"] is None
    assert "no agent with login 'nobody'" in started[1]["notice"]


def test_database_without_schema_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()  # an existing file without the schema (a missing one
    # is "no database at …", see tests/cli/test_entry.py)
    result = CliRunner().invoke(cli_app, ["--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "has no casedesk schema: run `casedesk db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


async def test_function_keys_reach_every_screen(tui_world: World) -> None:
    app = make_app(tui_world, "maria")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        seen = []
        for key in ("f2", "f3", "f4", "f5", "f6", "f7"):
            await press(pilot, key)
            seen.append(app.current_mode)
        assert seen == ["log", "inbox", "wip", "case", "knowledge", "supervisor"]


async def test_agents_cannot_open_the_supervisor_view(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f7")
        assert app.current_mode == "inbox"
        assert errors(app) == [
            "only supervisors may open the supervisor view; the role of ana is agent"
        ]


async def test_help_lists_the_screen_keys(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "f1")
        assert not isinstance(app.screen, HelpScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_command_palette_opens_a_case_by_number(tui_world: World) -> None:
    from casedesk.services.workflow import cases

    case = cases.create_case(tui_world.desk, tui_world.ana, title="Factura duplicada")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        await type_text(pilot, "cs-1")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        await settle(pilot)
        assert app.current_mode == "case"
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        assert screen.bundle is not None and screen.bundle.case.label == case.label


async def test_command_palette_offers_the_screen_actions(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        await type_text(pilot, "go to my wip")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        assert app.current_mode == "wip"


async def test_keys_can_be_remapped_in_the_config_file(tui_world: World) -> None:
    from casedesk.config import config_path

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keymap]\ngo-wip = "f9"\n', encoding="utf-8")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f9")
        assert app.current_mode == "wip"


async def test_the_workstation_settles_its_heap_after_start(
    tui_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap, "SETTLE_AFTER", 0.05)
    app = make_app(tui_world, "ana")
    gc.unfreeze()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.pause(0.2)
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
