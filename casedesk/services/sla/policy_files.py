"""SLA policies and business calendars as data: load them from TOML or YAML, list them.

A file holds ``[[calendar]]`` and/or ``[[policy]]`` entries (see ``data/``); loading
upserts by name in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import col

from casedesk.datafiles import read_document
from casedesk.db import read_session, write_session
from casedesk.durations import policy_target
from casedesk.errors import ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Agent, BusinessCalendarRow, SlaPolicy
from casedesk.services.context import Actor, Desk, require_supervisor
from casedesk.services.queries.views import CalendarView, PolicyView
from casedesk.services.sla.calendar import BusinessCalendar

DATA_DIR = Path(__file__).resolve().parents[3] / "data"
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
_MATCH_KEYS = {"priority", "severity", "tier", "queue", "contract"}
_ESCALATION_KEYS = {"raise_priority", "queue", "flag_supervisor"}


#: The longest duration a policy, a calendar or a typed ``--in`` may give (about ten
#: years): longer ones are typing mistakes, and would overflow ``timedelta``.
MAX_DURATION = timedelta(days=3660)


def parse_duration(text: str | int, where: str) -> timedelta:
    """``"1h30m"``, ``"2d"``, ``"45m"`` or a number of minutes; at most MAX_DURATION.
    ``where`` names the value in messages (marked ``N_("due in")`` by callers)."""
    where = _(where) if where else where
    if isinstance(text, bool):
        raise ValidationError(_("{where}: {value} is not a duration like 30m, 4h, 2d or 1h30m")
                              .format(where=where, value=repr(text)))
    if isinstance(text, int):
        if text < 0:
            raise ValidationError(_("{where}: duration cannot be negative").format(where=where))
        minutes = text
    else:
        match = _DURATION.match(str(text))
        if not match or not any(match.groups()):
            shown = str(text) if len(str(text)) <= 60 else str(text)[:57] + "…"
            raise ValidationError(
                _("{where}: {value} is not a duration like 30m, 4h, 2d or 1h30m").format(
                    where=where, value=repr(shown))
            )
        d, h, m = (int(g) if g else 0 for g in match.groups())
        minutes = d * 1440 + h * 60 + m
    if minutes > MAX_DURATION.total_seconds() // 60:
        raise ValidationError(
            _("{where}: {value} is too long: at most {days} days").format(
                where=where, value=repr(text), days=MAX_DURATION.days)
        )
    return timedelta(minutes=minutes)


def read_file(path: Path) -> dict[str, Any]:
    """Parse a TOML or YAML file into a dict, with one clear error line when it is bad."""
    data = read_document(path)
    if not isinstance(data, dict):
        raise ValidationError(_("{path}: expected [[calendar]] and/or [[policy]] entries").format(
            path=path))
    return data


def _optional_text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _calendar_values(entry: dict[str, Any], where: str) -> dict[str, Any]:
    name = str(entry.get("name") or "").strip()
    if not name:
        raise ValidationError(_("{where}: a calendar needs a name").format(where=where))
    raw_hours = entry.get("hours") or {}
    hours: dict[str, list[list[str]]] = {}
    for day, intervals in raw_hours.items():
        key = str(day).lower()[:3]
        if key not in _DAYS and not str(day).isdigit():
            raise ValidationError(_("{where} {name}: {day} is not a weekday (mon … sun)").format(
                where=where, name=name, day=repr(day)))
        index = _DAYS.get(key, int(day) if str(day).isdigit() else -1)
        hours[str(index)] = [[str(a), str(b)] for a, b in intervals]
    holidays = [str(date.fromisoformat(str(d))) for d in entry.get("holidays", [])]
    recurring = [[int(m), int(d)] for m, d in entry.get("recurring", [])]
    timezone = str(entry.get("timezone") or "UTC")
    country = _optional_text(entry.get("country"))
    subdivision = _optional_text(entry.get("subdivision"))
    values = {
        "name": name,
        "timezone": timezone,
        "hours": hours,
        "holidays": holidays,
        "recurring_holidays": recurring,
        "country": country,
        "subdivision": subdivision,
    }
    try:  # validate by building it
        BusinessCalendar(
            timezone,
            {int(k): [(a, b) for a, b in v] for k, v in hours.items()},
            holidays=[date.fromisoformat(d) for d in holidays],
            recurring_holidays=[(m, d) for m, d in recurring],
            country=country,
            subdivision=subdivision,
        )
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise ValidationError(f"{where} {name}: {exc}") from None
    return values


def _policy_values(entry: dict[str, Any], where: str, calendars: dict[str, int]) -> dict[str, Any]:
    name = str(entry.get("name") or "").strip()
    if not name:
        raise ValidationError(_("{where}: a policy needs a name").format(where=where))
    match = dict(entry.get("match") or {})
    unknown = set(match) - _MATCH_KEYS
    if unknown:
        raise ValidationError(
            _("{where} {name}: unknown match keys {keys}; use {known}").format(
                where=where, name=name, keys=sorted(unknown), known=sorted(_MATCH_KEYS))
        )
    escalation = dict(entry.get("escalation") or {})
    unknown = set(escalation) - _ESCALATION_KEYS
    if unknown:
        raise ValidationError(_("{where} {name}: unknown escalation keys {keys}").format(
            where=where, name=name, keys=sorted(unknown)))
    calendar = entry.get("calendar")
    if calendar is not None and calendar not in calendars:
        raise ValidationError(_("{where} {name}: no calendar {calendar}; load it first").format(
            where=where, name=name, calendar=repr(calendar)))

    def minutes(key: str) -> int | None:
        if entry.get(key) is None:
            return None
        return int(parse_duration(entry[key], f"{where} {name}: {key}").total_seconds() // 60)

    warning = int(entry.get("warning_percent", 80))
    if not 1 <= warning <= 100:
        raise ValidationError(_("{where} {name}: warning_percent must be 1–100").format(
            where=where, name=name))
    return {
        "name": name,
        "position": int(entry.get("position", 100)),
        "active": bool(entry.get("active", True)),
        "match": match or None,
        "calendar_id": calendars.get(calendar) if calendar else None,
        "first_response_minutes": minutes("first_response"),
        "next_response_minutes": minutes("next_response"),
        "resolution_minutes": minutes("resolution"),
        "inactivity_minutes": minutes("inactivity"),
        "warning_percent": warning,
        "autoclose_minutes": minutes("autoclose"),
        "escalation": escalation or None,
    }


def load_file(
    desk: Desk, actor: Actor | None, path: Path, *, require: str | None = None
) -> dict[str, int]:
    """Upsert the calendars and policies of a file; returns how many of each were loaded.

    Supervisors only; without an actor only while the desk has no agents yet (the very
    first setup). ``require="policy"`` or ``"calendar"`` refuses a file without any.
    Existing cases keep their deadlines until something re-evaluates them.
    """
    if actor is not None:
        require_supervisor(actor, N_("change SLA policies and calendars"))
    else:
        with read_session(desk.engine) as session:
            agents = session.execute(select(func.count()).select_from(Agent)).scalar_one()
        if agents:
            raise ValidationError(
                _("say who is acting (--as LOGIN, a supervisor) to load SLA policies or "
                  "calendars")
            )
    return _load(desk, path, require)


def _load(desk: Desk, path: Path, require: str | None = None) -> dict[str, int]:
    data = read_file(path)
    cal_entries = data.get("calendar", data.get("calendars", [])) or []
    pol_entries = data.get("policy", data.get("policies", [])) or []
    if not cal_entries and not pol_entries:
        raise ValidationError(_("{path}: no [[calendar]] or [[policy]] entries found").format(
            path=path))
    if require == "policy" and not pol_entries:
        raise ValidationError(
            _("{path}: no [[policy]] entries (calendars go in `sla calendar load`)").format(
                path=path)
        )
    if require == "calendar" and not cal_entries:
        raise ValidationError(_("{path}: no [[calendar]] entries found").format(path=path))
    with write_session(desk.engine) as session:
        for i, entry in enumerate(cal_entries, 1):
            values = _calendar_values(entry, _("{file}: calendar #{n}").format(
                file=path.name, n=i))
            _upsert(session, BusinessCalendarRow, values)
        calendars = dict(
            session.execute(
                select(col(BusinessCalendarRow.name), col(BusinessCalendarRow.id))
            ).all()
        )
        for i, entry in enumerate(pol_entries, 1):
            values = _policy_values(entry, _("{file}: policy #{n}").format(
                file=path.name, n=i), calendars)
            _upsert(session, SlaPolicy, values)
    return {"calendars": len(cal_entries), "policies": len(pol_entries)}


def _upsert(session: Any, model: Any, values: dict[str, Any]) -> None:
    existing = session.execute(select(model.id).where(model.name == values["name"])).scalar()
    if existing is None:
        session.execute(insert(model).values(**values))
    else:
        session.execute(update(model).where(model.id == existing).values(**values))


def load_defaults(desk: Desk) -> dict[str, int]:
    """The shipped calendars and policies (``data/``); for seeding, so no permission check."""
    a = _load(desk, DATA_DIR / "calendars.toml")
    b = _load(desk, DATA_DIR / "sla_policies.toml")
    return {"calendars": a["calendars"], "policies": b["policies"]}


def _fmt(minutes: int | None) -> str:
    return policy_target(timedelta(minutes=minutes) if minutes else None)


def list_policies(desk: Desk) -> list[PolicyView]:
    with read_session(desk.engine) as session:
        cals = dict(
            session.execute(
                select(col(BusinessCalendarRow.id), col(BusinessCalendarRow.name))
            ).all()
        )
        rows = session.execute(
            select(SlaPolicy).order_by(col(SlaPolicy.position), col(SlaPolicy.id))
        )
        return [
            PolicyView(
                p.name,
                p.position,
                p.active,
                dict(p.match or {}),
                cals.get(p.calendar_id),
                _fmt(p.first_response_minutes),
                _fmt(p.next_response_minutes),
                _fmt(p.resolution_minutes),
                _fmt(p.inactivity_minutes),
                p.warning_percent,
                _fmt(p.autoclose_minutes),
                dict(p.escalation or {}),
            )
            for p in rows.scalars()
        ]


def list_calendars(desk: Desk) -> list[CalendarView]:
    names = {str(v): k for k, v in _DAYS.items()}
    with read_session(desk.engine) as session:
        rows = session.execute(select(BusinessCalendarRow).order_by(col(BusinessCalendarRow.name)))
        return [
            CalendarView(
                c.name,
                c.timezone,
                {names.get(k, k): v for k, v in sorted(c.hours.items())},
                list(c.holidays or []),
                list(c.recurring_holidays or []),
                c.country,
                c.subdivision,
            )
            for c in rows.scalars()
        ]
