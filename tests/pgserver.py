"""Throw-away PostgreSQL servers for the test suite.

``start_postgres()`` runs ``initdb`` + ``pg_ctl start`` in a private temporary directory on a
free loopback port and returns a :class:`PgServer`.  Nothing here imports pytest; the caller
(conftest) decides whether a :class:`PgServerError` skips or fails the run (see
:func:`pg_required`).

Set ``CASEDESK_TEST_PG_URL`` to use an existing server instead; then nothing is started and
``stop()`` only drops the databases created through :meth:`PgServer.create_database`.

Restarts (issue 17 point 4): :meth:`PgServer.halt` stops a started server (``pg_ctl stop -m
fast``: sessions are cut, in-flight transactions roll back) and :meth:`PgServer.resume`
starts it again on the SAME port and data directory, waiting until it accepts
connections; :meth:`PgServer.restart` does both. The port is chosen BELOW the kernel's
ephemeral range (``ip_local_port_range``): a port from that range — what binding port 0
gives — is, while the server is down, free for the next ``bind(("…", 0))`` of any process
on the machine (every test server of every suite running here is started that way) and,
when the even ports run short, for an outgoing connection's local end; then the postmaster
cannot bind it again. Nothing hands out ports below that range. Tests that restart use a
server of their own (``start_postgres()`` per module), never the suite's shared one.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import pwd
import random
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

__all__ = ["TEST_DB", "PgServer", "PgServerError", "pg_required", "start_postgres"]

TEST_DB = "casedesk_test"
ENV_URL = "CASEDESK_TEST_PG_URL"
SUPERUSER = "postgres"
OS_USER = "postgres"  # OS account used for initdb/pg_ctl when we run as root
HOST = "127.0.0.1"

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_BIND_ERRORS = ("address already in use",)
_START_ATTEMPTS = 5
_SOCKET_PATH_MAX = 107  # sizeof(sun_path) - 1 on Linux


class PgServerError(RuntimeError):
    """The throw-away server could not be found, initialised or started."""


def pg_required() -> bool:
    """True when a missing/broken PostgreSQL must fail the run (CI, or CASEDESK_REQUIRE_PG=1)."""
    ci = os.environ.get("CI", "").strip().lower() in ("true", "1")
    return ci or os.environ.get("CASEDESK_REQUIRE_PG", "").strip() == "1"


def start_or_skip(**options: Any) -> PgServer:
    """:func:`start_postgres`, or the test is skipped — and fails instead where a
    PostgreSQL is required (CI): never silently skipped there."""
    import pytest

    try:
        return start_postgres(**options)
    except PgServerError as exc:
        if pg_required():
            pytest.fail(f"PostgreSQL is required here (CI) but did not start: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")


# --------------------------------------------------------------------------- helpers


def _log_tail(*paths: Path, lines: int = 6, limit: int = 600) -> str:
    """Last non-empty lines of the given log files, joined onto one line."""
    collected: list[str] = []
    for path in paths:
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace")
            collected += [ln.strip() for ln in text.splitlines() if ln.strip()]
    tail = " | ".join(collected[-lines:]) or "<empty log>"
    return tail if len(tail) <= limit else "..." + tail[-limit:]


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path:
    """Directory holding ``initdb`` and ``pg_ctl`` (pg_config, then /usr/lib/postgresql, PATH)."""

    def ok(d: Path) -> bool:
        return all(os.access(d / exe, os.X_OK) for exe in ("initdb", "pg_ctl"))

    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out and ok(Path(out)):
                return Path(out)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for d in candidates:
        if ok(d):
            return d
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).parent
    raise PgServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql "
        f"or set {ENV_URL}"
    )


#: where stable ports are drawn from when the ephemeral range cannot be read
_STABLE_PORTS = (20000, 32767)


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux; else a default)."""
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[:2]
        return int(low), int(high)
    return 32768, 60999


def _stable_range() -> tuple[int, int]:
    """Ports no outgoing connection is given: below the ephemeral range (or above it)."""
    low, high = _ephemeral_range()
    if low - 1 >= 11000:
        return max(10000, low - 12768), low - 1
    if high + 1 <= 64000:
        return high + 1, 65535
    return _STABLE_PORTS


