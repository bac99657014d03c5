"""A command answered by a resident process: ``casedesk case show`` in ~0.1 s, not ~0.8 s.

Most of a command's time is Python importing SQLAlchemy, SQLModel, typer, rich and the
models (docs/benchmarks.md); the work itself takes milliseconds. So the first command of a
person at a terminal leaves behind a *resident* process (:mod:`casedesk.cli.resident_server`)
that has all of that imported, and the next commands hand it their argv: it forks, and the
fork runs the command exactly as this process would — on this process's own standard
input, output and error (passed over a Unix socket), in its directory, with its
environment — and sends back the exit code. Each command is a fresh fork, so nothing one
command does reaches the next; the resident process itself never opens a database.

This module is the client: it imports nothing but the standard library, and when anything
is unusual (no resident process yet, a stale one, a socket that does not answer) it returns
None and the command runs here as it always did.

When: ``CASEDESK_RESIDENT=1`` always, ``=0`` never; unset, only when standard error is a
terminal (a person typing commands — scripts and cron jobs leave no process behind; for
thousands of commands there is ``casedesk batch``). Not for the workstation, ``web``,
``worker``, ``kb edit`` (an editor wants the terminal as its own) or ``mail receive``
(handed to the worker's mail gate). The resident process serves one environment and one
version of the code (both are in its socket's name), lives in a private directory
(``$XDG_RUNTIME_DIR/casedesk``, else ``/tmp/casedesk-<uid>``; mode 0700; or
``CASEDESK_RESIDENT_DIR``), and exits after ``CASEDESK_RESIDENT_IDLE`` seconds without a
command (default 900).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import sys
from pathlib import Path
from types import FrameType

ENV_SWITCH = "CASEDESK_RESIDENT"
ENV_DIR = "CASEDESK_RESIDENT_DIR"
ENV_IDLE = "CASEDESK_RESIDENT_IDLE"
#: Set: the resident process writes a line per command to its log (never the command).
ENV_TRACE = "CASEDESK_RESIDENT_TRACE"
#: Variables that differ between two shells of one person and change no command.
VOLATILE = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES"})
#: ``(command, sub-command or None)`` never handed over.
NOT_HANDED = frozenset({("web", None), ("worker", None), ("kb", "edit"), ("mail", "receive")})
#: Global options that take a value (their value is not the command's name).
VALUED = frozenset({"--db", "--as", "--lang"})
PACKAGE = Path(__file__).resolve().parents[1]
CONNECT_TIMEOUT = 1.0
#: How long the fork may take to be ready (a loaded machine); then the command runs here.
READY_TIMEOUT = 10.0
GO = b"G"


def wanted(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """Whether this command may be handed over (the switch, else a person at a terminal)."""
    env = os.environ if environ is None else environ
    switch = env.get(ENV_SWITCH, "").strip().lower()
    if switch in {"0", "no", "off", "false"}:
        return False
    if not hasattr(socket, "send_fds") or not hasattr(os, "fork"):
        return False
    if switch in {"1", "yes", "on", "true"}:
        return True
    try:
        return os.isatty(2)
    except OSError:
        return False


def command_words(argv: list[str]) -> tuple[str | None, str | None]:
    """The command and sub-command names in ``argv`` (global options skipped)."""
    words: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--":
            break
        if item in VALUED:
            next(items, None)
        elif not item.startswith("-"):
            words.append(item)
            if len(words) == 2:
                break
    return (words[0] if words else None, words[1] if len(words) > 1 else None)


def eligible(argv: list[str]) -> bool:
    """A command a resident process may run (not the workstation, not a long-lived one)."""
    command, sub = command_words(argv)
    if command is None:
        return False  # the workstation (or only flags: let the command line say what is wrong)
    return (command, None) not in NOT_HANDED and (command, sub) not in NOT_HANDED


def code_stamp(package: Path = PACKAGE) -> str:
    """Changes when any of the package's code or catalogues changes (an upgrade, an edit)."""
    digest = hashlib.sha256()
    stack = [package]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(Path(entry.path))
            elif entry.name.endswith((".py", ".mo")):
                info = entry.stat()
                digest.update(f"{entry.path}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    return digest.hexdigest()


def server_key(environ: dict[str, str] | os._Environ[str] | None = None,
               stamp: str | None = None) -> str:
    """The name of the resident process that may serve this one: the interpreter, the
    code and the environment (whatever a library reads from it when imported)."""
    env = os.environ if environ is None else environ
    digest = hashlib.sha256()
    digest.update(f"{sys.executable}\0{sys.version}\0{PACKAGE}\0".encode())
    digest.update((code_stamp() if stamp is None else stamp).encode())
    for name in sorted(env):
        if name not in VOLATILE:
            digest.update(f"\0{name}={env[name]}".encode(errors="surrogateescape"))
    return digest.hexdigest()[:24]


def runtime_dir(environ: dict[str, str] | os._Environ[str] | None = None) -> Path | None:
    """The private directory of this user's resident processes (created 0700), or None
    when it is not private (someone else's, or open to others)."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_DIR)
    if chosen:
        folder = Path(chosen)
    elif env.get("XDG_RUNTIME_DIR"):
        folder = Path(env["XDG_RUNTIME_DIR"]) / "casedesk"
    else:
        folder = Path(f"/tmp/casedesk-{os.getuid()}")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return folder


def _std_fds_open() -> bool:
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


def hand_over(argv: list[str]) -> int | None:
    """Run the command in a resident process: its exit code, or None when this process
    must run it (and then, when wanted, a resident process is started at exit)."""
    if not eligible(argv) or not wanted() or not _std_fds_open():
        return None
    folder = runtime_dir()
    if folder is None:
        return None
    key = server_key()
    path = folder / f"{key}.sock"
    code = _ask(path, argv)
    if code is None:
        import atexit

        atexit.register(start_server, folder, key)
    return code


def _ask(path: Path, argv: list[str]) -> int | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(CONNECT_TIMEOUT)
        conn.connect(str(path))
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                   "path": sys.path, "umask": _umask(), "argv0": sys.argv[0],
                   # how the program names itself (`python -m casedesk` or `casedesk`)
                   "main_package": getattr(sys.modules.get("__main__"), "__package__", None)}
        socket.send_fds(conn, [b"C"], [0, 1, 2])
        conn.sendall(json.dumps(request).encode() + b"\n")  # ASCII: surrogates escaped
        conn.settimeout(READY_TIMEOUT)
        reader = conn.makefile("rb")
        ready = reader.readline()
        if not ready:
            conn.close()
            return None  # refused before running anything (a stale or stopping process)
        pid = int(json.loads(ready)["pid"])
        # Nothing runs until this byte: a client that gave up above runs the command
        # itself, and the fork, seeing the connection close instead, runs nothing
        conn.sendall(GO)
    except (OSError, ValueError, KeyError, TypeError):
        conn.close()
        return None
    conn.settimeout(None)
    forwarded: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        forwarded.append(signum)
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    def suspend(signum: int, frame: FrameType | None) -> None:
        # ^Z: the command stops with this process, and goes on when it does (fg, bg)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGSTOP)
        os.kill(os.getpid(), signal.SIGSTOP)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    signal.signal(signal.SIGTSTP, suspend)
    try:
        finished = reader.readline()
    except OSError:
        finished = b""
    finally:
        conn.close()
    try:
        answer = json.loads(finished)
        code = int(answer["code"])
    except (ValueError, KeyError, TypeError):
        # the command's process stopped without an answer: killed (a forwarded signal) or lost
        if forwarded:
            _die_of(forwarded[-1])
            return 128 + forwarded[-1]
        sys.stderr.write(_lost_line(argv) + "\n")
        return 1
    if answer.get("interrupted"):
        _die_of(signal.SIGINT)  # as Python does after an uncaught KeyboardInterrupt
    return code


def _lost_line(argv: list[str]) -> str:
    """The one line for a command whose process vanished (in the reader's language)."""
    from casedesk.cli import start_language, take_language
    from casedesk.i18n import _

    with contextlib.suppress(SystemExit):
        start_language(take_language(argv)[1])
    return "casedesk: " + _("the command stopped before it finished; check what it did "
                            "(e.g. `casedesk case show`) before running it again")


def _die_of(signum: int) -> None:
    sys.stdout.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def start_server(folder: Path, key: str) -> None:
    """Start a resident process for ``key`` in the background (it gives way at once if
    another one holds its lock), detached from this terminal and session."""
    import subprocess

    log = folder / f"{key}.log"
    try:
        with open(log, "ab") as out:
            subprocess.Popen(
                [sys.executable, "-c",
                 "from casedesk.cli.resident_server import main; main()",
                 str(folder), key],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=str(folder),
                start_new_session=True, close_fds=True)
    except OSError:
        pass  # no resident process: every command runs in its own process, as before
