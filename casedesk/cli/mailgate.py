"""The mail gate: ``casedesk mail receive`` handed to a running ``casedesk worker``.

Starting Python with SQLAlchemy, the models and the import code costs more than half a
second before a message is even read (docs/benchmarks.md); a worker has all of it loaded.
So the worker listens on a Unix socket (``[mail] socket``, ``CASEDESK_MAIL_SOCKET``, else
``mail.sock`` in the data directory; mode 0600 — whoever may write to it may hand the desk
mail, exactly like whoever may run ``casedesk mail receive``), and ``mail receive`` first
tries it: the client here imports nothing but the standard library and the config reader.
When no worker answers — or it serves another database — the command does the work itself.

The protocol: one JSON line ``{"db", "queue", "timezone", "ack", "json", "length"}``, then
``length`` bytes of message; the answer is one JSON line ``{"code", "stdout", "stderr"}``
(``code`` null: "not mine", the client falls back). A connection lost after the message was
sent is exit 75: the MTA retries, and the same message is found, not stored twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV_SOCKET = "CASEDESK_MAIL_SOCKET"
_GLOBAL = {"--db"}
_OPTIONS = {"--queue", "--timezone"}
_FLAGS = {"--no-ack"}
#: seconds to wait for a worker to answer (the database may be slow, never forever)
ANSWER_TIMEOUT = 120.0


def socket_path(data: dict[str, object] | None = None) -> Path:
    """Where the gate listens: ``CASEDESK_MAIL_SOCKET`` > ``[mail] socket`` > data dir."""
    from casedesk.config import data_dir, read_config_file

    env = os.environ.get(ENV_SOCKET)
    if env:
        return Path(env)
    table = (read_config_file() if data is None else data).get("mail")
    if isinstance(table, dict) and isinstance(table.get("socket"), str) and table["socket"]:
        return Path(str(table["socket"]))
    return data_dir() / "mail.sock"


def parse(argv: list[str]) -> dict[str, Any] | None:
    """The request of ``[--db URL] [--json] mail receive [options]``; None for anything
    else (typer parses it)."""
    request: dict[str, Any] = {"db": None, "queue": None, "timezone": "Europe/Madrid",
                               "ack": True, "json": False}
    items = iter(argv)
    words: list[str] = []
    for item in items:
        name, eq, value = item.partition("=")
        if name in _GLOBAL | _OPTIONS:
            if not eq:
                value = next(items, "")
            if not value:
                return None
            request[name[2:] if name != "--db" else "db"] = value
        elif item in _FLAGS:
            request["ack"] = False
        elif item == "--json":
            request["json"] = True
        elif item.startswith("-"):
            return None
        else:
            words.append(item)
    return request if words == ["mail", "receive"] else None


def try_gate(argv: list[str], stdin: Any = None) -> int | None:
    """Hand the message to a worker: its exit code, or None (no worker took it: the
    caller stores it itself, from the bytes left in ``_read``)."""
    request = parse(argv)
    if request is None:
        return None
    try:
        from casedesk.config import read_config_file, resolve_database_url

        data = read_config_file()
        request["db"] = resolve_database_url(request["db"], data)
        path = socket_path(data)
    except Exception:  # noqa: BLE001 - the full command reports configuration problems
        return None
    if not path.exists():
        return None
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(1.0)
        conn.connect(str(path))
    except OSError:
        return None  # a stale socket: nobody listens
    message = (stdin or sys.stdin.buffer).read()
    _read.append(message)
    request["length"] = len(message)
    try:
        conn.settimeout(ANSWER_TIMEOUT)
        conn.sendall(json.dumps(request).encode() + b"\n" + message)
        conn.shutdown(socket.SHUT_WR)
        answer = _read_line(conn)
    except OSError:
        answer = b""
    finally:
        conn.close()
    if not answer:
        sys.stderr.write("casedesk: temporary failure, try again later: the worker's mail "
                         "gate closed the connection\n")
        return 75
    reply = json.loads(answer)
    if reply.get("code") is None:
        return None
    if reply.get("stdout"):
        sys.stdout.write(str(reply["stdout"]) + "\n")
    if reply.get("stderr"):
        sys.stderr.write(str(reply["stderr"]) + "\n")
    return int(reply["code"])


#: the message bytes a failed hand-over already read from standard input
_read: list[bytes] = []


def _read_line(conn: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if b"\n" in chunk:
            break
    return b"".join(chunks).split(b"\n", 1)[0]


# --- the worker's side ----------------------------------------------------------------

Handler = Callable[[bytes, dict[str, Any]], tuple[int, str, str]]


class MailGate:
    """The worker's listening socket: each connection is one message, on a thread."""

    def __init__(self, path: Path, database_url: str, handle: Handler) -> None:
        import socketserver  # the worker's side only: the client stays small
        import threading

        self.path = path
        self.database_url = database_url
        self.handle = handle
        gate = self

        class _Request(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                gate._serve(self.rfile, self.wfile)

        if path.exists():
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(str(path))
            except OSError:
                path.unlink()  # stale: its worker died
            else:
                probe.close()
                raise OSError(f"another worker's mail gate listens on {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o177)
        try:
            self.server = socketserver.ThreadingUnixStreamServer(str(path), _Request)
        finally:
            os.umask(old)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="casedesk-gate",
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _serve(self, rfile: Any, wfile: Any) -> None:
        try:
            request = json.loads(rfile.readline())
            length = int(request["length"])
            message = rfile.read(length)
            if request.get("db") != self.database_url:
                reply: dict[str, Any] = {"code": None}
            elif len(message) != length:
                reply = {"code": 75, "stdout": "", "stderr": "casedesk: the message was cut"}
            else:
                code, out, err = self.handle(message, request)
                reply = {"code": code, "stdout": out, "stderr": err}
        except (ValueError, KeyError, TypeError):
            reply = {"code": None}
        wfile.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with contextlib.suppress(OSError):
            self.path.unlink()
