"""``casedesk mail …`` and the worker's mail side: exit codes an MTA reads, the sender, the
gate a running worker offers (SQLite; the services' tests run both databases)."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casedesk.cli import app, mailgate
from casedesk.cli.state import CliState
from casedesk.clock import FrozenClock
from tests.cli.test_startup import _DUMP, _env
from tests.conftest import T0
from tests.smtpserver import SmtpServer, smtp_server

runner = CliRunner()
MAIL = (b"From: Marta Gil <marta.gil@example.net>\r\nTo: soporte@desk.example\r\n"
        b"Subject: No tengo internet\r\nMessage-ID: <cli1@example.net>\r\n"
        b"Date: Mon, 02 Mar 2026 08:30:00 +0100\r\n\r\nDesde ayer.\r\n")


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'mail.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["--db", url, "demo", "--cases", "0"]).exit_code == 0
    return url


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        monkeypatch.setenv("CASEDESK_SMTP_HOST", server.host)
        monkeypatch.setenv("CASEDESK_SMTP_PORT", str(server.port))
        monkeypatch.setenv("CASEDESK_MAIL_FROM", "soporte@desk.example")
        yield server


def cli(db: str, *args: str, stdin: bytes | None = None) -> Any:
    return runner.invoke(app, ["--db", db, *args], input=stdin,
                         obj=CliState(clock=FrozenClock(T0)))


def test_receive_stores_refuses_and_says_so_by_exit_code(db: str) -> None:
    done = cli(db, "--json", "mail", "receive", stdin=MAIL)
    assert done.exit_code == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["status"] == "stored" and got["opened"] and got["acknowledged"]
    again = cli(db, "--json", "mail", "receive", stdin=MAIL)
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "duplicate"
    refused = cli(db, "mail", "receive", stdin=b"To: x@example.net\r\nSubject: ?\r\n\r\nhola")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("casedesk: refused: From: no sender address")
    empty = cli(db, "mail", "receive", stdin=b"")
    assert empty.exit_code == 1 and "empty message" in empty.stderr
    loop = cli(db, "mail", "receive", stdin=MAIL.replace(b"marta.gil@example.net",
                                                         b"soporte@desk.example")
               .replace(b"cli1", b"cli2"),
               )
    assert loop.exit_code == 0  # no From address configured: not known as the desk's own


def test_receive_says_try_again_when_the_database_cannot_take_it(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = cli(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}", "mail", "receive", stdin=MAIL)
    assert missing.exit_code == 75 and "try again later" in missing.stderr
    monkeypatch.setattr("casedesk.db.SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = cli(db, "mail", "receive", stdin=MAIL)
    finally:
        holder.rollback()
        holder.close()
    assert locked.exit_code == 75, locked.stderr
    assert "locked" in locked.stderr
    assert cli(db, "mail", "receive", stdin=MAIL).exit_code == 0  # the MTA's retry


def test_send_pending_delivers_and_status_counts(db: str, smtp: SmtpServer) -> None:
    assert cli(db, "mail", "receive", stdin=MAIL).exit_code == 0
    status = cli(db, "--json", "mail", "status")
    # the demo's resolved case told its customer too
    assert json.loads(status.stdout) == {"pending": 2, "sending": 0, "delivered": 0,
                                         "failed": 0}
    sent = cli(db, "mail", "send-pending")
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout.startswith("mail: 2 delivered, 0 to retry, 0 failed")
    (ack,) = [m for m in smtp.messages if m["To"] == "marta.gil@example.net"]
    assert ack["To"] == "marta.gil@example.net" and ack["From"] == "soporte@desk.example"
    assert ack["X-Casedesk-Loop"] == "soporte@desk.example"
    # now the desk's From is known: the acknowledgement coming back is a loop, refused
    back = ack.as_bytes().replace(b"Message-ID: <", b"Message-ID: <x")
    bounced = cli(db, "mail", "receive", stdin=back)
    assert bounced.exit_code == 1 and "mail loop" in bounced.stderr


def test_send_pending_without_a_server_is_a_configuration_error(db: str) -> None:
    done = cli(db, "mail", "send-pending")
    assert done.exit_code == 2 and "no SMTP server configured" in done.stderr


@pytest.mark.parametrize("key,value", [("CASEDESK_SMTP_PORT", "smtp"),
                                       ("CASEDESK_SMTP_STARTTLS", "perhaps"),
                                       ("CASEDESK_MAIL_FROM", "desk")])
def test_bad_mail_settings_are_one_line(db: str, monkeypatch: pytest.MonkeyPatch, key: str,
                                        value: str) -> None:
    monkeypatch.setenv("CASEDESK_SMTP_HOST", "localhost")
    monkeypatch.setenv(key, value)
    done = cli(db, "mail", "send-pending")
    assert done.exit_code == 2 and key in done.stderr and done.stderr.count("\n") == 1


def test_worker_once_sends_the_outbox(db: str, smtp: SmtpServer, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(db, "mail", "receive", stdin=MAIL).exit_code == 0
    done = cli(db, "worker", "--once")
    assert done.exit_code == 0, done.stderr
    assert "mail: 2 delivered" in done.stdout and len(smtp.messages) == 2
    assert cli(db, "mail", "receive",
               stdin=MAIL.replace(b"cli1", b"cli3")).exit_code == 0
    assert cli(db, "worker", "--once", "--no-mail").exit_code == 0
    assert len(smtp.messages) == 2


def test_the_gate_request_is_parsed_only_for_mail_receive() -> None:
    assert mailgate.parse(["--db", "sqlite:///x.db", "mail", "receive", "--no-ack"]) == {
        "db": "sqlite:///x.db", "queue": None, "timezone": "Europe/Madrid", "ack": False,
        "json": False}
    assert mailgate.parse(["mail", "receive", "--queue=billing", "--json"])["queue"] == "billing"
    for argv in (["mail", "status"], ["mail", "receive", "--help"], ["case", "receive"],
                 ["mail", "receive", "--queue"], ["mail", "receive", "extra"]):
        assert mailgate.parse(argv) is None


def test_a_running_workers_gate_stores_piped_mail_without_loading_the_orm(
    db: str, tmp_path: Path
) -> None:
    seen: list[tuple[bytes, dict[str, Any]]] = []

    def handle(message: bytes, request: dict[str, Any]) -> tuple[int, str, str]:
        seen.append((message, request))
        return 0, '{"status": "stored"}', ""

    path = tmp_path / "gate" / "mail.sock"
    gate = mailgate.MailGate(path, db, handle)
    gate.start()
    try:
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        out = tmp_path / "modules.txt"
        env = {**_env(tmp_path), "MODULES_OUT": str(out), "CASEDESK_MAIL_SOCKET": str(path)}
        done = subprocess.run([sys.executable, "-c", _DUMP, "--db", db, "--json", "mail",
                               "receive"], input=MAIL, capture_output=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().strip() == '{"status": "stored"}'
        assert seen and seen[0][0] == MAIL and seen[0][1]["json"] is True
        loaded = set(out.read_text().split())
        for heavy in ("sqlalchemy", "sqlmodel", "typer", "rich", "casedesk.models",
                      "casedesk.services", "psycopg", "textual"):
            assert not any(m == heavy or m.startswith(heavy + ".") for m in loaded), heavy
        # another database: the gate says "not mine" and the command stores it itself
        other = f"sqlite:///{tmp_path / 'other.db'}"
        assert runner.invoke(app, ["--db", other, "db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["--db", other, "demo", "--cases", "0"]).exit_code == 0
        env.pop("MODULES_OUT")
        done = subprocess.run([sys.executable, "-m", "casedesk", "--db", other, "--json",
                               "mail", "receive"], input=MAIL, capture_output=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["status"] == "stored" and len(seen) == 1
    finally:
        gate.close()
    assert not path.exists()


def test_a_gate_that_dies_mid_message_means_try_again(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading

    path = tmp_path / "dying.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def die() -> None:
        conn, _ = server.accept()
        conn.recv(10)
        conn.close()

    thread = threading.Thread(target=die)
    thread.start()
    monkeypatch.setenv("CASEDESK_MAIL_SOCKET", str(path))
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    code = mailgate.try_gate(["--db", "sqlite:///x.db", "mail", "receive"],
                             stdin=io.BytesIO(MAIL))
    thread.join()
    server.close()
    assert code == 75
    os.unlink(path)


def test_list_shows_the_outbox_without_bodies(db: str) -> None:
    assert cli(db, "mail", "receive", stdin=MAIL).exit_code == 0
    done = cli(db, "--json", "mail", "list", "--status", "pending")
    assert done.exit_code == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["kind"] for r in rows] == ["ack", "resolution"]
    assert all("body" not in r for r in rows) and rows[0]["to"] == "marta.gil@example.net"
    plain = cli(db, "mail", "list")
    assert plain.exit_code == 0 and plain.stdout.startswith("#2 pending ×0 ack marta.gil@")
    assert cli(db, "mail", "list", "--status", "lost").exit_code == 2
