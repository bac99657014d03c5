"""What a person types, checked before the database (issue 10, points 3 and 4).

Every case: one line on stderr, the README's exit code (1 bad input, 2 usage or
configuration), never a traceback, and nothing half-done.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.db import make_engine
from casedesk.services.imports import export as export_service

runner = CliRunner()


def cli(db: str, *args: str, who: str | None = "maria") -> tuple[int, str, str]:
    argv = ["--db", db] + (["--as", who] if who is not None else [])
    result = runner.invoke(app, [*argv, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, repr(result.exception))
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk: "), err
    return lines[0]


@pytest.fixture
def seeded(db_url: str) -> str:
    code, _, err = cli(db_url, "demo", "--cases", "5", who=None)
    assert code == 0, err
    return db_url


HUGE = "99999999999999999999"  # beyond 64 bits: OverflowError on SQLite
WIDE = "2147483648"  # beyond PostgreSQL's integer: "integer out of range"


CASE_COMMANDS = [
    ("case", "show"), ("case", "accept"), ("case", "note", "{n}", "hola"),
    ("sla", "explain"), ("kb", "guide"), ("task", "add", "t", "--case"),
    ("case", "create", "-t", "x", "--parent"), ("task", "list", "--case"),
]
OTHER_NUMBERS = [
    ["kb", "show", HUGE], ["kb", "show", f"KB-{WIDE}"], ["kb", "publish", WIDE],
    ["task", "done", HUGE], ["task", "done", WIDE], ["task", "done", "abc"],
    ["case", "create", "-t", "x", "--contact", HUGE],
    ["case", "create", "-t", "x", "--interaction", WIDE],
    ["kb", "send", "KB-000001", "CS-000001", "--contact", WIDE],
    ["case", "start", "CS-000001", "--version", HUGE],
    ["agent", "add", "zz", "--name", "Z", "--capacity", HUGE],
    ["agent", "add", "zz", "--name", "Z", "--capacity", "-1"],
    ["case", "list", "--limit", "0"], ["case", "list", "--limit", HUGE],
    ["case", "list", "--limit", "many"], ["kb", "search", "x", "--limit", WIDE],
    ["task", "add", "t", "--due", "0001-01-01"], ["task", "add", "t", "--due", "9999-12-31"],
    ["task", "add", "t", "--due", "2026-02-30"], ["task", "add", "t", "--due", "2999-01-01"],
    ["task", "add", "t", "--in", "99999999999d"], ["task", "add", "t", "--in", "0m"],
    ["task", "add", "t", "--in", "soon"], ["demo", "--cases", HUGE],
    ["import", "contacts", "x.csv", "--batch-size", HUGE],
]


def test_numbers_dates_durations_out_of_range_are_bad_input(seeded: str) -> None:
    """Case numbers beyond 64 bits or PostgreSQL's integer in every command that takes
    one, and every other typed number, date and duration: exit 1, one line."""
    for command in CASE_COMMANDS:
        for number in (HUGE, WIDE, f"CS-{HUGE}", "CS--1", "0", "1.5"):
            args = [a.replace("{n}", number) for a in command]
            if "{n}" not in command:
                args.append(number)
            code, _, err = cli(seeded, *args)
            assert code == 1, (args, err)
            assert "case" in one_line(err)
    for args in OTHER_NUMBERS:
        code, _, err = cli(seeded, *args, who="sofia")
        assert code == 1, (args, err)
        one_line(err)


@pytest.mark.parametrize(("args", "valid"), [
    (["case", "list", "--status", "bogus"], "new, in_progress, awaiting_customer"),
    (["case", "list", "--queue", "technical", "--status", "bogus"], "resolved, closed"),
    (["case", "create", "-t", "x", "--priority", "urgent"], "high, medium, low"),
    (["case", "create", "-t", "x", "--severity", "blocker"], "critical, major, minor"),
    (["case", "create", "-t", "x", "--area", "sales"], "technical, billing"),
    (["agent", "add", "zz", "--name", "Z", "--role", "boss"], "agent, supervisor, admin"),
    (["queue", "add", "q", "--area", "x"], "commercial, general"),
    (["export", "cases", "--format", "xml"], "csv, jsonl"),
    (["import", "people", "x.csv"], "contacts, accounts"),
])
def test_unknown_filter_values_are_usage_errors_listing_the_valid_ones(
        seeded: str, args: list[str], valid: str) -> None:
    code, _, err = cli(seeded, *args, who="sofia")
    assert code == 2, err
    assert valid in one_line(err)


def test_choices_ignore_case(seeded: str) -> None:
    code, _, err = cli(seeded, "case", "list", "--status", "NEW")
    assert code == 0, err


@pytest.mark.parametrize(("url", "words"), [
    ("", "--db is empty"), (" ", "--db is empty"),
    ("sqlite:////proc/nope/x.db", "no database at /proc/nope/x.db"),
    ("postgresql://u@localhost:abc/db", "the port is not a number"),
    ("postgresql://u@localhost:99999/db", "port 99999 is not between 1 and 65535"),
    ("postgresql://u:secret@[::1/db", "IPv6 address opened with [ is not closed"),
])
def test_bad_database_urls_are_one_line_exit_2(url: str, words: str) -> None:
    code, _, err = cli(url, "case", "list")
    assert code == 2
    line = one_line(err)
    assert words in line and "secret" not in line


def test_db_upgrade_where_nothing_can_be_created_is_one_line() -> None:
    code, _, err = cli("sqlite:////proc/nope/x.db", "db", "upgrade")
    assert code == 2 and "cannot create the database /proc/nope/x.db" in one_line(err)


@pytest.mark.parametrize("args", [
    ["case", "list"], ["case", "show", "1"], ["db", "info"], ["kb", "search", "x"],
    ["export", "cases"], ["sla", "explain", "1"], ["agent", "list"], ["db", "check"],
    ["case", "create", "-t", "x"],
])
def test_commands_never_create_a_database(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "typo" / "deeper" / "casedesk.db"
    code, _, err = cli(f"sqlite:///{path}", *args)
    assert code == 2
    assert one_line(err) == (
        f"casedesk: no database at {path} — run `casedesk db upgrade` to create one")
    assert not (tmp_path / "typo").exists()


def test_db_upgrade_and_demo_still_create(tmp_path: Path) -> None:
    for args in (["db", "upgrade"], ["demo", "--cases", "0"]):
        path = tmp_path / args[0] / "casedesk.db"
        code, _, err = cli(f"sqlite:///{path}", *args, who=None)
        assert code == 0, err
        assert path.is_file()
    code, out, _ = cli(f"sqlite:///{tmp_path / 'demo' / 'casedesk.db'}", "agent", "list")
    assert code == 0 and "maria" in out


def test_a_newer_schema_says_the_program_is_older(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert cli(url, "db", "upgrade")[0] == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for args in (["case", "list"], ["db", "upgrade"], ["agent", "list"]):
        code, _, err = cli(url, *args)
        assert code == 2, args
        assert "this program is older than the database" in one_line(err)


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    middle = len(data) // 2 // page * page
    data[middle:middle + 3 * page] = b"\x5a" * (3 * page)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("args", [["case", "list"], ["case", "create", "-t", "lost?"],
                                  ["db", "info"], ["db", "check"]])
def test_a_damaged_file_is_reported_as_such(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "c.db"
    assert cli(f"sqlite:///{path}", "demo", "--cases", "200", who=None)[0] == 0
    _damage(path)
    code, out, err = cli(f"sqlite:///{path}", *args)
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"casedesk: the database file {path} is damaged: ")


def test_a_file_that_is_not_a_database_or_cut_off(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"these are not the pages you are looking for\n" * 200)
    code, _, err = cli(f"sqlite:///{junk}", "case", "list")
    assert code == 2 and "is not a SQLite database" in one_line(err)
    whole = tmp_path / "whole.db"
    assert cli(f"sqlite:///{whole}", "demo", "--cases", "100", who=None)[0] == 0
    cut = tmp_path / "cut.db"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2 // 4096 * 4096])
    code, _, err = cli(f"sqlite:///{cut}", "case", "list")
    assert code == 2 and "it was cut off" in one_line(err)


def test_binary_files_are_one_line(seeded: str, tmp_path: Path) -> None:
    binary = tmp_path / "logo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    nul = tmp_path / "nul.toml"
    nul.write_bytes(b"name = 'x'\x00\n")
    for args in (["kb", "add", "-t", "Logo", "-f", str(binary)],
                 ["sla", "policy", "load", str(binary)],
                 ["sla", "calendar", "load", str(nul)],
                 ["kb", "add", "-t", "Logo", "-f", str(tmp_path)]):
        code, _, err = cli(seeded, *args, who="sofia")
        assert code == 1, (args, err)
        line = one_line(err)
        assert "is not UTF-8 text" in line or "binary" in line or "cannot read" in line


def test_paths_too_long_for_the_file_system(seeded: str, tmp_path: Path) -> None:
    long = str(tmp_path / ("x" * 5000))
    for args, words in ((["import", "contacts", long], "cannot read"),
                        (["import", "emails", long], "cannot read"),
                        (["export", "cases", "-o", long], "cannot write"),
                        (["export", "cases", "-o", long + "/x.csv"], "cannot write"),
                        (["kb", "add", "-t", "x", "-f", long], "cannot read"),
                        (["sla", "policy", "load", long], "cannot read")):
        code, _, err = cli(seeded, *args, who="sofia")
        assert code in (1, 2), args
        assert words in one_line(err) and "File name too long" in err, args
    code, _, err = cli(f"sqlite:///{long}", "case", "list")
    assert code == 2 and "cannot open the database" in one_line(err)


def test_binary_standard_input_is_one_line(seeded: str) -> None:
    for data in (b"\xff\xfe\x00binary", b"text\x00nul"):
        result = runner.invoke(app, ["--db", seeded, "--as", "sofia", "kb", "add", "-t", "x",
                                     "-f", "-"], input=data)
        assert result.exit_code == 1
        assert isinstance(result.exception, SystemExit)
        assert "standard input" in one_line(result.stderr)
    result = runner.invoke(app, ["--db", seeded, "--as", "sofia", "kb", "add", "-t", "Stdin",
                                 "-f", "-"], input="# Título\n\nCuerpo ñ\n".encode())
    assert result.exit_code == 0, result.stderr


def test_arguments_that_are_not_text(seeded: str) -> None:
    code, _, err = cli(seeded, "case", "list", "--search", "caf\udce9")
    assert code == 2 and "is not valid text" in one_line(err)


def test_usage_errors_are_one_line(seeded: str) -> None:
    for args in (["case", "list", "--bogus"], ["case", "show"], ["case", "frobnicate"]):
        code, _, err = cli(seeded, *args)
        assert code == 2
        assert "--help" in one_line(err)


def test_export_refused_leaves_the_file_alone(seeded: str, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "keep.csv"
    target.write_text("precious\n")
    code, _, err = cli(seeded, "export", "cases", "-o", str(target), who="maria")
    assert code == 1 and "only supervisors may export" in one_line(err)
    assert target.read_text() == "precious\n"
    assert os.listdir(tmp_path / "out") == ["keep.csv"]


def test_export_failing_midway_leaves_the_file_alone(seeded: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "keep.csv"
    target.write_text("precious\n")
    real = export_service.export_records

    def dies(desk, actor, kind, out, fmt="csv", **kw):  # type: ignore[no-untyped-def]
        real(desk, actor, kind, out, fmt, **kw)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_service, "export_records", dies)
    code, _, err = cli(seeded, "export", "cases", "-o", str(target), who="sofia")
    assert code == 2 and "No space left on device" in one_line(err)
    assert target.read_text() == "precious\n"
    assert os.listdir(tmp_path / "out") == ["keep.csv"]


def test_export_replaces_the_file_when_done(seeded: str, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "cases.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    code, _, err = cli(seeded, "export", "cases", "-o", str(target), who="sofia")
    assert code == 0 and "exported" in err
    assert target.read_text().startswith("id,number,title")
    assert target.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path / "out") == ["cases.csv"]


def test_a_value_the_database_refuses_is_bad_input(seeded: str) -> None:
    """PostgreSQL refuses a 100 kB title (varchar(300)): exit 1, one line."""
    code, _, err = cli(seeded, "case", "create", "-t", "x" * 100_000, who="sofia")
    assert code in (0, 1)
    if code == 1:
        one_line(err)


def test_empty_as_is_refused(seeded: str) -> None:
    code, _, err = cli(seeded, "case", "list", "--mine", who="")
    assert code == 2 and "--as is empty" in one_line(err)


def test_damage_the_open_check_does_not_read_is_still_named(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Above FULL_CHECK_MAX_BYTES the open checks only the small tables; a damaged case
    page met later is still reported as damage (exit 2), never as done."""
    import sqlite3

    from casedesk import db

    path = tmp_path / "big.db"
    assert cli(f"sqlite:///{path}", "demo", "--cases", "300", who=None)[0] == 0
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'case' AND pagetype = 'leaf'")]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    victim = pages[len(pages) // 2]
    data[(victim - 1) * page_size:victim * page_size] = b"\x5a" * page_size
    path.write_bytes(bytes(data))
    monkeypatch.setattr(db, "FULL_CHECK_MAX_BYTES", 0)
    code, _, err = cli(f"sqlite:///{path}", "export", "cases", who="sofia")
    assert code == 2
    assert "the database file is damaged" in one_line(err)
    code, _, err = cli(f"sqlite:///{path}", "db", "check")
    assert code == 2 and "is damaged" in one_line(err)
