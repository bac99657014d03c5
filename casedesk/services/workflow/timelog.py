"""Time on cases: entries of a kind (``work`` by hand, ``handle`` on the line,
``after_call`` wrap-up), the calls that log them, and totals — per case including its child
cases, and per agent per day in the agent's own time zone.

Logging is an append (the row is locked, the version bumped, one ``time`` event); minutes
count against the case's ``minutes`` contract line, exhausted or expired alike (never
refused: the state is in the event's data and returned for the agent to see).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Agent, Case, Interaction, TimeEntry, TimeKind
from casedesk.models.base import saved_id
from casedesk.services.context import Actor, Desk, load_case, storable
from casedesk.services.contracts import entitlements
from casedesk.services.contracts.views import Consumption
from casedesk.services.numbers import case_label, shown_number
from casedesk.services.queries.reads import case_detail
from casedesk.services.queries.views import (
    AgentDay,
    AgentTime,
    CallTimeLogged,
    CaseDetail,
    CaseTime,
    InteractionView,
    TimeEntryView,
)
from casedesk.services.workflow.changes import apply_change

#: The most minutes one entry logged by hand may hold: a day.
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class TimeLogged:
    """Minutes logged on a case: the case after it, and what they did to its line."""

    case: CaseDetail
    minutes: int
    entitlement: Consumption | None


def call_minutes(seconds: int) -> int:
    """Seconds of a call as the whole minutes a time entry holds: rounded up (0 stays 0)."""
    return math.ceil(max(seconds, 0) / 60)


def _check_minutes(minutes: int) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError(_("minutes must be a whole number, not {value}").format(
            value=repr(minutes)))
    if minutes <= 0 or minutes > MAX_MINUTES:
        raise ValidationError(
            _("minutes must be between 1 and {max}, not {value}").format(
                max=MAX_MINUTES, value=shown_number(minutes))
        )


def _record(
    session: Session,
    desk: Desk,
    actor: Actor,
    case: Case,
    entries: list[tuple[int, str, str | None]],
    *,
    note: str | None,
    interaction_id: int | None = None,
) -> Consumption | None:
    """Insert ``entries`` (minutes, kind, note) on ``case``, count them on its minutes
    line, and append one ``time`` event; the line's consumption (None: no minutes line)."""
    now = desk.now()
    total = sum(m for m, _, _ in entries)
    for minutes, kind, entry_note in entries:
        session.execute(
            insert(TimeEntry).values(
                case_id=case.id, agent_id=actor.id, minutes=minutes, at=now, note=entry_note,
                kind=kind, interaction_id=interaction_id,
            )
        )
    used = None
    if case.contract_line_id is not None:
        used = entitlements.count_minutes(session, case.contract_line_id, total,
                                          entitlements.day_of(session, actor.id, now))
    data: dict[str, Any] = {"minutes": total}
    if len(entries) > 1 or entries[0][1] != TimeKind.work:
        data["kinds"] = {kind: minutes for minutes, kind, _ in entries}
    if interaction_id is not None:
        data["interaction_id"] = interaction_id
    if used is not None:
        data.update(used.event_data())
    apply_change(session, case, actor, now, kind="time", values={}, note=note, data=data,
                 append=True)
    return used


def add_time(
    desk: Desk,
    actor: Actor,
    number: int | str,
    minutes: int,
    note: str | None = None,
) -> TimeLogged:
    """Record minutes of work on a case (kind ``work``); they count against the case's
    minutes line. Only its owner, a member of its queue or a supervisor may; an append,
    never refused for a stale version."""
    from casedesk.services.workflow.cases import require_work_on

    _check_minutes(minutes)
    if note is not None:
        storable(note, N_("the note"))
    with write_session(desk.engine) as session:
        case = load_case(session, number, lock=True)
        require_work_on(session, actor, case, N_("log time on it"))
        used = _record(session, desk, actor, case, [(minutes, TimeKind.work.value, note)],
                       note=note)
        return TimeLogged(case_detail(session, saved_id(case.id)), minutes, used)


def log_time(
    desk: Desk, actor: Actor, number: int | str, minutes: int, note: str | None = None
) -> CaseDetail:
    """:func:`add_time`, returning the case."""
    return add_time(desk, actor, number, minutes, note).case


