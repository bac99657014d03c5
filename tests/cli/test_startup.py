"""What a CLI command loads (issue 15, point 8): only what it needs.

Each command runs as a real process (``python -m casedesk …`` through the console entry)
that writes ``sys.modules`` on exit; the heavy modules a command does not use must not be
among them: the workstation (textual), migrations (alembic), the PostgreSQL driver on
SQLite, the Markdown renderer, the import/export tools, the other commands' modules — and
SQLAlchemy itself where the command needs no database. Also point 9: with no terminal the
workstation refuses in one line instead of spinning.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: Never on a command's path (the workstation, migrations, test tools, rendering of articles).
NEVER = ["textual", "alembic", "hypothesis", "pytest", "rich.markdown", "markdown_it",
         "pygments", "openpyxl", "casedesk.app", "casedesk.screens", "casedesk.widgets",
         "casedesk.services.imports", "casedesk.services.demo", "casedesk.cli.kb",
         "casedesk.cli.imports", "casedesk.cli.export", "casedesk.cli.sla",
         "casedesk.cli.worker", "casedesk.cli.db", "casedesk.cli.demo", "casedesk.cli.agent"]
#: Not for a command on SQLite.
NOT_ON_SQLITE = ["psycopg"]
#: Not for a command that needs no database.
DATABASE = ["sqlalchemy", "sqlmodel", "casedesk.models", "casedesk.db", "casedesk.services"]

_DUMP = (
    "import atexit, os, sys\n"
    "def dump():\n"
    "    with open(os.environ['MODULES_OUT'], 'w') as out:\n"
    "        out.write(' '.join(sorted(sys.modules)))\n"
    "atexit.register(dump)\n"
    "sys.argv = ['casedesk', *sys.argv[1:]]\n"
    "from casedesk.cli import main\n"
    "main()\n"
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_CONFIG_DIR"] = str(tmp_path / "config")
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    return env


def loaded_by(tmp_path: Path, *argv: str, stdin: str = "") -> tuple[set[str], str]:
    """The modules a command loaded, and its stdout; the command must succeed."""
    out = tmp_path / "modules.txt"
    env = {**_env(tmp_path), "MODULES_OUT": str(out)}
    done = subprocess.run([sys.executable, "-c", _DUMP, *argv], capture_output=True,
                          text=True, env=env, input=stdin, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(out.read_text().split()), done.stdout


def early(loaded: set[str], names: list[str]) -> list[str]:
    return [n for n in names if n in loaded or any(m.startswith(n + ".") for m in loaded)]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup")
    path = folder / "demo.db"
    done = subprocess.run([sys.executable, "-m", "casedesk", "--db", f"sqlite:///{path}",
                           "demo", "--cases", "20"], capture_output=True, text=True,
                          env=_env(folder), timeout=300)
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


@pytest.mark.parametrize("command", [
    ["case", "show", "CS-000003"],
    ["case", "note", "CS-000003", "rang back"],
    ["case", "accept", "CS-000005", "--json"],
    ["case", "list", "--limit", "5"],
])
def test_a_case_command_loads_the_database_but_nothing_it_does_not_use(
    db: str, tmp_path: Path, command: list[str]
) -> None:
    if command[1] == "accept":  # a case waiting in a queue, whichever the demo made
        _, out = loaded_by(tmp_path, "--db", db, "--json", "case", "list", "--queue",
                           "technical", "--limit", "1")
        command = ["case", "accept", out.split('"label": "')[1].split('"')[0], "--json"]
    loaded, _ = loaded_by(tmp_path, "--db", db, "--as", "maria", *command)
    assert "sqlalchemy" in loaded and "casedesk.cli.case" in loaded  # the test is awake
    assert early(loaded, NEVER + NOT_ON_SQLITE) == []
    if command[1] in ("show", "accept", "list"):  # opening cases: routing, templates, files
        assert early(loaded, ["casedesk.services.routing", "casedesk.datafiles",
                              "casedesk.services.workflow.templates"]) == []


@pytest.mark.parametrize("argv", [
    ["--help"],  # it lists every command: their modules load, to say what each does
    ["case", "--help"],
    ["case", "show", "--help"],
    ["batch"],
])
def test_help_and_an_empty_batch_load_no_workstation_nor_migrations(tmp_path: Path,
                                                                   argv: list[str]) -> None:
    loaded, out = loaded_by(tmp_path, *argv)
    assert "typer" in loaded and ("Usage" in out or argv == ["batch"])
    assert early(loaded, ["textual", "alembic", "casedesk.app"]) == []
    if argv != ["--help"]:
        assert early(loaded, ["psycopg"]) == []
    if argv == ["batch"]:
        assert early(loaded, DATABASE + ["rich.markdown"]) == []
    if argv[0] == "case":
        assert early(loaded, ["casedesk.cli.kb", "casedesk.cli.imports"]) == []


@pytest.mark.parametrize(("argv", "dates"), [
    (["case", "note", "CS-000003", "rang back"], False),
    (["--lang", "es", "case", "note", "CS-000003", "otra vez"], False),
    (["--json", "case", "show", "CS-000003"], False),  # JSON keeps ISO 8601: no Babel
    (["--lang", "es", "case", "show", "CS-000003"], True),
])
def test_babel_loads_only_for_a_command_that_prints_a_date(
    db: str, tmp_path: Path, argv: list[str], dates: bool
) -> None:
    """Dates and numbers are formatted by Babel (casedesk.localformat), which costs a tenth of
    a second to import: only a command that writes a date for a person pays for it."""
    loaded, _ = loaded_by(tmp_path, "--db", db, "--as", "maria", *argv)
    assert "casedesk.cli.case" in loaded
    assert ("babel.dates" in loaded) is dates
    assert early(loaded, NEVER + NOT_ON_SQLITE) == []


@pytest.mark.parametrize("argv", [["--help"], ["--lang", "es", "case", "--help"]])
def test_help_in_either_language_loads_no_babel(tmp_path: Path, argv: list[str]) -> None:
    loaded, out = loaded_by(tmp_path, *argv)
    assert ("Usage" in out or "Uso" in out) and early(loaded, ["babel"]) == []


def test_the_schema_check_on_open_loads_no_alembic(db: str, tmp_path: Path) -> None:
    loaded, _ = loaded_by(tmp_path, "--db", db, "agent", "list")
    assert "casedesk.db" in loaded
    assert early(loaded, ["alembic", "textual"]) == []


def test_a_batch_of_commands_loads_what_they_need_once(db: str, tmp_path: Path) -> None:
    loaded, out = loaded_by(tmp_path, "--db", db, "--as", "maria", "batch",
                            stdin="case show CS-000003\ncase note CS-000003 'otra vez'\n")
    assert out.count("ok: ") == 2
    assert early(loaded, NEVER + NOT_ON_SQLITE) == []


def test_the_workstation_without_a_terminal_refuses_in_one_line(db: str, tmp_path: Path
                                                                ) -> None:
    """Point 9: in CI (no terminal) it says so and exits 2 — not a full-screen app spinning
    at 100 % CPU until the job's time-out."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "casedesk", "--db", db, "--as", "maria"],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk: the workstation needs a terminal")
    assert done.stdout == ""
    assert time.monotonic() - started < 30


def test_no_terminal_with_a_bad_database_still_names_the_database(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "x.db"
    done = subprocess.run([sys.executable, "-m", "casedesk", "--db", f"sqlite:///{missing}"],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "no database at" in done.stderr


def test_a_terminal_on_one_side_only_is_no_terminal() -> None:
    from casedesk.cli.workstation import is_terminal

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    closed = io.StringIO()
    closed.close()  # isatty() raises ValueError on a closed stream
    assert is_terminal(Tty(), Tty())
    assert not is_terminal(Tty(), closed)
    assert not is_terminal(closed, Tty())
    assert not is_terminal(Tty(), io.StringIO())
