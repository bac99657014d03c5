"""SLA clocks in words, and their states for a live countdown.

:func:`clock_states` is pure: the workstation calls it every second with a
:class:`~casedesk.services.queries.views.CaseDetail`, a ``CaseRow``, a ``Case`` row or
:class:`~casedesk.services.sla.clocks.ClockFacts` (it reads attributes by name and treats the
missing ones as unknown). Without policy targets, "warning" comes from the recorded
warning bit or a ``*_warn`` column when the object has one; with targets (see
:func:`targets_by_name`, load once and keep) it is exact: less than ``100 − warning %``
of the target left in business time.

:func:`explain` reads the case and its policy and says where every clock stands, in
the vocabulary ok / warning / breached / paused / met, with business time left on the
policy's calendar and times in that calendar's time zone::

    resolution due Tue 10:30, 2 h 10 m business time left; paused 1 h 05 m awaiting customer
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from casedesk import localformat
from casedesk.db import read_session
from casedesk.durations import hours_minutes
from casedesk.i18n import N_, _, pgettext
from casedesk.labels import NP_, label
from casedesk.models import BusinessCalendarRow, SlaPolicy
from casedesk.services.context import Desk, load_case
from casedesk.services.numbers import case_label
from casedesk.services.queries.views import ClockLine, Explanation
from casedesk.services.sla import clocks
from casedesk.services.sla.calendar import BusinessCalendar
from casedesk.services.sla.clocks import ClockState, Flag, PolicyTargets

#: Clocks in the order they are shown.
KINDS = ("first_response", "next_response", "resolution", "inactivity")
_LABEL = {
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
    "inactivity": N_("inactivity"),
    "autoclose": N_("auto-close"),
}


@dataclass(frozen=True)
class ClockInfo:
    """One clock of a case at an instant."""

    kind: str
    state: ClockState
    due: datetime | None
    #: Business time left (negative: over). None when unknown (no calendar given).
    left: timedelta | None = None
    #: When the clock stopped: met, answered, resolved (None while running).
    stopped_at: datetime | None = None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    value = getattr(obj, name, default)
    return default if value is None else value


def _left(cal: BusinessCalendar, now: datetime, due: datetime) -> timedelta:
    return cal.elapsed(now, due) if now < due else -cal.elapsed(due, now)


def _running(
    kind: str,
    due: datetime,
    warn: datetime | None,
    flags: int,
    now: datetime,
    targets: PolicyTargets | None,
) -> ClockInfo:
    warned, breached = clocks.CLOCK_BITS[kind]
    left = _left(targets.calendar, now, due) if targets is not None else None
    if flags & breached or now >= due:
        return ClockInfo(kind, ClockState.breached, due, left)
    if flags & warned or (warn is not None and now >= warn):
        return ClockInfo(kind, ClockState.warning, due, left)
    target = getattr(targets, kind, None) if targets is not None else None
    if (
        targets is not None
        and target
        and left is not None
        and left <= target * (1 - targets.warning_percent / 100)
    ):
        return ClockInfo(kind, ClockState.warning, due, left)
    return ClockInfo(kind, ClockState.ok, due, left)


def _due(info: ClockInfo) -> datetime:
    """Sort key: when a running clock is due (running clocks always have one)."""
    return info.due or datetime.max.replace(tzinfo=UTC)


def clock_infos(obj: Any, now: datetime, targets: PolicyTargets | None = None) -> list[ClockInfo]:
    """The clocks of ``obj`` (a case-like object) at ``now``; clocks not set are left out."""
    status = _get(obj, "status", "new")
    flags = int(_get(obj, "sla_flags", 0))
    is_open = status in clocks.OPEN
    stopped_at = _get(obj, "resolved_at") or _get(obj, "closed_at")
    out: list[ClockInfo] = []

    # first response
    due = _get(obj, "first_response_due")
    at = _get(obj, "first_response_at")
    if at is not None or flags & Flag.FIRST_RESPONSE_MET:
        late = flags & Flag.FIRST_RESPONSE_BREACHED or (at and due and at > due)
        state = ClockState.breached if late else ClockState.met
        out.append(ClockInfo("first_response", state, due, None, at))
    elif due is not None and is_open:
        out.append(
            _running("first_response", due, _get(obj, "first_response_warn"), flags, now, targets)
        )
    elif flags & Flag.FIRST_RESPONSE_BREACHED:
        out.append(ClockInfo("first_response", ClockState.breached, due, None, stopped_at))

    # next response (runs from a customer contact until the agent answers)
    due = _get(obj, "next_response_due")
    if due is not None and is_open:
        out.append(
            _running("next_response", due, _get(obj, "next_response_warn"), flags, now, targets)
        )

    # resolution (paused while awaiting the customer; a breach stays a breach)
    due = _get(obj, "resolution_due")
    if due is not None and status in clocks.RUNNING:
        out.append(_running("resolution", due, _get(obj, "resolution_warn"), flags, now, targets))
    elif due is not None and status == "awaiting_customer":
        paused_at = _get(obj, "paused_at", now)
        left = _left(targets.calendar, paused_at, due) if targets is not None else None
        state = ClockState.breached if flags & Flag.RESOLUTION_BREACHED else ClockState.paused
        out.append(ClockInfo("resolution", state, due, left))
    elif flags & Flag.RESOLUTION_BREACHED:
        out.append(ClockInfo("resolution", ClockState.breached, due, None, stopped_at))
    elif flags & Flag.RESOLUTION_MET:
        out.append(ClockInfo("resolution", ClockState.met, due, None, stopped_at))

    # inactivity (re-armed by every activity; the INACTIVE bit says it fired)
    if is_open:
        due = _get(obj, "inactivity_due")
        if due is not None:
            state = ClockState.breached if now >= due else ClockState.ok
            left = _left(targets.calendar, now, due) if targets is not None else None
            out.append(ClockInfo("inactivity", state, due, left))
        elif flags & Flag.INACTIVE:
            out.append(ClockInfo("inactivity", ClockState.breached, None))
    return out


def clock_states(
    obj: Any, now: datetime, targets: PolicyTargets | None = None
) -> dict[str, ClockState]:
    """``{kind: state}`` for the clocks a case has; pure and cheap (no database)."""
    return {info.kind: info.state for info in clock_infos(obj, now, targets)}


def targets_by_name(desk: Desk) -> dict[str, PolicyTargets]:
    """Every policy's targets by name (``CaseDetail.sla_policy``), for :func:`clock_states`."""
    with read_session(desk.engine) as session:
        policies = session.execute(select(SlaPolicy)).scalars().all()
        return {p.name: clocks.targets_of(session, p) for p in policies}


