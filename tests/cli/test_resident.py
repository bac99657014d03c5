"""Commands answered by a resident process (issue 15 point 8: a command within 300 ms).

Real processes throughout: the console entry as a person runs it, the resident process it
starts, a pseudo-terminal where a terminal matters. Every command handed over must answer
exactly what the same command run in its own process answers — output, errors, exit
code, language, terminal width — and the client itself must load none of the heavy
libraries.
"""

from __future__ import annotations

import ast
import contextlib
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from fcntl import ioctl
from pathlib import Path

import pytest

from casedesk.cli import resident
from tests.cli.test_startup import _DUMP  # the client's modules, written at exit

PACKAGE = Path(resident.__file__).resolve().parents[1]

class Floor:
    """A demo database, an environment, and where this test's resident processes live."""

    def __init__(self, tmp_path: Path, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.db = f"sqlite:///{tmp_path / 'desk.db'}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
        self.env.update(CASEDESK_CONFIG_DIR=str(tmp_path / "config"),
                        CASEDESK_DATA_DIR=str(tmp_path / "data"),
                        CASEDESK_RESIDENT_DIR=str(run_dir), CASEDESK_RESIDENT_IDLE="120",
                        CASEDESK_RESIDENT_TRACE="1")

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "casedesk", "--db", self.db, *args]

    def run(self, *args: str, served: bool, stdin: str = "",
            extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "CASEDESK_RESIDENT": "1" if served else "0", **(extra or {})}
        return subprocess.run(self.argv(*args), capture_output=True, text=True, env=env,
                              input=stdin, timeout=120)

    def served(self) -> int:
        """Commands the resident processes of this test have run (their trace lines)."""
        return sum(log.read_text().count("command ") for log in self.run_dir.glob("*.log"))

    def wait_for_server(self, count: int = 1) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list(self.run_dir.glob("*.sock"))) >= count:
                return
            time.sleep(0.05)
        logs = [p.read_text() for p in self.run_dir.glob("*.log")]
        raise AssertionError(f"no resident process started: {logs}")

    def pids(self) -> list[int]:
        return [int(p.read_text()) for p in self.run_dir.glob("*.pid")]


@pytest.fixture
def run_dir() -> Iterator[Path]:
    # short: a Unix socket's path has at most 107 bytes
    folder = Path(tempfile.mkdtemp(prefix="cdr", dir="/tmp"))
    folder.chmod(0o700)
    try:
        yield folder
    finally:
        for pid_file in folder.glob("*.pid"):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def floor(tmp_path: Path, run_dir: Path) -> Floor:
    made = Floor(tmp_path, run_dir)
    demo = made.run("demo", "--cases", "20", served=False)
    assert demo.returncode == 0, demo.stderr
    return made


def _started(floor: Floor) -> None:
    """The first handed-over command runs itself and leaves a resident process behind."""
    first = floor.run("--as", "admin", "case", "show", "CS-000001", served=True)
    assert first.returncode == 0, first.stderr
    floor.wait_for_server()
    assert floor.served() == 0


def test_a_command_answers_the_same_from_the_resident_process(floor: Floor) -> None:
    _started(floor)
    commands = [
        ("--as", "admin", "case", "show", "CS-000003"),
        ("--as", "admin", "--json", "case", "show", "CS-000003"),
        ("--as", "admin", "case", "list", "--limit", "3", "--json"),
        ("--as", "admin", "case", "show", "CS-000999"),  # not found: exit 1
        ("case", "show", "--bogus"),  # usage: exit 2
        ("--lang", "es", "--as", "admin", "case", "show", "CS-000003"),
        ("--as", "admin", "case", "show", "CS-000003"),  # English again: nothing leaked
        ("--as", "nobody", "case", "show", "CS-000003"),
        ("case", "--help"),
    ]
    for argv in commands:
        alone = floor.run(*argv, served=False)
        handed = floor.run(*argv, served=True)
        assert (handed.returncode, handed.stdout, handed.stderr) == (
            alone.returncode, alone.stdout, alone.stderr), argv
    assert floor.served() == len(commands)
    assert {floor.run(*c, served=False).returncode for c in commands} >= {0, 1, 2}
    spanish = floor.run("--lang", "es", "--as", "admin", "case", "show", "CS-000003",
                        served=True)
    assert "estado" in spanish.stdout and "status " not in spanish.stdout


