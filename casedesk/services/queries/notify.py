"""Pushed updates on PostgreSQL: ``LISTEN`` on the channels of migration 0015's trigger.

Every case event announces itself at commit (``pg_notify`` in the event's transaction) on
``casedesk_case_<id>``, ``casedesk_queue_<id>`` (an inbox changed), ``casedesk_bin_<agent
id>`` (a bin changed) and ``casedesk_floor`` (anything). A :class:`Listener` holds one
connection in a thread, listens on the channels it is given and calls ``on_change`` with
each :class:`Change`; when the connection drops it says so (``on_state(False)``), retries
with a growing pause (0.5 s doubling to 5 s), listens again and says ``on_state(True)`` —
a caller then reloads once, since changes made meanwhile were not heard.

SQLite has no NOTIFY: :func:`supported` is False and the workstation keeps polling the
change token (:mod:`casedesk.services.queries.live`), which also stays the fallback while
a listener is down.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from casedesk.db import is_sqlite

FLOOR = "casedesk_floor"


def case_channel(case_id: int) -> str:
    return f"casedesk_case_{int(case_id)}"


def queue_channel(queue_id: int) -> str:
    return f"casedesk_queue_{int(queue_id)}"


def bin_channel(agent_id: int) -> str:
    return f"casedesk_bin_{int(agent_id)}"


@dataclass(frozen=True)
class Change:
    """One notification: the channel it came on, the event's kind and its case's id."""

    channel: str
    kind: str
    case_id: int | None

    @classmethod
    def parse(cls, channel: str, payload: str) -> Change:
        kind, _, rest = payload.partition(" ")
        return cls(channel, kind, int(rest) if rest.isdigit() else None)


def supported(engine: Engine) -> bool:
    """Whether the database pushes changes (PostgreSQL)."""
    return not is_sqlite(engine)


class Listener:
    """One connection in a daemon thread, listening on ``channels``."""

    #: the first pause after a failure and the longest (seconds)
    BACKOFF = (0.5, 5.0)

    def __init__(
        self,
        engine: Engine,
        channels: Iterable[str],
        on_change: Callable[[Change], None],
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self.engine = engine
        self.channels = sorted(set(channels))
        self.on_change = on_change
        self.on_state = on_state
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name="casedesk-listen", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _connect(self) -> Any:
        from psycopg import sql

        raw = self.engine.raw_connection()  # the engine's connect hooks (acting as …) apply
        conn = raw.dbapi_connection
        raw.detach()  # ours for as long as we listen; the pool opens another in its place
        assert conn is not None
        conn.autocommit = True
        for channel in self.channels:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        return conn

    def _run(self) -> None:
        pause = self.BACKOFF[0]
        was_up: bool | None = None
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
            except Exception:  # noqa: BLE001 - the server is away: say so, wait, retry
                if was_up is not False:
                    was_up = False
                    self._say(False)
                self._stop.wait(pause)
                pause = min(pause * 2, self.BACKOFF[1])
                continue
            pause = self.BACKOFF[0]
            self.listening.set()
            if was_up is not True:
                was_up = True
                self._say(True)
            try:
                while not self._stop.is_set():
                    for note in self._conn.notifies(timeout=0.5):
                        with contextlib.suppress(Exception):  # a listener's bug is not ours
                            self.on_change(Change.parse(note.channel, note.payload))
            except Exception:  # noqa: BLE001 - the connection dropped: reconnect
                self.listening.clear()
                was_up = False
                self._say(False)
            finally:
                with contextlib.suppress(Exception):
                    self._conn.close()
        self.listening.clear()

    def _say(self, up: bool) -> None:
        if self.on_state is not None:
            with contextlib.suppress(Exception):
                self.on_state(up)