def _free_port() -> int:
    """A free loopback port outside the ephemeral range, so that it stays ours across a
    restart (see the module's docstring); the OS's choice when none is found."""
    low, high = _stable_range()
    rng = random.Random()
    for _ in range(50):
        port = rng.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            return s.getsockname()[1]
    except OSError as exc:
        raise PgServerError(f"cannot bind a TCP port on {HOST}: {exc}") from exc


class _Runner:
    """Runs server binaries, as the ``postgres`` OS user when we are root."""

    def __init__(self) -> None:
        self.uid = os.geteuid()
        self.gid = os.getegid()
        self.prefix: list[str] = []
        self.popen_kwargs: dict[str, Any] = {}
        if self.uid != 0:
            return
        try:
            pw = pwd.getpwnam(OS_USER)
        except KeyError:
            raise PgServerError(
                f"running as root and there is no {OS_USER!r} OS user to run initdb/pg_ctl as"
            ) from None
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.prefix, self.popen_kwargs = _root_switch(pw.pw_uid, pw.pw_gid)

    def run(self, argv: Sequence[str], *, cwd: Path, log: Path, timeout: float) -> int:
        """Run ``argv`` with stdout/stderr appended to ``log``; return the exit code."""
        if self.prefix[:1] == ["su"]:
            cmd = [*self.prefix, shlex.join(argv)]
        else:
            cmd = [*self.prefix, *argv]
        with open(log, "ab") as out:
            try:
                return subprocess.run(
                    cmd,
                    cwd=cwd,
                    env=_clean_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                    **self.popen_kwargs,
                ).returncode
            except subprocess.TimeoutExpired:
                out.write(f"\n{argv[0]} timed out after {timeout}s\n".encode())
                return -1
            except OSError as exc:
                out.write(f"\ncould not run {argv[0]}: {exc}\n".encode())
                return -1


