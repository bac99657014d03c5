"""A fuzz test over the CLI's argument space (issue 10, point 8).

Hypothesis picks a command from the real typer tree and fills its arguments and options
with hostile values: numbers beyond 64 bits and beyond PostgreSQL's integer range,
negatives, non-numbers, the hostile corpus, odd dates and durations, empty strings. Whatever
it picks, the CLI must answer with an exit code in {0, 1, 2} and never a traceback.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from casedesk.cli import app
from tests.hostile import CORPUS

runner = CliRunner()

NUMBERS = ["0", "-1", "1", "3", "2147483647", "2147483648", "-2147483649",
           "9223372036854775807", "9223372036854775808", "99999999999999999999",
           "1e3", "0x10", "١٢", "12abc", "CS-000001", "cs-99999999999999999999", "KB-000001"]
DATES = ["0001-01-01", "9999-12-31", "2026-13-45", "2026-03-02T16:00", "2026-03-02T25:00",
         "2999-01-01T00:00+14:00", "1969-12-31T23:59:59-12:00", "now", "2026-02-30"]
DURATIONS = ["99999999999d", "0m", "-5h", "1h30m", "4h", "1d", "3661d", "m", "10000000000m"]
URLS = ["", " ", "sqlite:////proc/nope/x.db", "postgresql://u@h:abc/db", "postgresql://u@[::1/db",
        "postgresql://u@h:99999/db", "mysql://x@y/z", "sqlite://", "nonsense", "sqlite:///"]
WORDS = ["", " ", "-", "--", "technical", "maria", "new", "bogus", "csv", "jsonl", "cases",
         "contacts", "skip", "abort", "high", "critical", "admin", "general"]
#: Short hostile strings (the 100 kB word is in, once, as a value).
HOSTILE = [s for s in CORPUS if len(s) < 200] + ["x" * 100_000]
LONG_PATH = "x" * 5000  # longer than any file name may be
#: Files the fuzz DB's folder holds (made by the fixture): a good CSV, a binary, a folder.
FILES = ["good.csv", "logo.png", "folder", "missing.csv", LONG_PATH, "-", ".", "/proc/nope/x"]
#: Values of the right kind for a parameter (by its name), so that hypothesis gets past the
#: first check of a command and reaches its deeper ones.
GOOD: dict[str, list[str]] = {
    "kind": ["contacts", "cases", "agents", "queues", "articles", "emails", "interactions"],
    "files": FILES, "path": FILES, "file": FILES, "output": FILES + ["out.csv", "nodir/x.csv"],
    "number": ["CS-000001", "1", "KB-000001", "2", "CS-000003"],
    "case": ["CS-000001", "CS-000002", "4"], "parent": ["CS-000001"],
    "queue": ["technical", "billing"], "fmt": ["csv", "jsonl"], "task_id": ["1", "2"],
    "status": ["new", "in_progress", "resolved"], "priority": ["high"], "severity": ["major"],
    "on_error": ["skip", "abort"], "role": ["agent", "admin"], "area": ["billing"],
    "timezone": ["UTC", "Europe/Madrid"], "encoding": ["utf-8", "cp1252", "utf-16"],
    "due": DATES, "within": DURATIONS, "limit": ["1", "5"], "type_": ["solved"],
    "contact": ["1", "2"], "version": ["1"], "capacity": ["5"], "login": ["zed", "maria"],
}
ANY = NUMBERS + DATES + DURATIONS + URLS + WORDS + HOSTILE + FILES


def values(name: str) -> st.SearchStrategy[str]:
    """Mostly a value of the right kind (when known), else anything hostile."""
    anything = st.sampled_from(ANY)
    good = GOOD.get(name)
    if not good:
        return anything
    return st.integers(0, 9).flatmap(
        lambda n: st.sampled_from(good) if n < 6 else anything)


@dataclass(frozen=True)
class Param:
    name: str
    opts: tuple[str, ...]  # empty for an argument
    flag: bool
    required: bool
    many: bool  # a variadic argument


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: tuple[Param, ...]


def _commands(group, path: tuple[str, ...] = ()) -> Iterator[Command]:  # type: ignore[no-untyped-def]
    ctx = typer.Context(group)  # the root builds its sub-commands when asked (cli/root.py)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
            continue
        params = []
        for p in command.params:
            if p.param_type_name == "option":
                if "--help" in p.opts or not p.expose_value:
                    continue  # the global flags every command takes: fuzzed at the root
                params.append(Param(p.name, tuple(p.opts), bool(p.is_flag), bool(p.required),
                                    False))
            else:
                params.append(Param(p.name, (), False, bool(p.required), p.nargs == -1))
        yield Command((*path, name), tuple(params))


COMMANDS = list(_commands(typer.main.get_command(app)))


@st.composite
def invocations(draw: st.DrawFn) -> list[str]:
    """A command path and hostile arguments for it, sometimes with a hostile --db too."""
    command = draw(st.sampled_from(COMMANDS))
    argv = list(command.path)
    for param in command.params:
        if param.opts:
            if not draw(st.booleans()) and not (param.required and draw(st.booleans())):
                continue
            flag = draw(st.sampled_from(param.opts))
            argv += [flag] if param.flag else [flag, draw(values(param.name))]
        else:
            if not param.required and draw(st.booleans()):
                continue
            count = draw(st.integers(1, 3)) if param.many else 1
            if param.required and draw(st.integers(0, 9)) == 0:
                count = 0  # a missing argument is a usage error
            argv += [draw(values(param.name)) for _ in range(count)]
    if command.path == ("worker",) and "--once" not in argv:
        argv.append("--once")  # it runs until stopped otherwise: one tick is its whole work
    # ``batch`` reads standard input, which the runner leaves empty: it stops at once.
    if draw(st.integers(0, 19)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(["--bogus", "-z"])))
    return argv


@pytest.fixture
def fuzz_db(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A seeded SQLite file; the test runs in tmp_path (exports and rejects land there)."""
    path = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["--db", url, "demo", "--cases", "10"])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.csv").write_text("name,email\nAna [/],ana@example.com\n=1+1,\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    (tmp_path / "folder").mkdir()
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setenv("VISUAL", "true")
    return url


