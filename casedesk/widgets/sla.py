"""SLA presentation: countdown text, state colours, and the case screen's SLA panel.

Everything here is computed from rows already held and the app's clock: the countdowns
tick every second without touching the database.

Lists hold :class:`~casedesk.services.queries.views.CaseRow`, which carries each case's nearest
running deadline (``due_at``) but not its warning time: the list screens fetch those with
:func:`casedesk.services.queries.board.warn_times`; until they arrive a row shows ``warning`` once
80 % of the span from creation to that deadline has gone (the default threshold). The case
screen shows the exact state of every clock (:mod:`casedesk.services.sla.explanations`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import Static

from casedesk.durations import countdown
from casedesk.services.queries.views import CaseDetail, CaseRow
from casedesk.services.sla.clocks import FAR_FUTURE, LIST_WARNING_SHARE, ClockState, PolicyTargets
from casedesk.services.sla.explanations import clock_infos
from casedesk.textsafe import one_line

#: Rich styles of the five states agents see.
STATE_STYLE: dict[str, str] = {
    ClockState.ok: "green",
    ClockState.warning: "bold yellow",
    ClockState.breached: "bold red",
    ClockState.paused: "cyan",
    ClockState.met: "dim green",
}


def local(at: datetime | None, tz: ZoneInfo, fmt: str = "%d/%m %H:%M") -> str:
    """A stored UTC time in the agent's time zone."""
    return at.astimezone(tz).strftime(fmt) if at is not None else "—"


def row_state(row: CaseRow, now: datetime) -> ClockState | None:
    """The state of a list row's nearest deadline (see the module docstring)."""
    if row.status == "awaiting_customer" and (row.due_at is None or row.due_at >= FAR_FUTURE):
        return ClockState.paused
    if row.due_at is None or row.due_at >= FAR_FUTURE:
        return ClockState.met if row.status in ("resolved", "closed") else None
    if now >= row.due_at:
        return ClockState.breached
    warn_at = row.created_at + (row.due_at - row.created_at) * LIST_WARNING_SHARE
    return ClockState.warning if now >= warn_at else ClockState.ok


def due_cell(row: CaseRow, now: datetime) -> Text:
    """The countdown cell of a list row, coloured by its state."""
    st = row_state(row, now)
    if st is None:
        return Text("—", style="dim")
    if st in (ClockState.paused, ClockState.met):
        return Text(str(st), style=STATE_STYLE[st])
    return Text(countdown(row.due_at - now), style=STATE_STYLE[st])


_NAMES = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
    "inactivity": "Inactivity",
}


class SlaPanel(Static):
    """The case screen's SLA panel: one line per clock with a live countdown.

    States come from :func:`casedesk.services.sla.explanations.clock_infos` with the case's
    policy targets, so warnings are exact and "left" is business time on the policy's
    calendar (a countdown that stands still outside working hours).
    """

    DEFAULT_CSS = """
    SlaPanel { height: auto; padding: 0 1; }
    """

    def __init__(
        self,
        now: Callable[[], datetime],
        tz: Callable[[], ZoneInfo],
        targets: Callable[[str | None], PolicyTargets | None],
        **kwargs: Any,
    ) -> None:
        super().__init__("", **kwargs)
        self._now = now
        self._tz = tz
        self._targets = targets
        self.case: CaseDetail | None = None

    def show(self, case: CaseDetail | None) -> None:
        self.case = case
        self.tick()

    def lines(self) -> list[tuple[str, datetime | None, ClockState | None, str]]:
        """(clock, due, state, remaining text) for each clock at the clock's now."""
        case = self.case
        if case is None:
            return []
        now = self._now()
        out: list[tuple[str, datetime | None, ClockState | None, str]] = []
        for info in clock_infos(case, now, self._targets(case.sla_policy)):
            if info.state == ClockState.met:
                at = local(info.stopped_at, self._tz()) if info.stopped_at else ""
                rest = f"met {at}".strip()
            elif info.stopped_at is not None:
                rest = f"stopped {local(info.stopped_at, self._tz())}"
            elif info.left is not None:
                rest = countdown(info.left) + (" left" if info.state == ClockState.paused else "")
            elif info.due is not None:
                rest = countdown(info.due - now)
            else:
                rest = ""
            out.append((_NAMES.get(info.kind, info.kind), info.due, info.state, rest))
        if case.status == "resolved" and case.autoclose_due is not None:
            left = countdown(case.autoclose_due - now)
            out.append(("Auto-close", case.autoclose_due, None, left))
        return out

    def tick(self) -> None:
        """Re-render from the held case and the clock (no database access)."""
        case = self.case
        if case is None:
            self.update("")
            return
        text = Text()
        rows = self.lines()
        if not rows:
            text.append("no SLA clocks running", style="dim")
        for i, (name, due, st, rest) in enumerate(rows):
            if i:
                text.append("\n")
            style = STATE_STYLE.get(st or "", "dim")
            text.append(f"{name:<15}", style="bold")
            text.append(f"{local(due, self._tz()):<12}")
            text.append(f"{str(st or '—'):<9}", style=style)
            text.append(rest, style=style)
        policy = one_line(case.sla_policy) if case.sla_policy else "no policy"  # from a file
        text.append(f"\npolicy {policy} · countdowns in business time", style="dim")
        self.update(text)
