"""A real SMTP server for tests (aiosmtpd on a free local port), with scripted misbehaviour.

``SmtpServer.behaviour`` is a list of what the next DATA commands get, one item used per
message (then every message is accepted): ``"accept"``, ``"refuse"`` (554, permanent),
``"defer"`` (451, temporary) or ``"drop"`` (the connection is closed without an answer).
Accepted messages are kept, parsed, in ``messages``.
"""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        what = self.server.behaviour.pop(0) if self.server.behaviour else "accept"
        self.server.seen.append(what)
        if what == "refuse":
            return "554 5.7.1 Message refused by policy"
        if what == "defer":
            return "451 4.3.0 Try again later"
        if what == "drop":
            smtp.transport.close()  # no answer: the client sees the connection drop
            return "421 closing"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.server.messages.append(parsed)
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    """The running server: where it listens and what it received."""

    def __init__(self, port: int) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.behaviour: list[str] = []
        self.seen: list[str] = []
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """Start a server on a free port for the duration of the block."""
    server = SmtpServer(free_port())
    controller = Controller(_Handler(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