def test_writes_standard_input_and_the_environment_go_through(floor: Floor) -> None:
    _started(floor)
    noted = floor.run("--as", "admin", "case", "note", "CS-000003", "llamó otra vez",
                      served=True)
    assert noted.returncode == 0, noted.stderr
    shown = floor.run("--as", "admin", "--json", "case", "show", "CS-000003", served=False)
    assert "llamó otra vez" in shown.stdout
    lines = "case show CS-000003\ncase show CS-000999\n"
    alone = floor.run("--as", "admin", "--json", "batch", served=False, stdin=lines)
    handed = floor.run("--as", "admin", "--json", "batch", served=True, stdin=lines)
    assert (handed.returncode, handed.stdout) == (alone.returncode, alone.stdout)
    # the acting agent from the environment, not from the resident process's
    by_env = floor.run("--json", "case", "note", "CS-000004", "x", served=True,
                       extra={"CASEDESK_AGENT": "admin"})
    # (another environment: its own resident process; this one ran in its own process)
    assert by_env.returncode == 0, by_env.stderr
    assert floor.served() == 2


def test_the_client_loads_no_heavy_library(floor: Floor, tmp_path: Path) -> None:
    out = tmp_path / "modules.txt"
    env = {**floor.env, "CASEDESK_RESIDENT": "1", "MODULES_OUT": str(out)}
    argv = [sys.executable, "-c", _DUMP, "--db", floor.db, "--as", "admin", "case", "show",
            "CS-000003"]
    loads = []
    for _attempt in range(2):  # the first starts the resident process of this environment
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0 and "CS-000003" in done.stdout, done.stderr
        loads.append(set(out.read_text().split()))
        floor.wait_for_server()
    assert floor.served() == 1
    heavy = {m for m in loads[1] if m.split(".")[0] in
             {"sqlalchemy", "sqlmodel", "typer", "rich", "pydantic", "babel", "casedesk"}}
    assert heavy <= {"casedesk", "casedesk.cli", "casedesk.cli.resident"}, heavy
    assert "sqlalchemy" in loads[0]  # the check can fail: run alone, a command loads it


