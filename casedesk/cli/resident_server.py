"""The resident process that answers commands (see :mod:`casedesk.cli.resident`).

Started in the background by a command's client, with the client's environment: it takes
a lock (a second one for the same key gives way at once), imports the libraries and every
module a command needs that does not speak at import time (the command-line modules
translate their help when imported, in the command's language: each fork imports those
itself), then listens. Each connection from this user is one command: the process forks,
and the fork takes the client's three standard streams, directory, environment, module
path, umask and argv, runs the command line (:func:`casedesk.cli.run`) and sends the exit
code. The resident process never runs a command or opens a database itself; it exits after
``CASEDESK_RESIDENT_IDLE`` seconds without one (default 900), on SIGTERM, or when its socket
is removed or replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import io
import json
import os
import pkgutil
import signal
import socket
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import Any, NoReturn

from casedesk.cli.resident import ENV_IDLE, ENV_TRACE, GO, READY_TIMEOUT

#: Libraries (and dialects) every command may need, imported once here.
LIBRARIES = (
    "typer", "typer.main", "typer.core", "typer.rich_utils", "rich.console", "rich.table",
    "rich.text", "rich.panel", "sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.sqlite",
    "sqlmodel", "babel.dates", "babel.numbers", "babel.support", "holidays",
    "holidays.countries", "dateutil.parser", "dateutil.easter", "shlex", "rich.progress",
    "rich.live", "rich.ansi", "rich._emoji_codes", "rich.markup", "typer._click.decorators",
    "typer._click._textwrap", "typer._adapters",
)
OPTIONAL = ("psycopg", "sqlalchemy.dialects.postgresql.psycopg")
#: Every casedesk module is imported here but these: the command line (its help is
#: translated when imported, in each command's language), the workstation, the web, the
#: migrations and the catalogue tools (no command needs them ready).
SKIPPED = frozenset({"cli", "screens", "widgets", "app", "commands", "web", "migrations",
                     "catalogues", "__main__"})
DEFAULT_IDLE = 900.0
POLL = 2.0


def preload() -> None:
    """Import what the commands need (a module that fails to import is left to the fork,
    which reports it as the command would)."""
    import casedesk

    for name in (*LIBRARIES, *OPTIONAL):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        import holidays
        import rich.cells

        rich.cells.cell_len("é")  # loads its Unicode tables
        holidays.country_holidays("ES")  # loads the countries
    for top in pkgutil.iter_modules(casedesk.__path__, "casedesk."):
        if top.name.split(".")[1] in SKIPPED:
            continue  # not even its package (walking one imports it)
        with contextlib.suppress(Exception):
            module = importlib.import_module(top.name)
            for info in pkgutil.walk_packages(getattr(module, "__path__", []),
                                              top.name + ".", onerror=lambda name: None):
                with contextlib.suppress(Exception):
                    importlib.import_module(info.name)


def idle_seconds() -> float:
    try:
        value = float(os.environ.get(ENV_IDLE, DEFAULT_IDLE))
    except ValueError:
        return DEFAULT_IDLE
    return value if value > 0 else DEFAULT_IDLE


def main() -> None:
    """``python -c "…resident_server import main; main()" FOLDER KEY`` (the client's way)."""
    folder, key = Path(sys.argv[1]), sys.argv[2]
    if sys.path and sys.path[0] in ("", "."):
        del sys.path[0]  # never import from the directory it was started in
    serve(folder, key)


def serve(folder: Path, key: str) -> None:
    lock = open(folder / f"{key}.lock", "w")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another one serves (or is starting to)
    preload()
    # What is loaded now is never garbage: the forks' collections skip it (and so do not
    # write to — and copy — every page of it)
    gc.collect()
    gc.freeze()
    path = folder / f"{key}.sock"
    listener = _listen(folder, path)
    mine = os.stat(path).st_ino
    (folder / f"{key}.pid").write_text(f"{os.getpid()}\n")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client forwards ^C to its fork
    idle = idle_seconds()
    trace = bool(os.environ.get(ENV_TRACE))
    listener.settimeout(min(idle, POLL))
    last = time.monotonic()
    children: set[int] = set()
    try:
        while True:
            _reap(children)
            if not children and time.monotonic() - last > idle:
                break
            if not _still_ours(path, mine):
                break
            try:
                conn, _address = listener.accept()
            except TimeoutError:
                continue
            last = time.monotonic()
            if _peer_uid(conn) != os.getuid():
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                _child(conn, listener, lock)
            children.add(pid)
            conn.close()
            if trace:
                print(f"command {pid}", flush=True)  # never its argv: it may hold a password
    except SystemExit:
        pass
    finally:
        listener.close()
        if _still_ours(path, mine):
            with contextlib.suppress(OSError):
                path.unlink()
        with contextlib.suppress(OSError):
            (folder / f"{key}.pid").unlink()
        lock.close()


def _stop(signum: int, frame: Any) -> NoReturn:
    raise SystemExit(0)


def _listen(folder: Path, path: Path) -> socket.socket:
    """A socket bound under a temporary name and renamed into place, listening: a client
    never meets a half-made one."""
    temporary = folder / f".{path.stem}.{os.getpid()}"
    with contextlib.suppress(OSError):
        temporary.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(str(temporary))
    finally:
        os.umask(old)
    listener.listen(64)
    os.replace(temporary, path)
    return listener


def _still_ours(path: Path, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def _peer_uid(conn: socket.socket) -> int:
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return -1
    return int(struct.unpack("3i", creds)[1])


# --- the fork: one command --------------------------------------------------------------


def _child(conn: socket.socket, listener: socket.socket, lock: io.TextIOWrapper) -> NoReturn:
    code = 1
    started = False
    interrupted = False
    try:
        listener.close()
        lock.close()  # the lock is the resident process's, not its commands'
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        conn.settimeout(10)
        _data, fds, _flags, _address = socket.recv_fds(conn, 1, 3)
        if len(fds) != 3:
            os._exit(1)
        request = json.loads(_read_line(conn))
        conn.settimeout(None)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        _take_over(request)
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        conn.settimeout(2 * READY_TIMEOUT)
        if conn.recv(1) != GO:
            os._exit(0)  # the client runs it itself: run nothing, say nothing
        conn.settimeout(None)
        started = True
        code = _run()
    except KeyboardInterrupt:
        code, interrupted = 130, True
    except BaseException:  # noqa: BLE001 - a fork never returns to the serving loop
        if started and os.environ.get("CASEDESK_DEBUG"):
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        if started:
            with contextlib.suppress(OSError):
                answer = {"code": code, "interrupted": interrupted}
                conn.sendall(json.dumps(answer).encode() + b"\n")
        os._exit(code)


def _read_line(conn: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            raise ValueError("the request was cut")
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)


def _take_over(request: dict[str, Any]) -> None:
    """Become the client's process: its directory, environment, path, umask, streams."""
    os.chdir(str(request["cwd"]))
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
    sys.path[:] = [str(p) for p in request["path"]]
    argv = [str(a) for a in request["argv"]]
    sys.argv = [str(request.get("argv0") or "casedesk"), *argv]
    main_module = sys.modules["__main__"]
    main_module.__package__ = request.get("main_package") or None
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        stream = _stream(fd, "r" if fd == 0 else "w", getattr(sys, name))
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _stream(fd: int, mode: str, like: Any) -> io.TextIOWrapper:
    """A standard stream on ``fd`` as Python makes one at start (same encoding and error
    handler as this environment gives; stdout line-buffered on a terminal, stderr always)."""
    encoding = getattr(like, "encoding", None) or "utf-8"
    errors = getattr(like, "errors", None) or "strict"
    raw = open(fd, mode + "b", closefd=False)  # noqa: SIM115 - the process's stream
    line = fd == 2 or (fd == 1 and os.isatty(fd))
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="\n",
                            line_buffering=line, write_through=fd == 2)


def _run() -> int:
    from casedesk.cli import run

    try:
        run()
    except SystemExit as done:
        return _exit_code(done.code)
    return 0


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    sys.stderr.write(f"{value}\n")
    return 1
