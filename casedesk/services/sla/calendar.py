"""Business-hours arithmetic for SLAs: real seconds counted against local wall-clock hours.

Definition (the single source of truth, also used by the test oracle)
--------------------------------------------------------------------
A real instant ``t`` is *business time* iff ``t`` converted to the calendar's zone (zoneinfo,
i.e. UTC -> local, which is unambiguous) shows a wall-clock reading ``D hh:mm:ss`` such that

* ``D`` is not a holiday (one-off date, recurring ``(month, day)``, or a public holiday of
  ``country``/``subdivision`` from the ``holidays`` package), and
* ``hh:mm:ss`` lies inside one of the half-open ``[start, end)`` intervals configured for
  ``D.weekday()`` ("24:00" as an end means the end of the local day).

Business time between two instants is the *real* (UTC) duration of the business instants
between them. Consequences at DST transitions, all exactly as a wall clock would behave:

* Non-existent wall times (spring forward) contribute nothing: a 00:00-24:00 day holds 23 h
  and an interval 02:00-03:00 inside the gap holds 0 s; an interval that straddles the gap
  starts or ends at the instant the clock jumps.
* Repeated wall times (fall back) contribute each time the clock shows them: a 00:00-24:00
  day holds 25 h, an interval 02:30-03:00 inside a 03:00 -> 02:00 fold holds 1 h (two
  disjoint real half-hours), an interval 01:00-02:30 holds 2 h.

Implementation: for each local date, each wall interval ``[A, B)`` is mapped to UTC exactly,
piecewise over the zone's constant-offset segments (``[A - off, B - off)`` intersected with
the segment). Offset changes are located by probing zoneinfo hourly and bisecting to the
second (cached per zone and year); zones never change offset twice within an hour in
practice. The resulting intervals are regrouped, merged and cached per UTC day together
with the day's total, so ``add``/``elapsed`` skip whole days with one cached lookup each.

Precision: microseconds are kept exactly (all arithmetic is on integer microseconds).

Rules callers must know
-----------------------
* All results are UTC-aware datetimes. Naive inputs raise ``ValueError``.
* ``add(s, d)`` returns the *earliest* instant ``r >= s`` with ``elapsed(s, r) == d``.
  Hence ``add(s, timedelta(0)) == s`` (even when closed), and for ``d > 0`` the result is
  either open or exactly the end of a working interval: Friday 16:00 + 1 h on a 9-17
  calendar is Friday 17:00, *not* Monday 09:00. Use ``next_open`` if you need the latter.
* ``elapsed(s, e)`` is zero when ``e <= s``; it is additive and ``elapsed(s, add(s, d)) == d``.
* ``next_open(at)`` returns ``at`` (as UTC) when open, else the start of the next interval.
* A week with no hours raises ``ValueError`` in the constructor. If a calendar has hours but
  no business time for ten consecutive years (e.g. everything is a holiday), ``add`` and
  ``next_open`` raise ``ValueError`` instead of searching forever.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casedesk.i18n import _

__all__ = ["BusinessCalendar"]

_US = 1_000_000
_DAY_S = 86_400
_DAY_US = _DAY_S * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD = date(1970, 1, 1).toordinal()
_PROBE_S = 3_600
_MAX_EMPTY_DAYS = 3_660  # ~10 years without any business time -> give up
_HHMM = re.compile(r"(\d\d):(\d\d)")

Interval = tuple[int, int]


def _parse_hhmm(text: str, *, is_end: bool) -> int:
    """``"HH:MM"`` -> minutes after midnight; ``"24:00"`` only allowed as an end."""
    if not isinstance(text, str) or (m := _HHMM.fullmatch(text)) is None:
        raise ValueError(_("bad time {text}: expected 'HH:MM'").format(text=repr(text)))
    hh, mm = int(m[1]), int(m[2])
    if hh == 24 and mm == 0 and is_end:
        return 1440
    if hh > 23 or mm > 59:
        raise ValueError(_("bad time {text}: out of range").format(text=repr(text)))
    return hh * 60 + mm


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sort and merge overlapping or touching half-open intervals."""
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def _to_us(at: datetime) -> int:
    """Aware datetime -> integer microseconds since the Unix epoch."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {at!r}")
    d = at - _EPOCH
    return (d.days * _DAY_S + d.seconds) * _US + d.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _td_us(d: timedelta) -> int:
    return (d.days * _DAY_S + d.seconds) * _US + d.microseconds


def _offset(zone: ZoneInfo, ts: int) -> int:
    """UTC offset in seconds of ``zone`` at Unix time ``ts``."""
    off = datetime.fromtimestamp(ts, zone).utcoffset()
    assert off is not None
    return off.days * _DAY_S + off.seconds


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORD) * _DAY_S


@functools.lru_cache(maxsize=2048)
def _year_transitions(key: str, year: int) -> tuple[tuple[int, int], ...]:
    """Offset changes ``(instant, new offset)`` with instant in ``(Jan 1, next Jan 1]`` UTC."""
    zone = ZoneInfo(key)
    p, end = _year_start(year), _year_start(year + 1)
    op = _offset(zone, p)
    out: list[tuple[int, int]] = []
    while p < end:
        q = min(p + _PROBE_S, end)
        oq = _offset(zone, q)
        if oq != op:
            lo, hi = p, q  # offset(lo) == op, offset(hi) == oq
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == op:
                    lo = mid
                else:
                    hi = mid
            out.append((hi, oq))
        p, op = q, oq
    return tuple(out)


def _segments(key: str, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Constant-offset pieces ``(start, end, offset)`` covering ``[lo, hi)`` (Unix seconds)."""
    cuts = [lo]
    offs = [_offset(ZoneInfo(key), lo)]
    first = date.fromordinal(_EPOCH_ORD + lo // _DAY_S).year
    last = date.fromordinal(_EPOCH_ORD + (hi - 1) // _DAY_S).year
    for year in range(first, last + 1):
        for t, off in _year_transitions(key, year):
            if lo < t < hi:
                cuts.append(t)
                offs.append(off)
    cuts.append(hi)
    return [(cuts[i], cuts[i + 1], offs[i]) for i in range(len(offs))]


class BusinessCalendar:
    """Working hours in one time zone, minus holidays. See the module docstring for rules."""

    def __init__(
        self,
        timezone: str,
        hours: dict[int, list[tuple[str, str]]],
        holidays: Iterable[date] = (),
        recurring_holidays: Iterable[tuple[int, int]] = (),
        country: str | None = None,
        subdivision: str | None = None,
    ) -> None:
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(_("unknown time zone {zone}").format(zone=repr(timezone))) from exc
        self.timezone = timezone

        week: list[tuple[Interval, ...]] = [() for _ in range(7)]
        for weekday, spans in hours.items():
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
                raise ValueError(_("bad weekday {day}: expected 0 (Monday) .. 6 (Sunday)").format(
                    day=repr(weekday)))
            parsed: list[Interval] = []
            for span in spans:
                try:
                    start_text, end_text = span
                except (TypeError, ValueError) as exc:
                    raise ValueError(_("bad interval {span}: expected (start, end)").format(
                        span=repr(span))) from exc
                start = _parse_hhmm(start_text, is_end=False)
                end = _parse_hhmm(end_text, is_end=True)
                if start >= end:
                    raise ValueError(_("bad interval {span}: start must be before end").format(
                        span=repr(span)))
                parsed.append((start * 60, end * 60))  # seconds after local midnight
            week[weekday] = _merge(parsed)
        if not any(week):
            raise ValueError(
                _("a business calendar needs working hours on at least one weekday"))
        self._week: tuple[tuple[Interval, ...], ...] = tuple(week)

        self._dates = frozenset(
            d if type(d) is date else date(d.year, d.month, d.day) for d in holidays
        )
        recurring = set()
        for month, day in recurring_holidays:
            try:
                date(2000, month, day)  # leap year: accepts 29 Feb
            except (TypeError, ValueError) as exc:
                raise ValueError(_("bad recurring holiday {day}").format(
                    day=repr((month, day)))) from exc
            recurring.add((month, day))
        self._recurring = frozenset(recurring)

        self._country = country
        self._subdivision = subdivision
        self._country_years: dict[int, frozenset[date]] = {}
        if country is not None:
            import holidays as _holidays  # ~60 ms to import: only calendars with a country

            try:
                _holidays.country_holidays(country, subdiv=subdivision)
            except NotImplementedError as exc:
                msg = _("unknown country/subdivision {country}/{subdivision}").format(
                    country=repr(country), subdivision=repr(subdivision))
                raise ValueError(msg) from exc

        self._local_day = functools.lru_cache(maxsize=16_384)(self._compute_local_day)
        self._utc_day = functools.lru_cache(maxsize=16_384)(self._compute_utc_day)

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.timezone!r}, country={self._country!r})"

    # -- holidays ---------------------------------------------------------------------------

    def _is_holiday(self, day: date) -> bool:
        """Whether the local date ``day`` is a holiday (one-off, recurring or public)."""
        if day in self._dates or (day.month, day.day) in self._recurring:
            return True
        if self._country is None:
            return False
        public = self._country_years.get(day.year)
        if public is None:
            import holidays as _holidays

            public = frozenset(
                _holidays.country_holidays(
                    self._country, subdiv=self._subdivision, years=day.year
                ).keys()
            )
            self._country_years[day.year] = public
        return day in public

    # -- interval construction --------------------------------------------------------------

    def _compute_local_day(self, ordinal: int) -> tuple[Interval, ...]:
        """Real intervals (Unix seconds) showing working wall time on local date ``ordinal``."""
        day = date.fromordinal(ordinal)
        wall = self._week[day.weekday()]
        if not wall or self._is_holiday(day):
            return ()
        midnight = (ordinal - _EPOCH_ORD) * _DAY_S  # local midnight as if it were UTC
        segments = _segments(self.timezone, midnight - _DAY_S, midnight + 2 * _DAY_S)
        out: list[Interval] = []
        for start, end in wall:
            a, b = midnight + start, midnight + end
            for lo, hi, off in segments:
                x, y = max(a - off, lo), min(b - off, hi)
                if x < y:
                    out.append((x, y))
        return tuple(out)

    def _compute_utc_day(self, day: int) -> tuple[tuple[Interval, ...], int]:
        """Merged business intervals (µs) inside UTC day ``day`` and their total length."""
        lo, hi = day * _DAY_S, (day + 1) * _DAY_S
        ordinal = day + _EPOCH_ORD
        pieces: list[Interval] = []
        for n in (ordinal - 1, ordinal, ordinal + 1):  # |offset| < 24 h
            for a, b in self._local_day(n):
                x, y = max(a, lo), min(b, hi)
                if x < y:
                    pieces.append((x, y))
        merged = tuple((a * _US, b * _US) for a, b in _merge(pieces))
        return merged, sum(b - a for a, b in merged)

    # -- public API -------------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Earliest instant by which ``duration`` of business time has passed since ``start``."""
        t = _to_us(start)
        rem = _td_us(duration)
        if rem < 0:
            raise ValueError(f"negative duration {duration!r}")
        if rem == 0:
            return _from_us(t)
        day = t // _DAY_US
        intervals, _ = self._utc_day(day)
        for a, b in intervals:
            if b <= t:
                continue
            a = max(a, t)
            if rem <= b - a:
                return _from_us(a + rem)
            rem -= b - a
        empty = 0
        utc_day = self._utc_day
        while True:
            day += 1
            intervals, total = utc_day(day)
            if rem > total:
                rem -= total
                if total:
                    empty = 0
                else:
                    empty += 1
                    if empty > _MAX_EMPTY_DAYS:
                        raise ValueError("no business time within ten years")
                continue
            for a, b in intervals:
                if rem <= b - a:
                    return _from_us(a + rem)
                rem -= b - a

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; zero when ``end <= start``."""
        s, e = _to_us(start), _to_us(end)
        if e <= s:
            return timedelta(0)
        total = 0
        day, last = s // _DAY_US, (e - 1) // _DAY_US
        utc_day = self._utc_day
        while day <= last:
            intervals, day_total = utc_day(day)
            if s <= day * _DAY_US and (day + 1) * _DAY_US <= e:
                total += day_total
            else:
                for a, b in intervals:
                    x, y = max(a, s), min(b, e)
                    if x < y:
                        total += y - x
            day += 1
        return timedelta(microseconds=total)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` is business time."""
        t = _to_us(at)
        intervals, _ = self._utc_day(t // _DAY_US)
        return any(a <= t < b for a, b in intervals)

    def next_open(self, at: datetime) -> datetime:
        """``at`` (as UTC) if open, else the start of the next working interval."""
        t = _to_us(at)
        day = t // _DAY_US
        for _attempt in range(_MAX_EMPTY_DAYS + 1):
            intervals, _total = self._utc_day(day)
            for a, b in intervals:
                if b > t:
                    return _from_us(max(a, t))
            day += 1
        raise ValueError("no business time within ten years")