@functools.cache
def _root_switch(uid: int, gid: int) -> tuple[list[str], dict[str, Any]]:
    """First working way to drop from root to OS_USER: runuser, su, setpriv, else setuid."""
    options: list[list[str]] = []
    if shutil.which("runuser"):
        options.append(["runuser", "-u", OS_USER, "--"])
    if shutil.which("su"):
        options.append(["su", "-s", "/bin/sh", OS_USER, "-c"])
    if shutil.which("setpriv"):
        options.append(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups", "--"])
    for prefix in options:
        probe = [*prefix, "id -u"] if prefix[0] == "su" else [*prefix, "id", "-u"]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            res = subprocess.run(
                probe, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
            )
            if res.returncode == 0 and res.stdout.strip() == str(uid):
                return prefix, {}
    # Same effect as os.setgid/os.setuid in a preexec_fn, but thread-safe.
    return [], {"user": uid, "group": gid, "extra_groups": []}


def _clean_env() -> dict[str, str]:
    """Environment without PG* variables that could redirect initdb/pg_ctl; English messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _traversable(path: Path, uid: int) -> bool:
    """Whether every directory from / down to ``path`` can be entered by ``uid``."""
    for d in [path, *path.parents]:
        st = d.stat()
        if not (st.st_mode & stat.S_IXOTH or (st.st_uid == uid and st.st_mode & stat.S_IXUSR)):
            return False
    return True


def _make_workdir(base_dir: Path | None, runner: _Runner) -> Path:
    """Fresh private directory usable by the server user; falls back to /tmp when needed."""
    parent = Path(tempfile.gettempdir()) if base_dir is None else Path(base_dir).resolve()
    parent.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.gettempdir()).resolve()
    if runner.uid != os.geteuid() and not _traversable(parent, runner.uid):
        # Give the server user search (x) permission on our own dirs under the temp root,
        # e.g. pytest's 0700 /tmp/pytest-of-root/...; never touch anything else.
        for d in [parent, *parent.parents]:
            if d.is_relative_to(tmp_root) and d != tmp_root and d.stat().st_uid == os.geteuid():
                with contextlib.suppress(OSError):
                    d.chmod(d.stat().st_mode | stat.S_IXOTH)
        if not _traversable(parent, runner.uid):
            parent = Path("/tmp")
    # mkdtemp adds "casedesk-pg-" + 8 chars; the socket file adds "/.s.PGSQL.NNNNN".
    if len(str(parent)) + 21 + 16 > _SOCKET_PATH_MAX:
        parent = Path("/tmp")
    workdir = Path(tempfile.mkdtemp(prefix="casedesk-pg-", dir=parent))
    if runner.uid != os.geteuid():
        os.chown(workdir, runner.uid, runner.gid)
    return workdir


def _admin_connect(url: str) -> psycopg.Connection[Any]:
    """Autocommit psycopg connection for a SQLAlchemy ``postgresql+psycopg://`` URL."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid database name {name!r} (use [A-Za-z_][A-Za-z0-9_]*, <=63)")
    return name


# --------------------------------------------------------------------------- server


class PgServer:
    """A running (or borrowed, via CASEDESK_TEST_PG_URL) PostgreSQL server.

    ``url`` points at the ``casedesk_test`` database, ``admin_url`` at ``postgres``.
    """

    def __init__(
        self,
        url: str,
        *,
        workdir: Path | None = None,
        runner: _Runner | None = None,
        bindir: Path | None = None,
    ) -> None:
        parsed = make_url(url).set(drivername="postgresql+psycopg")
        self.url: str = parsed.render_as_string(hide_password=False)
        self.admin_url: str = parsed.set(database="postgres").render_as_string(hide_password=False)
        self.host: str = parsed.host or HOST
        self.port: int = parsed.port or 5432
        self.workdir = workdir
        self.external = workdir is None
        self._runner = runner
        self._bindir = bindir
        self._created: list[str] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._owner_pid = os.getpid()
        atexit.register(self._atexit_stop)

    @property
    def data_dir(self) -> Path | None:
        return None if self.workdir is None else self.workdir / "data"

    @property
    def log_file(self) -> Path | None:
        return None if self.workdir is None else self.workdir / "postgres.log"

    def url_for(self, name: str) -> str:
        """SQLAlchemy URL for database ``name`` on this server."""
        parsed = make_url(self.admin_url).set(database=_check_name(name))
        return parsed.render_as_string(hide_password=False)

    def url_as(self, name: str, user: str, password: str | None = None) -> str:
        """SQLAlchemy URL for database ``name`` connecting as ``user`` (a test's agent)."""
        parsed = make_url(self.url_for(name)).set(username=user, password=password)
        return parsed.render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create an empty database (from template0) and return its SQLAlchemy URL."""
        with _admin_connect(self.admin_url) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                    sql.Identifier(_check_name(name))
                )
            )
        with self._lock:
            self._created.append(name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, terminating any sessions still connected to it."""
        ident = sql.Identifier(_check_name(name))
        with _admin_connect(self.admin_url) as conn:
            try:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            except psycopg.errors.SyntaxError:  # server older than PostgreSQL 13
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))
        with self._lock:
            if name in self._created:
                self._created.remove(name)

    def stop(self) -> None:
        """Stop the server and delete its directory (external: drop created DBs). Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            created = list(self._created)
        atexit.unregister(self._atexit_stop)
        if self.external:
            for name in reversed(created):
                with contextlib.suppress(psycopg.Error):
                    self.drop_database(name)
            return
        assert self.workdir is not None and self._runner is not None and self._bindir
        data = self.workdir / "data"
        if (data / "postmaster.pid").exists():
            rc = self._runner.run(
                [str(self._bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                cwd=self.workdir,
                log=self.workdir / "pg_ctl.log",
                timeout=60,
            )
            if rc != 0:
                _kill_postmaster(data)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ----------------------------------------------------------------------- restarts

    def _own(self) -> tuple[_Runner, Path, Path]:
        if self.external or self.workdir is None or self._runner is None or not self._bindir:
            raise PgServerError(f"{ENV_URL} names a server this suite did not start: "
                                "it cannot stop or restart it")
        if self._stopped:
            raise PgServerError("the server was stopped for good")
        return self._runner, self._bindir, self.workdir

    @property
    def running(self) -> bool:
        """Whether the postmaster of a started server is up (its pid file is there)."""
        return self.data_dir is not None and (self.data_dir / "postmaster.pid").exists()

    def halt(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data directory and port (``pg_ctl stop -m fast``:
        every session is cut and its open transaction rolled back, as a restart does)."""
        runner, bindir, workdir = self._own()
        if not self.running:
            return
        argv = [str(bindir / "pg_ctl"), "-D", str(workdir / "data"), "-m", mode, "-w",
                "-t", "60", "stop"]
        if runner.run(argv, cwd=workdir, log=workdir / "pg_ctl.log", timeout=90) != 0:
            _kill_postmaster(workdir / "data")
            (workdir / "data" / "postmaster.pid").unlink(missing_ok=True)

    def resume(self, timeout: float = 60.0) -> float:
        """Start a halted server again on the same port and data directory; return once it
        accepts connections (seconds taken). A port still held (another process bound it
        meanwhile) is retried until ``timeout``; then :class:`PgServerError`."""
        runner, bindir, workdir = self._own()
        started = time.monotonic()
        if not self.running:
            while True:
                outcome = _try_start(bindir, runner, workdir, self.port)
                if outcome is None:
                    break
                if outcome != "bind" or time.monotonic() - started > timeout:
                    tail = _log_tail(workdir / "pg_ctl.log", workdir / "postgres.log")
                    raise PgServerError(_oneline(
                        f"PostgreSQL did not start again on port {self.port}: {tail}"))
                time.sleep(0.2)
        while True:  # pg_ctl -w waited for "ready"; make sure a login works too
            try:
                with _admin_connect(self.admin_url) as conn:
                    conn.execute("SELECT 1")
                break
            except psycopg.Error as exc:
                if time.monotonic() - started > timeout:
                    raise PgServerError(f"PostgreSQL does not accept connections: {exc}") from exc
                time.sleep(0.1)
        return time.monotonic() - started

    def restart(self, down_for: float = 0.0, mode: str = "fast") -> float:
        """:meth:`halt`, stay down ``down_for`` seconds, :meth:`resume`; return the seconds
        without service (from the stop's start until a login works)."""
        started = time.monotonic()
        self.halt(mode)
        if down_for > 0:
            time.sleep(down_for)
        self.resume()
        return time.monotonic() - started

    def _atexit_stop(self) -> None:
        if os.getpid() == self._owner_pid:  # never from a forked child
            self.stop()

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        kind = "external" if self.external else f"workdir={self.workdir}"
        return f"PgServer({self.host}:{self.port}, {kind}, stopped={self._stopped})"


