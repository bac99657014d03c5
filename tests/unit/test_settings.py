"""One typed settings object: flags > environment > config file > defaults, checked once."""

from __future__ import annotations

from pathlib import Path

import pytest

from casedesk.cli.state import CliState
from casedesk.config import DEFAULT_REOPEN_DAYS, config_path, load_settings
from casedesk.errors import ConfigError


def _write(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEDESK_AGENT", raising=False)
    monkeypatch.delenv("CASEDESK_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.reopen_days == DEFAULT_REOPEN_DAYS
    assert dict(settings.keymap) == {}
    assert settings.agent_login is None
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "casedesk.db"
    )


def test_file_values_and_their_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    _write('database_url = "sqlite:///file.db"\nagent = "maria"\nreopen_days = 2\n'
           '[keymap]\ngo-wip = "f9"\n')
    monkeypatch.delenv("CASEDESK_AGENT", raising=False)
    monkeypatch.delenv("CASEDESK_DATABASE_URL", raising=False)
    settings = load_settings()
    assert (settings.database_url, settings.agent_login) == ("sqlite:///file.db", "maria")
    assert settings.reopen_days == 2 and dict(settings.keymap) == {"go-wip": "f9"}
    monkeypatch.setenv("CASEDESK_AGENT", "ana")
    assert load_settings().agent_login == "ana"
    assert load_settings(as_flag="luis").agent_login == "luis"
    assert load_settings(db_flag="sqlite:///flag.db").database_url == "sqlite:///flag.db"
    with pytest.raises(TypeError):
        settings.keymap["go-inbox"] = "f1"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("reopen_days = -1\n", "reopen_days must be a whole number of days from 0 to 3650"),
        ('reopen_days = "7"\n', "not '7'"),
        ("reopen_days = true\n", "not True"),
        ("reopen_days = 99999\n", "from 0 to 3650"),
        ("sla_tick_seconds = 1\n", "sla_tick_seconds must be a whole number of seconds"),
        ('offline_returns_cases = "no"\n', "must be true or false"),
        ('keymap = "f9"\n', "[keymap] must be a table"),
        ('[keymap]\ngo-wip = 9\n', "[keymap] must be a table"),
        ("agent = 3\n", "agent must be a login"),
        ("database_url = [1]\n", "database_url must be a string"),
        ('reopen_dayz = 3\n', "unknown setting 'reopen_dayz'"),
    ],
)
def test_a_wrong_value_names_the_key_and_the_file(
    text: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEDESK_AGENT", raising=False)
    monkeypatch.delenv("CASEDESK_DATABASE_URL", raising=False)
    path = _write(text)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert says in str(caught.value) and str(path) in str(caught.value)


def test_the_cli_desk_takes_the_reopen_window_from_the_file(db_url: str) -> None:
    _write("reopen_days = 2\n")
    state = CliState(db_flag=db_url)
    try:
        assert state.desk().reopen_days == 2
    finally:
        state.close()