def _in_terminal(floor: Floor, served: bool, *args: str, columns: int = 72
                 ) -> tuple[int, bytes]:
    main, replica = pty.openpty()
    ioctl(replica, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    env = {**floor.env, "TERM": "xterm-256color"}
    for sized in ("COLUMNS", "LINES"):  # the terminal's own size, not another test's
        env.pop(sized, None)
    if served:
        env.pop("CASEDESK_RESIDENT", None)  # unset: a person at a terminal gets it
    else:
        env["CASEDESK_RESIDENT"] = "0"
    process = subprocess.Popen(floor.argv(*args), stdin=replica, stdout=replica,
                               stderr=replica, env=env)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([main], [], [], 0.1)
        if ready:
            try:
                output += os.read(main, 65536)
            except OSError:
                break
        elif process.poll() is not None:
            break
    code = process.wait(10)
    os.close(main)
    os.close(replica)
    return code, output


def test_a_terminal_stays_a_terminal(floor: Floor) -> None:
    args = ("--as", "admin", "case", "list", "--limit", "3")
    _in_terminal(floor, True, *args)  # starts the resident process for this environment
    floor.wait_for_server()
    alone = _in_terminal(floor, False, *args)
    handed = _in_terminal(floor, True, *args)
    assert floor.served() == 1
    assert handed == alone
    assert b"\x1b[1m" in handed[1]  # bold headings: it knew it wrote to a terminal
    plain = re.sub(r"\x1b\[[0-9;]*m", "", handed[1].decode())
    widest = max(plain.splitlines(), key=len)
    assert len(widest) <= 72, plain  # its width


def test_ctrl_c_reaches_the_command(floor: Floor) -> None:
    _started(floor)
    codes = []
    for served in (False, True):
        env = {**floor.env, "CASEDESK_RESIDENT": "1" if served else "0"}
        process = subprocess.Popen(floor.argv("--as", "admin", "batch"), env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"case show CS-000003\n")
        process.stdin.flush()
        assert process.stdout.readline().startswith(b"ok: ")  # now reading the next line
        process.send_signal(signal.SIGINT)
        codes.append(process.wait(30))
        process.stdin.close()
    assert floor.served() == 1
    assert codes[0] == codes[1] != 0


def test_one_resident_process_per_environment_and_it_leaves_when_idle(
        floor: Floor) -> None:
    floor.env["CASEDESK_RESIDENT_IDLE"] = "4"
    firsts = [subprocess.Popen(floor.argv("--as", "admin", "case", "show", "CS-000001"),
                               env={**floor.env, "CASEDESK_RESIDENT": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(3)]
    assert [p.wait(120) for p in firsts] == [0, 0, 0]
    floor.wait_for_server()
    deadline = time.monotonic() + 10
    while not floor.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(floor.pids()) == 1 and len(list(floor.run_dir.glob("*.sock"))) == 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and list(floor.run_dir.glob("*.sock")):
        time.sleep(0.2)
    assert not list(floor.run_dir.glob("*.sock")) and not floor.pids()  # it left, tidily


def test_which_commands_are_handed_over() -> None:
    assert resident.eligible(["case", "show", "CS-000001"])
    assert resident.eligible(["--db", "sqlite:///x.db", "--as", "ana", "case", "accept", "3"])
    assert resident.eligible(["--lang", "es", "agent", "list", "--json"])
    assert resident.eligible(["batch"])
    for argv in ([], ["--db", "sqlite:///x.db"], ["--as", "ana"], ["web"], ["worker"],
                 ["--db", "x", "kb", "edit", "KB-1"], ["mail", "receive"]):
        assert not resident.eligible(argv), argv
    assert resident.command_words(["--db", "case", "agent", "list"]) == ("agent", "list")


def test_when_a_resident_process_is_wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("0", "no", "off", "False"):
        assert not resident.wanted({"CASEDESK_RESIDENT": value})
    for value in ("1", "yes", "on"):
        assert resident.wanted({"CASEDESK_RESIDENT": value})
    monkeypatch.setattr(os, "isatty", lambda fd: fd == 2)
    assert resident.wanted({})
    monkeypatch.setattr(os, "isatty", lambda fd: False)
    assert not resident.wanted({})


def test_the_key_follows_the_code_and_the_environment(tmp_path: Path) -> None:
    base = {"HOME": "/home/ana", "CASEDESK_DB": "sqlite:///a.db", "PWD": "/x", "SHLVL": "1"}
    key = resident.server_key(base, stamp="s")
    assert resident.server_key({**base, "PWD": "/y", "SHLVL": "3", "_": "z"}, "s") == key
    assert resident.server_key({**base, "CASEDESK_DB": "sqlite:///b.db"}, "s") != key
    assert resident.server_key({**base, "FORCE_COLOR": "1"}, "s") != key
    assert resident.server_key(base, stamp="t") != key
    code = tmp_path / "pkg"
    (code / "sub").mkdir(parents=True)
    module = code / "sub" / "m.py"
    module.write_text("x = 1\n")
    (code / "sub" / "notes.txt").write_text("not code")
    before = resident.code_stamp(code)
    (code / "sub" / "notes.txt").write_text("still not code")
    assert resident.code_stamp(code) == before
    module.write_text("x = 22\n")
    assert resident.code_stamp(code) != before


def test_only_a_private_directory_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    assert resident.runtime_dir({"CASEDESK_RESIDENT_DIR": str(folder)}) == folder
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o755)
    assert resident.runtime_dir({"CASEDESK_RESIDENT_DIR": str(folder)}) is None
    assert resident.runtime_dir({"XDG_RUNTIME_DIR": str(tmp_path / "xdg")}) == (
        tmp_path / "xdg" / "casedesk")


def test_the_resident_process_loads_no_command_line_module() -> None:
    """Its modules must not depend on the language when imported (each command chooses its
    own): it imports none of ``casedesk.cli``'s commands, the workstation or the web."""
    probe = ("import sys\nfrom casedesk.cli.resident_server import preload\npreload()\n"
             "print(' '.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "CASEDESK_RESIDENT": "0"})
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert {"sqlalchemy.orm", "sqlmodel", "casedesk.models", "typer.main"} <= loaded
    assert "casedesk.services.workflow.transitions" in loaded
    ours = {m for m in loaded if m.startswith(("casedesk.cli.", "casedesk.screens",
                                               "casedesk.web", "casedesk.app", "textual"))}
    assert ours == {"casedesk.cli.resident", "casedesk.cli.resident_server"}, ours


def _translated_at_import(path: Path) -> list[int]:
    """Lines of ``path`` that call a translation function when the module is imported."""
    names = {"_", "ngettext", "pgettext", "npgettext", "gettext"}
    found: list[int] = []

    def calls(node: ast.AST) -> None:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                func = inner.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in names:
                    found.append(inner.lineno)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                for part in [*child.decorator_list, *child.args.defaults,
                             *[d for d in child.args.kw_defaults if d is not None]]:
                    calls(part)
            elif isinstance(child, ast.Lambda):
                continue
            elif isinstance(child, ast.Call):
                calls(child)
            else:
                visit(child)

    visit(ast.parse(path.read_text()))
    return found


def test_nothing_the_resident_process_imports_translates_when_imported() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in {"cli"}
        and (lines := _translated_at_import(path))
    }
    assert offenders == {}
    # the scan can fail: the command line does translate its help when imported
    assert _translated_at_import(PACKAGE / "cli" / "case.py")


def test_a_client_that_gives_up_before_go_leaves_nothing_done(floor: Floor) -> None:
    """Two-phase: the fork runs nothing until the client's go — so a client that stopped
    waiting (and runs the command itself) never gets it run twice."""
    import json
    import socket

    _started(floor)
    [path] = floor.run_dir.glob("*.sock")
    request = {"argv": ["--db", floor.db, "--as", "admin", "case", "note", "CS-000005",
                        "ran twice?"], "cwd": "/", "env": {**floor.env,
                                                          "CASEDESK_RESIDENT": "1"},
               "path": sys.path, "umask": 0o022, "argv0": "casedesk"}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn, \
            open(os.devnull, "rb") as nothing, open(os.devnull, "wb") as sink:
        conn.connect(str(path))
        socket.send_fds(conn, [b"C"], [nothing.fileno(), sink.fileno(), sink.fileno()])
        conn.sendall(json.dumps(request).encode() + b"\n")
        ready = conn.makefile("rb").readline()
        assert json.loads(ready)["pid"] > 0
    time.sleep(1.0)  # the fork saw the connection close: it exits without running
    shown = floor.run("--as", "admin", "--json", "case", "show", "CS-000005", served=False)
    assert shown.returncode == 0 and "ran twice?" not in shown.stdout
    handed = floor.run("--as", "admin", "case", "note", "CS-000005", "ran once",
                       served=True)
    assert handed.returncode == 0, handed.stderr
    shown = floor.run("--as", "admin", "--json", "case", "show", "CS-000005", served=False)
    assert shown.stdout.count("ran once") == 1
