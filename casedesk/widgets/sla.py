"""SLA presentation: countdown text, state colours, and the case screen's SLA panel.

Everything here is computed from rows already held and the app's clock: the countdowns
tick every second without touching the database.

One clock: every countdown the workstation shows counts **business time** on the case's
SLA calendar (the SLA's own clock, which stands still outside working hours), in lists
and on the case screen alike, with the deadline's wall-clock time in the agent's time
zone beside it (:func:`business_left`, :func:`due_wall`). A list learns each row's policy
from :func:`casedesk.services.queries.clock_policies.policy_names`; until a row's calendar
is known its countdown reads ``…`` rather than a wall-clock count that would disagree.

Lists hold :class:`~casedesk.services.queries.views.CaseRow`, which carries each case's nearest
running deadline (``due_at``) but not its warning time: the list screens fetch those with
:func:`casedesk.services.queries.board.warn_times`; until they arrive a row shows ``warning`` once
80 % of the span from creation to that deadline has gone (the default threshold). The case
screen shows the exact state of every clock (:mod:`casedesk.services.sla.explanations`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import Static

from casedesk.durations import countdown
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.localformat import clock_time, short_day
from casedesk.services.queries.views import CaseDetail, CaseRow
from casedesk.services.sla.calendar import BusinessCalendar
from casedesk.services.sla.clocks import (
    FAR_FUTURE,
    LIST_WARNING_SHARE,
    NO_POLICY,
    ClockState,
    PolicyTargets,
)
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


def state_word(state: str | None) -> str:
    """``breached`` / ``incumplido``: a clock state in the reader's language ("—": none)."""
    return "—" if state is None else label("clock_state", state)


def business_left(calendar: BusinessCalendar, now: datetime, due: datetime) -> timedelta:
    """Business time from ``now`` to ``due`` on ``calendar`` (negative once overdue): the
    count the case screen shows for the same deadline."""
    return calendar.elapsed(now, due) if now < due else -calendar.elapsed(due, now)


def policy_calendar(
    policy: str | None, targets_for: Callable[[str | None], PolicyTargets | None]
) -> BusinessCalendar | None:
    """The calendar a case's deadlines count on: its policy's (None while the workstation
    has not loaded the targets), the always-open one for a case without a policy."""
    if not policy:
        return NO_POLICY.calendar
    targets = targets_for(policy)
    return targets.calendar if targets is not None else None


def left_text(calendar: BusinessCalendar | None, now: datetime, due: datetime) -> str:
    """Business time to ``due`` on ``calendar`` as every countdown says it (``…`` while the
    calendar is not known: never a wall-clock count that would disagree)."""
    if calendar is None:
        return "…"
    return countdown(business_left(calendar, now, due), days=False)


def due_wall(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    """When a deadline falls due by the wall clock, in the agent's zone: ``14:05`` today,
    else its day (``03 Dec`` / ``03/12``)."""
    at = due.astimezone(tz)
    if at.date() == now.astimezone(tz).date():
        return clock_time(at)
    return short_day(at.date())


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


def due_cell(
    row: CaseRow,
    now: datetime,
    calendar: BusinessCalendar | None = None,
    tz: ZoneInfo | None = None,
) -> Text:
    """The countdown cell of a list row, coloured by its state: business time left on
    ``calendar`` (``…`` while it is not known) and, with ``tz``, the due wall time."""
    return countdown_cell(row, now, row_state(row, now), calendar, tz)


def countdown_cell(
    row: CaseRow,
    now: datetime,
    st: ClockState | None,
    calendar: BusinessCalendar | None,
    tz: ZoneInfo | None,
) -> Text:
    """A list row's countdown in state ``st``: see :func:`due_cell`."""
    if st is None:
        return Text("—", style="dim")
    if st in (ClockState.paused, ClockState.met):
        return Text(state_word(st), style=STATE_STYLE[st])
    left = left_text(calendar, now, row.due_at)
    if tz is not None:
        left = f"{left:>8} {due_wall(row.due_at, now, tz)}"
    return Text(left, style=STATE_STYLE[st])


_NAMES = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
    "inactivity": N_("Inactivity"),
}


class SlaPanel(Static):
    """The case screen's SLA panel: one line per clock with a live countdown.

    States come from :func:`casedesk.services.sla.explanations.clock_infos` with the case's
    policy targets, so warnings are exact and "left" is business time on the policy's
    calendar (a countdown that stands still outside working hours), as in the lists.
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
        targets = self._targets(case.sla_policy)
        # without a policy the deadlines count on the always-open calendar (wall time);
        # with one, nothing is counted until its calendar is known (no second clock)
        known = targets is not None or not case.sla_policy
        out: list[tuple[str, datetime | None, ClockState | None, str]] = []
        for info in clock_infos(case, now, targets):
            if info.state == ClockState.met:
                at = local(info.stopped_at, self._tz()) if info.stopped_at else ""
                rest = _("met {at}").format(at=at).strip() if at else state_word(info.state)
            elif info.stopped_at is not None:
                rest = _("stopped {at}").format(at=local(info.stopped_at, self._tz()))
            elif info.state == ClockState.paused or (
                info.kind == "resolution" and case.status == "awaiting_customer"
            ):
                rest = self._paused(info.left)
            elif info.left is not None:
                rest = countdown(info.left, days=False)
            elif info.due is not None:  # no policy: the always-open calendar, wall time
                rest = countdown(info.due - now, days=False) if known else "…"
            else:
                rest = ""
            out.append((_(_NAMES[info.kind]) if info.kind in _NAMES else info.kind,
                        info.due, info.state, rest))
        if case.status == "resolved" and case.autoclose_due is not None:
            left = countdown(case.autoclose_due - now)
            # auto-close counts real time (the policy says so): the line says it too
            out.append((_("Auto-close (real time)"), case.autoclose_due, None, left))
        return out

    @staticmethod
    def _paused(left: timedelta | None) -> str:
        """A paused clock: how much business time is left, or how far over it already is."""
        if left is None:
            return _("paused")
        if left < timedelta(0):
            return _("paused, {time} over").format(time=countdown(-left, days=False))
        return _("paused, {time} left").format(time=countdown(left, days=False))

    def tick(self) -> None:
        """Re-render from the held case and the clock (no database access)."""
        case = self.case
        if case is None:
            self.update("")
            return
        text = Text()
        rows = self.lines()
        if not rows:
            text.append(_("no SLA clocks running"), style="dim")
        width = max([15] + [len(name) + 2 for name, *_rest in rows])
        for i, (name, due, st, rest) in enumerate(rows):
            if i:
                text.append("\n")
            style = STATE_STYLE.get(st or "", "dim")
            text.append(f"{name:<{width}}", style="bold")
            text.append(f"{local(due, self._tz()):<12}")
            text.append(f"{state_word(st):<11}", style=style)
            text.append(rest, style=style)
        # the legend: which clock the countdowns count, and the zone of the due times
        if case.sla_policy:  # from a file
            legend = _("policy {policy} · business time · {zone}").format(
                policy=one_line(case.sla_policy), zone=self._tz().key)
        else:
            legend = _("no policy · business time (always open) · {zone}").format(
                zone=self._tz().key)
        text.append("\n" + legend, style="dim")
        self.update(text)
