"""The CLI's habits (issue 15, point 8): the global flags after the sub-command
(``casedesk agent list --json`` is ``casedesk --json agent list``; ``--db`` and ``--as``
likewise), times that name their zone, and a first write that makes a new SQLite file."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from tests.pgserver import PgServer

runner = CliRunner()


def run(*argv: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(argv))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def seeded(db_url: str) -> str:
    code, _, err = run("--db", db_url, "demo", "--cases", "5", "--seed", "3")
    assert code == 0, err
    return db_url


def _steady(value: object) -> object:
    """The JSON without the moment it was read (``sla status`` says when it checked)."""
    if isinstance(value, dict):
        return {k: _steady(v) for k, v in value.items() if k != "checked_at"}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


@pytest.mark.parametrize(
    "command",
    [
        ["agent", "list"],
        ["queue", "list"],
        ["team", "list"],
        ["case", "list", "--limit", "5"],
        ["case", "show", "CS-000001"],
        ["case", "list", "--status", "new", "--limit", "3"],
        ["kb", "search", "pago"],
        ["template", "list"],
        ["sla", "status"],  # it has a --json of its own: the same meaning
        ["db", "info"],
    ],
)
def test_json_before_and_after_the_command_print_the_same(seeded: str, command: list[str]
                                                          ) -> None:
    code, before, err = run("--db", seeded, "--as", "sofia", "--json", *command)
    assert code == 0, err
    code, after, err = run("--db", seeded, "--as", "sofia", *command, "--json")
    assert code == 0, err
    assert _steady(json.loads(after)) == _steady(json.loads(before))
    code, text, _ = run("--db", seeded, "--as", "sofia", *command)
    assert code == 0
    with pytest.raises(ValueError):
        json.loads(text)  # without the flag it is the table, not JSON


def test_db_and_as_after_the_command(seeded: str) -> None:
    code, out, err = run("case", "list", "--limit", "2", "--db", seeded, "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 2
    code, out, err = run("case", "create", "--title", "Sin tono", "--queue", "technical",
                         "--db", seeded, "--as", "sofia", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created["creator"] == "sofia"
    code, out, err = run("--db", seeded, "case", "accept", created["label"], "--as=maria",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["owner"] == "maria"


def test_a_flag_after_the_command_overrides_the_one_before(seeded: str, tmp_path: Path
                                                           ) -> None:
    missing = f"sqlite:///{tmp_path / 'nothing-here.db'}"
    code, out, err = run("--db", missing, "agent", "list", "--db", seeded, "--json")
    assert code == 0, err
    assert {a["login"] for a in json.loads(out)} >= {"maria", "sofia"}
    code, _, err = run("--db", seeded, "agent", "list", "--db", missing)
    assert code == 2 and "no database at" in err


def test_after_a_double_dash_the_words_are_data(seeded: str) -> None:
    code, out, err = run("--db", seeded, "--as", "maria", "--json", "case", "note",
                         "CS-000002", "--", "--json")
    assert code == 0, err
    code, out, _ = run("--db", seeded, "case", "show", "CS-000002", "--json")
    assert any(e["text"].endswith("--json") for e in json.loads(out)["timeline"])


def test_a_global_flag_without_its_value_is_a_usage_error(seeded: str) -> None:
    code, _, err = run("--db", seeded, "agent", "list", "--as")
    assert code == 2
    assert err.startswith("casedesk: ") and len(err.strip().splitlines()) == 1


def test_help_mentions_json_after_the_command() -> None:
    code, out, _ = run("case", "show", "--help")
    assert code == 0 and "--json" in out


_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d ([A-Z]{2,5}|[+-]\d\d:\d\d)")


def test_times_in_tables_and_text_name_their_zone(seeded: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from casedesk.cli.state import console

    monkeypatch.setattr(console, "_width", 200)  # a table as wide as its cells (not cut)
    code, out, _ = run("--db", seeded, "case", "show", "CS-000001")
    assert code == 0
    created = next(line for line in out.splitlines() if line.startswith("created"))
    assert _STAMP.search(created), created
    wide = runner.invoke(app, ["--db", seeded, "case", "list", "--limit", "3"])
    assert wide.exit_code == 0
    dues = [re.split(r"\s{2,}", row.strip())[-1] for row in wide.stdout.splitlines()
            if "CS-" in row]
    assert dues and all(_STAMP.fullmatch(due) or due == "—" for due in dues), dues
    code, out, _ = run("--db", seeded, "--json", "case", "show", "CS-000001")
    created_at = json.loads(out)["created_at"]
    assert re.search(r"T\d\d:\d\d:\d\d.*[+-]\d\d:\d\d$", created_at), created_at


def test_when_names_the_zone_or_its_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from datetime import UTC, datetime

    from casedesk.cli.format import when

    moment = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)
    for zone, expected in [("UTC", "2026-12-01 13:05 UTC"),
                           ("Europe/Madrid", "2026-12-01 14:05 CET"),
                           ("Asia/Kolkata", "2026-12-01 18:35 IST"),
                           ("America/Sao_Paulo", "2026-12-01 10:05 -03:00")]:
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        assert when(moment) == expected
    monkeypatch.delenv("TZ")
    time.tzset()
    assert when(None) == "—"


def test_the_first_write_on_a_new_sqlite_file_creates_its_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'desk.db'}"
    code, out, err = run("--db", url, "agent", "add", "zed", "--name", "Zed", "--role", "admin")
    assert code == 0, err
    code, out, err = run("--db", url, "--json", "db", "info")
    info = json.loads(out)
    assert info["revision"] == info["head"] and info["counts"]["agent"] == 1


def test_demo_on_an_empty_sqlite_file_creates_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    code, _, err = run("--db", f"sqlite:///{path}", "demo", "--cases", "3")
    assert code == 0, err
    code, out, _ = run("--db", f"sqlite:///{path}", "--json", "case", "list", "--limit", "1")
    assert code == 0 and len(json.loads(out)) == 1


def test_a_read_on_a_new_sqlite_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "desk.db"
    code, _, err = run("--db", f"sqlite:///{missing}", "case", "list")
    assert code == 2 and "no database at" in err
    assert not missing.parent.exists()


def test_postgresql_without_a_schema_still_says_to_upgrade(pg_server: PgServer) -> None:
    name = f"e_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    try:
        for command in (["demo", "--cases", "1"], ["agent", "add", "zed", "--name", "Zed"]):
            code, _, err = run("--db", url, *command)
            assert code == 2, err
            assert "run `casedesk db upgrade`" in err and len(err.strip().splitlines()) == 1
        code, out, _ = run("--db", url, "--json", "db", "info")
        assert json.loads(out)["revision"] is None  # nothing was migrated behind the admin
    finally:
        pg_server.drop_database(name)


def test_the_sla_clock_sentence_names_its_zone(seeded: str) -> None:
    code, _, err = run("--db", seeded, "worker", "--once")
    assert code == 0, err
    code, out, _ = run("--db", seeded, "sla", "status")
    first = out.splitlines()[0]
    assert re.search(r", at \d\d/\d\d \d\d:\d\d:\d\d [A-Z]{2,5}\b", first), first


def test_a_sqlite_file_of_another_program_is_not_migrated_behind_its_back(tmp_path: Path
                                                                          ) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    code, _, err = run("--db", f"sqlite:///{path}", "agent", "add", "zed", "--name", "Zed")
    assert code == 2 and "no casedesk schema" in err and "db upgrade" in err
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert names == {"notes"}