# --- words -------------------------------------------------------------------------

#: A clock's state as a person reads it ("ok" is within its target).
_STATE = {
    ClockState.ok: NP_("clock", "ok"),
    ClockState.warning: NP_("clock", "warning"),
    ClockState.breached: NP_("clock", "breached"),
    ClockState.paused: NP_("clock", "paused"),
    ClockState.met: NP_("clock", "met"),
}


def clock_name(kind: str) -> str:
    """``first response`` / ``primera respuesta``."""
    return _(_LABEL[kind]) if kind in _LABEL else kind.replace("_", " ")


def state_word(state: ClockState) -> str:
    """``breached`` / ``incumplido``."""
    return pgettext(*_STATE[state])


def when(at: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """``Tue 10:30`` within a week of ``now``, else ``Tue 14 Apr 10:30`` (in ``zone``, in the
    reader's language: ``mar 10:30``)."""
    if at is None:
        return "—"
    local = at.astimezone(zone)
    if abs((local.date() - now.astimezone(zone).date()).days) < 7:
        return localformat.weekday_time(local)
    return localformat.weekday_day_time(local)


def _line(info: ClockInfo, case: Any, cal: Any, zone: ZoneInfo, now: datetime) -> str:
    name = clock_name(info.kind)
    due = when(info.due, zone, now)
    left = info.left
    if info.kind == "inactivity":
        since = when(_get(case, "last_activity_at"), zone, now)
        if info.state == ClockState.breached:
            return _("{clock}: breached — no activity since {since}").format(
                clock=name, since=since)
        return _("{clock}: ok — last activity {since}; alert {due} ({left} left)").format(
            clock=name, since=since, due=due, left=hours_minutes(left))
    if info.state == ClockState.met:
        if info.stopped_at:
            return _("{clock}: met {at} (due {due})").format(
                clock=name, at=when(info.stopped_at, zone, now), due=due)
        return _("{clock}: met (due {due})").format(clock=name, due=due)
    if info.state == ClockState.paused:
        since = when(_get(case, "paused_at"), zone, now)
        if left is None:
            return _("{clock}: paused — awaiting customer since {since}").format(
                clock=name, since=since)
        if left < timedelta(0):
            return _(
                "{clock}: paused — awaiting customer since {since}; "
                "{over} business time over its due time {due}"
            ).format(clock=name, since=since, over=hours_minutes(left), due=due)
        resumed = when(cal.add(now, left), zone, now)
        return _(
            "{clock}: paused — awaiting customer since {since}; "
            "{left} business time left (due {due} if resumed now)"
        ).format(clock=name, since=since, left=hours_minutes(left), due=resumed)
    if info.state == ClockState.breached:
        if info.stopped_at is not None:
            return _("{clock}: breached — due {due}, stopped {at}").format(
                clock=name, due=due, at=when(info.stopped_at, zone, now))
        if left is not None and left < timedelta(0):
            return _("{clock}: breached — due {due}, {over} business time ago").format(
                clock=name, due=due, over=hours_minutes(left))
        return _("{clock}: breached — due {due}").format(clock=name, due=due)
    return _("{clock}: {state} — due {due}, {left} business time left").format(
        clock=name, state=state_word(info.state), due=due, left=hours_minutes(left))


def explain(desk: Desk, number: int | str) -> Explanation:
    """Where each SLA clock of a case stands, in words (see the module docstring)."""
    now = desk.now()
    with read_session(desk.engine) as session:
        case = load_case(session, number)
        policy = session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None
        targets = clocks.targets_of(session, policy)
        cal_row = (
            session.get(BusinessCalendarRow, policy.calendar_id)
            if policy is not None and policy.calendar_id
            else None
        )
    zone = ZoneInfo(cal_row.timezone if cal_row else "UTC")
    cal = targets.calendar
    infos = clock_infos(case, now, targets)
    lines: list[ClockLine] = []
    for info in infos:
        text = _line(info, case, cal, zone, now)
        lines.append(
            ClockLine(
                info.kind,
                info.state.value,
                info.due,
                int(info.left.total_seconds()) if info.left is not None else None,
                text,
            )
        )
    if case.status == "resolved" and case.autoclose_due is not None:
        lines.append(
            ClockLine(
                "autoclose",
                None,
                case.autoclose_due,
                None,
                _("auto-close: {at} unless the customer answers").format(
                    at=when(case.autoclose_due, zone, now)),
            )
        )
    return Explanation(
        case_label(case.number),
        case.status,
        policy.name if policy else None,
        cal_row.name if cal_row else None,
        str(zone),
        lines,
        _sentence(case, infos, targets, zone, now),
    )


def _sentence(
    case: Any, infos: list[ClockInfo], targets: PolicyTargets, zone: ZoneInfo, now: datetime
) -> str:
    number = case_label(case.number)
    if case.sla_policy_id is None:
        return _("{case} has no SLA policy: no deadlines").format(case=number)
    paused = timedelta(seconds=case.paused_seconds or 0)
    if case.status == "awaiting_customer" and case.paused_at is not None:
        paused += targets.calendar.elapsed(case.paused_at, now)
    clocks = [i for i in infos if i.kind != "inactivity"]
    live = [i for i in clocks if i.stopped_at is None and i.due is not None]
    running_breach = [i for i in live if i.state == ClockState.breached]
    if running_breach:
        i = min(running_breach, key=_due)
        if i.left is not None:
            head = _("{clock} breached: due {due}, {over} business time ago").format(
                clock=clock_name(i.kind), due=when(i.due, zone, now), over=hours_minutes(i.left))
        else:
            head = _("{clock} breached: due {due}").format(
                clock=clock_name(i.kind), due=when(i.due, zone, now))
    elif live:
        i = min(live, key=lambda x: (x.state == ClockState.paused, x.due))
        left = i.left or timedelta(0)
        if i.state == ClockState.paused and left < timedelta(0):
            head = _("{clock} paused awaiting customer, {over} business time over").format(
                clock=clock_name(i.kind), over=hours_minutes(left))
        elif i.state == ClockState.paused:
            head = _("{clock} paused awaiting customer, {left} business time left").format(
                clock=clock_name(i.kind), left=hours_minutes(left))
        elif i.state == ClockState.warning:
            head = _("{clock} due {due}, {left} business time left (warning)").format(
                clock=clock_name(i.kind), due=when(i.due, zone, now), left=hours_minutes(left))
        else:
            head = _("{clock} due {due}, {left} business time left").format(
                clock=clock_name(i.kind), due=when(i.due, zone, now), left=hours_minutes(left))
    elif clocks:
        head = _("{case} is {status}: {clocks}").format(
            case=number, status=label("status", case.status),
            clocks=", ".join(
                _("{clock} {state}").format(clock=clock_name(i.kind), state=state_word(i.state))
                for i in clocks))
    else:
        head = _("{case} is {status}: no clocks running").format(
            case=number, status=label("status", case.status))
    if paused:
        return _("{head}; paused {paused} awaiting customer").format(
            head=head, paused=hours_minutes(paused))
    return head