def test_the_command_tree_is_walked() -> None:
    paths = {" ".join(c.path) for c in COMMANDS}
    assert {"case show", "case list", "kb add", "sla policy load", "export", "db info"} <= paths


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=invocations(), root=st.sampled_from([None] * 9 + URLS),
       who=st.sampled_from(["maria", "sofia", "admin", "nobody", "[/]"]))
def test_no_argument_makes_a_traceback(fuzz_db: str, argv: list[str], root: str | None,
                                       who: str) -> None:
    url = fuzz_db if root is None else root
    with _no_server():
        result = runner.invoke(app, ["--db", url, "--as", who, *argv])
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv, repr(result.exception))
    assert "Traceback" not in output, argv
    assert result.exit_code in _codes(argv), (argv, result.exit_code, output[-500:])


def _codes(argv: list[str]) -> tuple[int, ...]:
    """The documented exit codes: 0, 1, 2; ``mail receive`` adds 75 (the database cannot
    take the message now: the MTA retries; docs/mail.md)."""
    return (0, 1, 2, 75) if argv[:2] == ["mail", "receive"] else (0, 1, 2)


#: The values every parameter of every command gets once, the others being of the right kind.
NASTY = ["99999999999999999999", LONG_PATH, "[/]\x1b]0;x\x07", "", "-", "0"]


def _no_server() -> Any:
    """``casedesk web`` serves until stopped: here its whole work is checking the flags and
    building the site, so uvicorn's run returns at once (``tests/web`` serves for real)."""
    from unittest import mock

    return mock.patch("uvicorn.run", lambda *args, **kwargs: None)


def _good(param: Param) -> list[str]:
    """A value of the right kind for a required parameter (or something plausible)."""
    value = (GOOD.get(param.name) or ["x"])[0]
    return [value] if not param.opts else [param.opts[0], value]


def test_every_parameter_of_every_command_takes_every_nasty_value(fuzz_db: str) -> None:
    """Deterministic companion of the fuzz: one hostile value at a time, everywhere."""
    failures = []
    for command in COMMANDS:
        for target in command.params:
            if target.flag:
                continue
            for nasty in NASTY:
                argv = list(command.path)
                for param in command.params:
                    if param is target:
                        argv += [nasty] if not param.opts else [param.opts[0], nasty]
                    elif param.required:
                        argv += _good(param)
                with _no_server():
                    result = runner.invoke(app, ["--db", fuzz_db, "--as", "sofia", *argv])
                output = result.stdout + result.stderr
                if not (result.exception is None or isinstance(result.exception, SystemExit)) \
                        or "Traceback" in output or result.exit_code not in _codes(argv):
                    failures.append((argv[:8], result.exit_code, repr(result.exception)[:200]))
    assert failures == []