def _call_entries(duration_seconds: int, wrap_seconds: int) -> list[tuple[int, str, str | None]]:
    handle, after = call_minutes(duration_seconds), call_minutes(wrap_seconds)
    entries: list[tuple[int, str, str | None]] = []
    if handle:
        entries.append((handle, TimeKind.handle.value, "on the line"))
    if after:
        entries.append((after, TimeKind.after_call.value, "after-call work"))
    return entries


def _check_wrap(wrap_seconds: int) -> None:
    from casedesk.services.workflow.interactions import MAX_DURATION

    if isinstance(wrap_seconds, bool) or not isinstance(wrap_seconds, int):
        raise ValidationError(_("after-call work must be whole seconds, not {value}").format(
            value=repr(wrap_seconds)))
    if not 0 <= wrap_seconds <= MAX_DURATION:
        raise ValidationError(
            _("after-call work of {seconds} s is not between 0 and a week").format(
                seconds=shown_number(wrap_seconds))
        )


def _log_call_time(
    session: Session, desk: Desk, actor: Actor, interaction_id: int
) -> tuple[int, int, Consumption | None]:
    """The handle and after-call minutes of an interaction, logged on its case once."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(_("no interaction {id}").format(id=interaction_id))
    if interaction.case_id is None:
        return 0, 0, None
    logged = session.execute(
        select(col(TimeEntry.id)).where(col(TimeEntry.interaction_id) == interaction_id)
    ).first()
    entries = _call_entries(interaction.duration_seconds, interaction.wrap_seconds)
    if logged is not None or not entries:
        return 0, 0, None
    number = session.execute(
        select(col(Case.number)).where(col(Case.id) == interaction.case_id)
    ).scalar_one()
    case = load_case(session, number, lock=True)
    handle = sum(m for m, k, _ in entries if k == TimeKind.handle)
    after = sum(m for m, k, _ in entries if k == TimeKind.after_call)
    note = f"{interaction.channel}: {handle} min on the line, {after} min after the call"
    used = _record(session, desk, actor, case, entries, note=note,
                   interaction_id=interaction_id)
    return handle, after, used


def log_call(
    desk: Desk,
    actor: Actor,
    *,
    wrap_seconds: int = 0,
    case: int | str | None = None,
    **interaction: Any,
) -> CallTimeLogged:
    """Save a call (``interactions.log_interaction`` keywords) with its after-call work
    (``interaction.wrap_seconds``) in one transaction; on a case, its time on the line and
    after the call are logged there too as ``handle`` and ``after_call`` entries (whole
    minutes, rounded up, linked to the interaction)."""
    from casedesk.services.workflow.interactions import log_interaction

    _check_wrap(wrap_seconds)
    with write_session(desk.engine) as session:
        view = log_interaction(desk, actor, case=case, session=session, **interaction)
        session.execute(
            update(Interaction).where(col(Interaction.id) == view.id)
            .values(wrap_seconds=wrap_seconds)
        )
        handle, after, used = _log_call_time(session, desk, actor, view.id)
        return CallTimeLogged(view, handle, after, used.to_json() if used else None)


def log_call_time(desk: Desk, actor: Actor, interaction_id: int) -> CallTimeLogged:
    """Log a saved call's handle and after-call minutes on the case it is on now (a case
    just opened from it); nothing when they are logged already or it is on no case."""
    from casedesk.services.queries.reads import interaction_select, interaction_view

    with write_session(desk.engine) as session:
        handle, after, used = _log_call_time(session, desk, actor, interaction_id)
        row = session.execute(
            interaction_select().where(col(Interaction.id) == interaction_id)
        ).one()
        view: InteractionView = interaction_view(*row)
        return CallTimeLogged(view, handle, after, used.to_json() if used else None)


# --- totals ------------------------------------------------------------------------------


def _entry_select() -> Any:
    return (
        select(TimeEntry, col(Case.number), col(Agent.login), col(Agent.name))
        .join(Case, col(Case.id) == col(TimeEntry.case_id))
        .join(Agent, col(Agent.id) == col(TimeEntry.agent_id))
    )


def _entry_view(t: TimeEntry, number: int, login: str, name: str) -> TimeEntryView:
    return TimeEntryView(saved_id(t.id), t.at, case_label(number), login, name, t.minutes,
                         t.kind, t.note, t.interaction_id)


def descendants(session: Session, case_id: int) -> list[int]:
    """The ids of a case's children, their children and so on (each once)."""
    seen: set[int] = {case_id}
    found: list[int] = []
    frontier = [case_id]
    while frontier:
        children = [
            c for c in session.execute(
                select(col(Case.id)).where(col(Case.parent_id).in_(frontier))
            ).scalars() if c not in seen
        ]
        seen.update(children)
        found.extend(children)
        frontier = children
    return found


