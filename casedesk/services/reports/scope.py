"""What every report shares: the period as UTC instants (calendar days of the desk's time
zone, DST-correct), the filters resolved to ids, and SQL helpers that give the same
answer on SQLite and PostgreSQL (whole seconds between two times, percentiles)."""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, true
from sqlmodel import Session, col

from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.i18n import _
from casedesk.labels import label
from casedesk.localformat import number
from casedesk.models import Agent, Case, Queue, Team
from casedesk.models.base import UTCDateTime, saved_id
from casedesk.services.context import Actor, load_agent, load_queue

#: The longest period a report covers (days).
MAX_DAYS = 3660


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            _("unknown time zone {zone}: use a name like Europe/Madrid").format(zone=repr(name))
        ) from None


def midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant the calendar day ``day`` begins in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(
    start: date, end: date, zone: zoneinfo.ZoneInfo
) -> list[tuple[date, datetime, datetime]]:
    """Each day from ``start`` to ``end`` with the UTC instants it begins and ends (a DST
    day lasts 23 or 25 hours)."""
    out = []
    day = start
    while day <= end:
        nxt = day + timedelta(days=1)
        out.append((day, midnight(day, zone), midnight(nxt, zone)))
        day = nxt
    return out


def utc(value: datetime) -> Any:
    """A bound time, typed so that it is stored and compared as the columns are."""
    return literal(value, type_=UTCDateTime())


@dataclass(frozen=True)
class Scope:
    """A report's filter resolved: the period as UTC instants and the ids to filter by."""

    start: date
    end: date
    zone: zoneinfo.ZoneInfo
    since: datetime
    until: datetime
    queue_id: int | None
    agent_id: int | None
    #: filter by team (``team_id`` None then means the desk's own, no team)
    by_team: bool
    team_id: int | None

    @property
    def length(self) -> timedelta:
        return self.until - self.since

    def previous(self) -> Scope:
        """The period of equal length (in days) just before this one."""
        days = (self.end - self.start).days + 1
        start = self.start - timedelta(days=days)
        end = self.start - timedelta(days=1)
        return Scope(start, end, self.zone, midnight(start, self.zone), self.since,
                     self.queue_id, self.agent_id, self.by_team, self.team_id)

    def in_period(self, column: Any) -> ColumnElement[bool]:
        return and_(col(column) >= utc(self.since), col(column) < utc(self.until))

    def case_filter(self) -> ColumnElement[bool]:
        """Queue, agent (the owner) and team (the queue's team) of a case."""
        terms: list[ColumnElement[bool]] = []
        if self.queue_id is not None:
            terms.append(col(Case.queue_id) == self.queue_id)
        if self.agent_id is not None:
            terms.append(col(Case.owner_id) == self.agent_id)
        if self.by_team:
            terms.append(col(Case.queue_id).in_(self.team_queues()))
        return and_(true(), *terms)

    def team_queues(self) -> Select[Any]:
        team = col(Queue.team_id)
        return select(col(Queue.id)).where(
            team.is_(None) if self.team_id is None else team == self.team_id
        )

    def team_agents(self) -> Select[Any]:
        team = col(Agent.team_id)
        return select(col(Agent.id)).where(
            team.is_(None) if self.team_id is None else team == self.team_id
        )


def resolve(session: Session, actor: Actor, flt: Any) -> Scope:
    """The filter ``flt`` (:class:`~casedesk.services.reports.views.ReportFilter`) checked
    and resolved. Reports are for supervisors; a supervisor of a team sees their team's."""
    if not actor.is_supervisor:
        raise PermissionDenied(
            _("reports are for supervisors; {login} is an {role}").format(
                login=actor.login, role=label("role", actor.role))
        )
    if flt.end < flt.start:
        raise ValidationError(
            _("the period ends ({end}) before it begins ({start})").format(
                end=flt.end.isoformat(), start=flt.start.isoformat())
        )
    if flt.days > MAX_DAYS:
        raise ValidationError(_("a report covers at most {most} days; this asks {days}").format(
            most=number(MAX_DAYS), days=number(flt.days)))
    zone = zone_of(flt.zone)
    queue_id = saved_id(load_queue(session, flt.queue).id) if flt.queue else None
    agent_id = saved_id(load_agent(session, flt.agent).id) if flt.agent else None
    by_team, team_id = False, None
    if flt.team:
        team = session.execute(
            select(Team).where(col(Team.name) == flt.team)
        ).scalar_one_or_none()
        if team is None:
            raise NotFound(_("no team {team}: see `casedesk team list`").format(
                team=repr(flt.team)))
        by_team, team_id = True, saved_id(team.id)
    if not actor.is_admin:
        own = session.execute(
            select(col(Agent.team_id)).where(col(Agent.id) == actor.id)
        ).scalar_one_or_none()
        if own is not None:
            if by_team and team_id != own:
                raise PermissionDenied(_("{login} may see only their own team's reports").format(
                    login=actor.login))
            by_team, team_id = True, own
    return Scope(
        flt.start, flt.end, zone, midnight(flt.start, zone),
        midnight(flt.end + timedelta(days=1), zone), queue_id, agent_id, by_team, team_id,
    )


# --- SQL that answers the same on both databases -----------------------------------


def epoch_seconds(session: Session, column: Any) -> ColumnElement[Any]:
    """Whole seconds since 1970 of a time column (the second it falls in)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.cast(func.strftime("%s", col(column)), _integer())
    return func.cast(func.floor(func.extract("epoch", col(column))), _big())


def _integer() -> Any:
    from sqlalchemy import Integer

    return Integer()


def _big() -> Any:
    from sqlalchemy import BigInteger

    return BigInteger()


def percentile_position(count: int, fraction: float) -> tuple[int, float]:
    """Where ``percentile_cont(fraction)`` reads in ``count`` sorted values: the index of
    the lower value and the weight of the next one (linear interpolation)."""
    rank = (count - 1) * fraction
    low = math.floor(rank)
    return low, rank - low


def interpolate(low: float, high: float, weight: float) -> float:
    return low + (high - low) * weight
