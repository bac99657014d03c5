"""The running call timer of the interaction log (driven by the app's clock).

It keeps the two parts of handling a call apart: **handle time**, on the line, from the
start until "end call" (ctrl+t, or saving while it runs), and **after-call work**, from
"end call" until the interaction is saved (``interaction.wrap_seconds``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from casedesk.durations import stopwatch
from casedesk.i18n import _


class CallTimer(Static):
    """Shows ``● 03:25 on the call`` while running, then ``■ 03:25 call ended · 00:40
    after the call``; :meth:`elapsed` is the whole seconds on the line, :meth:`wrap` the
    whole seconds since the call ended."""

    DEFAULT_CSS = """
    CallTimer { width: auto; height: 1; padding: 0 1; }
    """

    def __init__(self, now: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._now = now
        self.started_at: datetime | None = None
        self.stopped_after: int | None = None
        #: when "end call" was pressed (after-call work runs from here until saved)
        self.ended_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_after is None

    def start(self) -> None:
        self.started_at = self._now()
        self.stopped_after = None
        self.ended_at = None
        self.tick()

    def stop(self) -> int:
        """End the call: return the seconds on the line; after-call work starts now."""
        if self.running:
            self.stopped_after = self.elapsed()
            self.ended_at = self._now()
        self.tick()
        return self.stopped_after or 0

    def reset(self) -> None:
        self.started_at = None
        self.stopped_after = None
        self.ended_at = None
        self.tick()

    def elapsed(self) -> int:
        """Whole seconds on the line (so far, or until the call ended)."""
        if self.started_at is None:
            return 0
        if self.stopped_after is not None:
            return self.stopped_after
        return max(0, int((self._now() - self.started_at).total_seconds()))

    def wrap(self) -> int:
        """Whole seconds of after-call work: since the call ended (0 while it runs)."""
        if self.ended_at is None:
            return 0
        return max(0, int((self._now() - self.ended_at).total_seconds()))

    def tick(self) -> None:
        if self.started_at is None:
            self.update(Text("○ " + _("timer stopped (ctrl+t starts)"), style="dim"))
        elif self.running:
            self.update(Text("● " + _("{time} on the call").format(
                time=stopwatch(self.elapsed())), style="bold red"))
        else:
            self.update(Text("■ " + _("{time} call ended · {wrap} after the call").format(
                time=stopwatch(self.elapsed()), wrap=stopwatch(self.wrap())), style="green"))