def _kill_postmaster(data: Path) -> None:
    """Last resort when ``pg_ctl stop`` failed: SIGKILL the pid in postmaster.pid."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            os.kill(pid, 0)  # raises once the process is gone
            time.sleep(0.05)


def _initdb(bindir: Path, runner: _Runner, workdir: Path, auth: str = "trust",
            password: str | None = None) -> None:
    log = workdir / "initdb.log"
    data = workdir / "data"
    base = [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--auth={auth}"]
    if password is not None:
        pwfile = workdir / "pwfile"
        pwfile.write_text(password + "\n")
        if runner.uid != os.geteuid():
            os.chown(pwfile, runner.uid, runner.gid)
        base.append(f"--pwfile={pwfile}")
    base += ["-E", "UTF8", "--no-sync"]
    for locale in ("C.UTF-8", "C"):
        if runner.run([*base, f"--locale={locale}"], cwd=workdir, log=log, timeout=120) == 0:
            return
        shutil.rmtree(data, ignore_errors=True)
    raise PgServerError(_oneline(f"initdb failed in {workdir}: {_log_tail(log)}"))


#: the environment variable that raises the server's ``max_connections`` (default 200):
#: ``bench/floor.py --max-connections`` for a floor of 200 agents and their pools
MAX_CONNECTIONS_ENV = "CASEDESK_TEST_PG_MAX_CONNECTIONS"


def _max_connections() -> int:
    raw = os.environ.get(MAX_CONNECTIONS_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 200


#: extra server options for a diagnosis (``bench/floor.py --statements`` loads
#: pg_stat_statements with it), appended to the test server's own
OPTIONS_ENV = "CASEDESK_TEST_PG_OPTIONS"


def _start_argv(bindir: Path, workdir: Path, port: int) -> list[str]:
    opts = [
        f"-c listen_addresses={shlex.quote(HOST)}",
        f"-c port={port}",
        f"-c unix_socket_directories={shlex.quote(str(workdir))}",
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        f"-c max_connections={_max_connections()}",
        os.environ.get(OPTIONS_ENV, "").strip(),
    ]
    data, log = str(workdir / "data"), str(workdir / "postgres.log")
    argv = [str(bindir / "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60"]
    return [*argv, "-o", " ".join(opts), "start"]


def _try_start(bindir: Path, runner: _Runner, workdir: Path, port: int) -> str | None:
    """Start on ``port``: None when it runs, "bind" when the port was taken, else "failed"."""
    data, log, ctl_log = workdir / "data", workdir / "postgres.log", workdir / "pg_ctl.log"
    log_size = log.stat().st_size if log.exists() else 0
    if runner.run(_start_argv(bindir, workdir, port), cwd=workdir, log=ctl_log, timeout=90) == 0:
        return None
    # Make sure a half-started postmaster does not linger before retrying/raising.
    if (data / "postmaster.pid").exists():
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        if runner.run(stop, cwd=workdir, log=ctl_log, timeout=30) != 0:
            _kill_postmaster(data)
    with contextlib.suppress(OSError), open(log, "rb") as fh:
        fh.seek(log_size)
        if any(e in fh.read().decode(errors="replace").lower() for e in _BIND_ERRORS):
            return "bind"
    return "failed"


def _pg_ctl_start(bindir: Path, runner: _Runner, workdir: Path) -> int:
    """Start on a free port (retrying on bind collisions); return the port."""
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        outcome = _try_start(bindir, runner, workdir, port)
        if outcome is None:
            return port
        if outcome != "bind":
            break  # port taken between probe and bind: try another one; else give up
    tail = _log_tail(workdir / "pg_ctl.log", workdir / "postgres.log")
    raise PgServerError(_oneline(f"PostgreSQL did not start in {workdir}: {tail}"))


def start_postgres(base_dir: Path | None = None, *, auth: str = "trust") -> PgServer:
    """Start a throw-away server (in a new dir under ``base_dir`` or /tmp) with ``casedesk_test``.

    ``auth``: initdb's ``--auth`` for every connection; anything but ``trust`` (e.g.
    ``scram-sha-256``, for password tests) gives the superuser a random password, held in
    the server's URLs. Honours ``CASEDESK_TEST_PG_URL`` (trust only).  Raises
    :class:`PgServerError` on failure.  The server is stopped by :meth:`PgServer.stop` or,
    failing that, at interpreter exit.
    """
    env_url = os.environ.get(ENV_URL, "").strip()
    if env_url and auth == "trust":
        return PgServer(env_url)
    password = None if auth == "trust" else os.urandom(12).hex()

    bindir = find_bindir()
    runner = _Runner()
    workdir = _make_workdir(base_dir, runner)
    try:
        _initdb(bindir, runner, workdir, auth, password)
        port = _pg_ctl_start(bindir, runner, workdir)
    except BaseException:
        _kill_postmaster(workdir / "data")
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    login = SUPERUSER if password is None else f"{SUPERUSER}:{password}"
    server = PgServer(
        f"postgresql+psycopg://{login}@{HOST}:{port}/{TEST_DB}",
        workdir=workdir,
        runner=runner,
        bindir=bindir,
    )
    try:
        server.create_database(TEST_DB)
        server._created.clear()  # part of the server, not a per-test database
    except psycopg.Error as exc:
        tail = _log_tail(workdir / "postgres.log")
        server.stop()
        msg = f"could not create {TEST_DB} on port {port}: {exc}; log: {tail}"
        raise PgServerError(_oneline(msg)) from exc
    return server