def case_time(desk: Desk, number: int | str) -> CaseTime:
    """A case's time: its own, its child cases' (at any depth) and the sum, by kind and by
    agent; with the case's own entries, newest first."""
    with read_session(desk.engine) as session:
        case = load_case(session, number)
        case_id = saved_id(case.id)
        children = descendants(session, case_id)
        rows = session.execute(
            _entry_select().where(col(TimeEntry.case_id).in_([case_id, *children]))
            .order_by(col(TimeEntry.at).desc(), col(TimeEntry.id).desc())
        ).all()
        labels = dict(session.execute(
            select(col(Case.id), col(Case.number)).where(col(Case.id).in_(children))
        ).all()) if children else {}
    own = children_total = 0
    kinds: dict[str, int] = defaultdict(int)
    agents: dict[str, list[Any]] = {}
    entries: list[TimeEntryView] = []
    for t, case_number, login, name in rows:
        if t.case_id == case_id:
            own += t.minutes
            entries.append(_entry_view(t, case_number, login, name))
        else:
            children_total += t.minutes
        kinds[t.kind] += t.minutes
        agents.setdefault(login, [name, 0])[1] += t.minutes
    by_agent = sorted((AgentTime(login, n, m) for login, (n, m) in agents.items()),
                      key=lambda a: (-a.minutes, a.login))
    return CaseTime(
        case_label(case.number), own, children_total, own + children_total, dict(kinds),
        by_agent, sorted(case_label(n) for n in labels.values()), entries,
    )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a calendar day of ``zone`` starts and ends at (23 or 25 hours
    apart on a daylight-saving change)."""
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def time_per_day(desk: Desk, day: date, *, agent: str | None = None) -> list[AgentDay]:
    """Each agent's time on ``day`` of their own time zone (one agent's with ``agent``),
    by kind, with the entries in order; agents with no time that day are left out unless
    asked for by name."""
    with read_session(desk.engine) as session:
        query = select(Agent).order_by(col(Agent.login))
        if agent is not None:
            query = query.where(col(Agent.login) == agent)
        people = list(session.execute(query).scalars())
        if agent is not None and not people:
            raise NotFound(_("no agent {login}").format(login=repr(agent)))
        zones = {saved_id(a.id): _zone(a.timezone) for a in people}
        # one range over every zone's day (UTC−12 … UTC+14), then each agent's own day
        start = datetime.combine(day, time(0), UTC) - timedelta(hours=14)
        end = start + timedelta(hours=24 + 14 + 12 + 1)
        rows = session.execute(
            _entry_select()
            .where(col(TimeEntry.at) >= start, col(TimeEntry.at) < end,
                   col(TimeEntry.agent_id).in_(list(zones)))
            .order_by(col(TimeEntry.at), col(TimeEntry.id))
        ).all()
    per: dict[int, list[TimeEntryView]] = defaultdict(list)
    for t, number, login, name in rows:
        first, last = day_bounds(day, zones[t.agent_id])
        if first <= t.at < last:
            per[t.agent_id].append(_entry_view(t, number, login, name))
    days: list[AgentDay] = []
    for a in people:
        mine = per.get(saved_id(a.id), [])
        if not mine and agent is None:
            continue
        kinds: dict[str, int] = defaultdict(int)
        for e in mine:
            kinds[e.kind] += e.minutes
        days.append(AgentDay(a.login, a.name, day.isoformat(), zones[saved_id(a.id)].key,
                             sum(e.minutes for e in mine), dict(kinds), mine))
    return days


def today_of(desk: Desk, agent_id: int) -> date:
    """Today in the agent's own time zone."""
    with read_session(desk.engine) as session:
        return entitlements.day_of(session, agent_id, desk.now())
