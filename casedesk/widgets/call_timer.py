"""The running call timer of the interaction log (driven by the app's clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from casedesk.durations import stopwatch


class CallTimer(Static):
    """Shows ``● 03:25 on the call`` while running; :meth:`elapsed` is whole seconds."""

    DEFAULT_CSS = """
    CallTimer { width: auto; height: 1; padding: 0 1; }
    """

    def __init__(self, now: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._now = now
        self.started_at: datetime | None = None
        self.stopped_after: int | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_after is None

    def start(self) -> None:
        self.started_at = self._now()
        self.stopped_after = None
        self.tick()

    def stop(self) -> int:
        """Stop and return the seconds counted."""
        if self.running:
            self.stopped_after = self.elapsed()
        self.tick()
        return self.stopped_after or 0

    def reset(self) -> None:
        self.started_at = None
        self.stopped_after = None
        self.tick()

    def elapsed(self) -> int:
        if self.started_at is None:
            return 0
        if self.stopped_after is not None:
            return self.stopped_after
        return max(0, int((self._now() - self.started_at).total_seconds()))

    def tick(self) -> None:
        if self.started_at is None:
            self.update(Text("○ timer stopped (ctrl+t starts)", style="dim"))
        elif self.running:
            self.update(Text(f"● {stopwatch(self.elapsed())} on the call", style="bold red"))
        else:
            self.update(Text(f"■ {stopwatch(self.elapsed())} call ended", style="green"))
