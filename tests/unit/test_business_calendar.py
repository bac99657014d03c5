"""BusinessCalendar: property tests against a minute-by-minute oracle, plus worked examples.

The oracle encodes the definition literally: a real instant ``t`` is business time iff ``t``
converted to the zone (zoneinfo) shows a wall time inside an interval of a non-holiday
weekday. Every instant and duration below is on a whole real minute, and in 2015-2030 every
offset and transition of the zones used is on a whole minute too, so sampling one instant per
minute is exact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedesk.services.sla.calendar import BusinessCalendar

MADRID = ZoneInfo("Europe/Madrid")
MINUTE = timedelta(minutes=1)
US = timedelta(microseconds=1)
WEEKDAYS_9_TO_17 = {d: [("09:00", "17:00")] for d in range(5)}
ALL_DAY = {d: [("00:00", "24:00")] for d in range(7)}

ZONES = [
    "Europe/Madrid",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "America/Argentina/Buenos_Aires",
    "Asia/Tehran",
    "UTC",
]
# Local dates of DST transitions (checked against zoneinfo) plus a year boundary.
TRANSITIONS: dict[str, list[date]] = {
    "Europe/Madrid": [
        date(2015, 3, 29),
        date(2015, 10, 25),
        date(2020, 3, 29),
        date(2020, 10, 25),
        date(2026, 3, 29),
        date(2026, 10, 25),
        date(2030, 3, 31),
        date(2030, 10, 27),
    ],
    "America/Sao_Paulo": [
        date(2015, 10, 18),
        date(2017, 2, 18),
        date(2017, 10, 15),
        date(2018, 2, 17),
        date(2018, 11, 4),
        date(2019, 2, 16),
    ],
    "Australia/Sydney": [
        date(2015, 4, 5),
        date(2015, 10, 4),
        date(2020, 4, 5),
        date(2020, 10, 4),
        date(2026, 4, 5),
        date(2026, 10, 4),
    ],
    "America/Argentina/Buenos_Aires": [date(2020, 1, 1), date(2026, 1, 1)],
    "Asia/Tehran": [
        date(2019, 3, 22),
        date(2019, 9, 21),
        date(2021, 3, 22),
        date(2021, 9, 21),
        date(2022, 3, 22),
        date(2022, 9, 21),
        date(2023, 3, 22),
    ],
    "UTC": [date(2024, 2, 29), date(2025, 12, 31)],
}
COUNTRIES = {
    "Europe/Madrid": ("ES", None),
    "America/Sao_Paulo": ("BR", "SP"),
    "Australia/Sydney": ("AU", "NSW"),
    "America/Argentina/Buenos_Aires": ("AR", None),
    "Asia/Tehran": ("IR", None),
    "UTC": ("GB", None),
}


def ts(at: datetime) -> int:
    return int(at.timestamp())


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def local(
    y: int, m: int, d: int, hh: int = 0, mm: int = 0, *, zone: str = "Europe/Madrid", fold: int = 0
) -> datetime:
    return datetime(y, m, d, hh, mm, fold=fold, tzinfo=ZoneInfo(zone))


# -- the oracle ---------------------------------------------------------------------------------


@functools.cache
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays_pkg.country_holidays(country, subdiv=subdivision, years=year))


def minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


@dataclass
class Oracle:
    """Brute force over real minutes (Unix seconds that are multiples of 60)."""

    zone: str
    hours: dict[int, list[tuple[str, str]]]
    one_off: frozenset[date] = frozenset()
    recurring: frozenset[tuple[int, int]] = frozenset()
    country: tuple[str, str | None] | None = None
    memo: dict[int, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.zone)
        self.spans = {
            wd: [(minutes(s), minutes(e)) for s, e in spans] for wd, spans in self.hours.items()
        }

    def holiday(self, d: date) -> bool:
        if d in self.one_off or (d.month, d.day) in self.recurring:
            return True
        return self.country is not None and d in public_holidays(*self.country, d.year)

    def open(self, t: int) -> bool:
        hit = self.memo.get(t)
        if hit is None:
            wall = datetime.fromtimestamp(t, self.tz)
            m = wall.hour * 60 + wall.minute
            hit = not self.holiday(wall.date()) and any(
                s <= m < e for s, e in self.spans.get(wall.weekday(), ())
            )
            self.memo[t] = hit
        return hit

    def elapsed(self, a: int, b: int) -> int:
        return 60 * sum(self.open(t) for t in range(a, b, 60))

    def add(self, a: int, business_minutes: int) -> int:
        t, left = a, business_minutes
        while left:
            if self.open(t):
                left -= 1
            t += 60
        return t

    def next_open(self, a: int) -> int:
        t = a
        while not self.open(t):
            t += 60
        return t


# -- strategies ---------------------------------------------------------------------------------

boundary_minutes = st.one_of(
    st.sampled_from([0, 60, 90, 120, 150, 180, 210, 1380, 1410, 1440]),  # DST-prone wall times
    st.integers(0, 48).map(lambda k: 30 * k),
    st.integers(0, 1440),
)


def hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@st.composite
def intervals(draw: st.DrawFn) -> tuple[str, str]:
    a, b = draw(boundary_minutes), draw(boundary_minutes)
    if a == b:
        b = a + 30 if a <= 1410 else a - 30
    a, b = sorted((a, b))
    return hhmm(a), hhmm(b)


@dataclass
class Case:
    zone: str
    hours: dict[int, list[tuple[str, str]]]
    one_off: frozenset[date]
    recurring: frozenset[tuple[int, int]]
    country: tuple[str, str | None] | None
    start: int  # Unix seconds, whole minute
    start_dt: datetime  # the same instant, in a randomly chosen representation

    def calendar(self) -> BusinessCalendar:
        country, subdivision = self.country or (None, None)
        return BusinessCalendar(
            self.zone,
            self.hours,
            holidays=self.one_off,
            recurring_holidays=self.recurring,
            country=country,
            subdivision=subdivision,
        )

    def oracle(self) -> Oracle:
        return Oracle(self.zone, self.hours, self.one_off, self.recurring, self.country)

    def weekly_minutes(self) -> int:
        total = 0
        for spans in self.hours.values():
            covered: set[int] = set()
            for s, e in spans:
                covered.update(range(minutes(s), minutes(e)))
            total += len(covered)
        return total


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(
        st.one_of(
            st.sampled_from(TRANSITIONS[zone]),
            st.dates(date(2015, 1, 1), date(2030, 12, 31)),
        )
    )
    hours: dict[int, list[tuple[str, str]]] = {}
    for wd in range(7):
        spans = draw(st.lists(intervals(), max_size=3))
        if spans or draw(st.booleans()):
            hours[wd] = spans
    if not any(hours.values()):
        hours[draw(st.integers(0, 6))] = [draw(intervals())]
    near = st.integers(-3, 10).map(lambda k: anchor + timedelta(days=k))
    one_off = frozenset(draw(st.lists(near, max_size=3)))
    recurring = frozenset((d.month, d.day) for d in draw(st.lists(near, max_size=2)))
    country = COUNTRIES[zone] if draw(st.integers(0, 5)) == 0 else None
    midnight = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    start = ts(midnight) + 60 * draw(st.integers(-2 * 1440, 3 * 1440))
    representation = draw(st.sampled_from(["utc", "local", "fixed"]))
    start_dt = utc(start)
    if representation == "local":
        start_dt = start_dt.astimezone(ZoneInfo(zone))
    elif representation == "fixed":
        start_dt = start_dt.astimezone(timezone(timedelta(hours=-5, minutes=-30)))
    return Case(zone, hours, one_off, recurring, country, start, start_dt)


PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- properties against the oracle ----------------------------------------------------------------


@PROPS
@given(case=cases(), offsets=st.lists(st.integers(-1440, 4 * 1440), min_size=1, max_size=6))
def test_is_open_matches_oracle(case: Case, offsets: list[int]) -> None:
    cal, oracle = case.calendar(), case.oracle()
    for k in offsets:
        t = case.start + 60 * k
        assert cal.is_open(utc(t)) == oracle.open(t), utc(t).astimezone(ZoneInfo(case.zone))


@PROPS
@given(case=cases(), offsets=st.lists(st.integers(-1440, 3 * 1440), min_size=1, max_size=3))
def test_next_open_matches_oracle(case: Case, offsets: list[int]) -> None:
    cal, oracle = case.calendar(), case.oracle()
    for at in [case.start_dt] + [utc(case.start + 60 * k) for k in offsets]:
        got = cal.next_open(at)
        assert got.tzinfo is UTC
        assert ts(got) == oracle.next_open(ts(at))
        assert cal.is_open(got)
        assert cal.elapsed(at, got) == timedelta(0)


@PROPS
@given(case=cases(), span=st.integers(-60, 4 * 1440))
def test_elapsed_matches_oracle(case: Case, span: int) -> None:
    cal, oracle = case.calendar(), case.oracle()
    end = case.start + 60 * span
    expected = oracle.elapsed(case.start, end)
    assert cal.elapsed(case.start_dt, utc(end)) == timedelta(seconds=expected)


@PROPS
@given(case=cases(), data=st.data())
def test_add_matches_oracle(case: Case, data: st.DataObject) -> None:
    cal, oracle = case.calendar(), case.oracle()
    d = data.draw(st.integers(0, min(case.weekly_minutes(), 1440)), label="business minutes")
    got = cal.add(case.start_dt, d * MINUTE)
    assert got.tzinfo is UTC
    assert ts(got) == oracle.add(case.start, d)
    assert cal.elapsed(case.start_dt, got) == d * MINUTE
    if d:
        # Open, or exactly the end of an interval: the instant just before is always open.
        assert cal.is_open(got - US)
        assert cal.is_open(got) or oracle.open(ts(got) - 60)
    else:
        # Compare instants: PEP 495 makes == false across zones for a datetime in a fold.
        assert ts(got) == case.start


# -- algebraic properties (no oracle: larger ranges, sub-minute precision) -----------------------

fine_offsets = st.integers(-2 * 86400 * 10**6, 40 * 86400 * 10**6).map(
    lambda us: timedelta(microseconds=us)
)
durations = st.one_of(
    st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 200 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
)


@PROPS
@given(case=cases(), cuts=st.lists(fine_offsets, min_size=3, max_size=3))
def test_elapsed_is_additive(case: Case, cuts: list[timedelta]) -> None:
    cal = case.calendar()
    # Sort real instants (same-zone datetimes compare by wall time), then pass b as local time.
    a, b, c = sorted(utc(case.start) + x for x in cuts)
    b = b.astimezone(ZoneInfo(case.zone))
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert cal.elapsed(c, a) == timedelta(0)


@PROPS
@given(case=cases(), d1=durations, d2=durations, shift=fine_offsets)
def test_add_roundtrips_and_is_monotone(
    case: Case, d1: timedelta, d2: timedelta, shift: timedelta
) -> None:
    cal = case.calendar()
    s = case.start_dt + shift  # arbitrary microsecond, open or closed
    d1, d2 = sorted((d1, d2))
    r1, r2 = cal.add(s, d1), cal.add(s, d2)
    assert s <= r1 <= r2
    assert cal.elapsed(s, r1) == d1
    assert cal.elapsed(s, r2) == d2
    assert cal.elapsed(r1, r2) == d2 - d1
    if d1:
        assert cal.is_open(r1 - US)
        assert r1 > cal.next_open(s)
    # add() inverts elapsed() up to closed time before the end instant.
    e = s + (d2 - d1)
    back = cal.add(s, cal.elapsed(s, e))
    assert back <= e
    assert cal.elapsed(back, e) == timedelta(0)


# -- examples -----------------------------------------------------------------------------------


def day_length(cal: BusinessCalendar, y: int, m: int, d: int, zone: str) -> timedelta:
    nxt = date(y, m, d) + timedelta(days=1)
    return cal.elapsed(local(y, m, d, zone=zone), local(nxt.year, nxt.month, nxt.day, zone=zone))


def test_madrid_spring_forward_day_holds_23_hours() -> None:
    cal = BusinessCalendar("Europe/Madrid", ALL_DAY)
    assert day_length(cal, 2026, 3, 29, "Europe/Madrid") == timedelta(hours=23)
    assert day_length(cal, 2026, 3, 28, "Europe/Madrid") == timedelta(hours=24)
    # A whole-day add across the gap lands at the same wall time 23 real hours later.
    got = cal.add(local(2026, 3, 29), timedelta(hours=23))
    assert got == local(2026, 3, 30)


def test_madrid_fall_back_day_holds_25_hours() -> None:
    cal = BusinessCalendar("Europe/Madrid", ALL_DAY)
    assert day_length(cal, 2026, 10, 25, "Europe/Madrid") == timedelta(hours=25)
    assert cal.add(local(2026, 10, 25), timedelta(hours=25)) == local(2026, 10, 26)


def test_interval_inside_the_gap_holds_nothing_and_fold_counts_twice() -> None:
    sunday = 6
    gap = BusinessCalendar("Europe/Madrid", {sunday: [("02:00", "03:00")]})
    assert day_length(gap, 2026, 3, 29, "Europe/Madrid") == timedelta(0)
    assert day_length(gap, 2026, 3, 22, "Europe/Madrid") == timedelta(hours=1)
    straddle = BusinessCalendar("Europe/Madrid", {sunday: [("02:30", "04:00")]})
    assert day_length(straddle, 2026, 3, 29, "Europe/Madrid") == timedelta(hours=1)
    assert straddle.next_open(local(2026, 3, 29)) == local(2026, 3, 29, 3)
    fold = BusinessCalendar("Europe/Madrid", {sunday: [("02:30", "03:00")]})
    assert day_length(fold, 2026, 10, 25, "Europe/Madrid") == timedelta(hours=1)
    assert fold.is_open(local(2026, 10, 25, 2, 45, fold=0))
    assert fold.is_open(local(2026, 10, 25, 2, 45, fold=1))
    assert not fold.is_open(local(2026, 10, 25, 2, 15, fold=1))
    early = BusinessCalendar("Europe/Madrid", {sunday: [("01:00", "02:30")]})
    assert day_length(early, 2026, 10, 25, "Europe/Madrid") == timedelta(hours=2)


def test_friday_after_close_plus_one_hour_is_monday_ten() -> None:
    cal = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17)
    got = cal.add(local(2026, 5, 8, 17), timedelta(hours=1))  # Friday 17:00
    assert got.tzinfo is UTC
    assert got.astimezone(MADRID) == local(2026, 5, 11, 10)  # Monday 10:00


def test_result_at_interval_end_is_not_pushed_to_next_opening() -> None:
    cal = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17)
    friday_four = local(2026, 5, 8, 16)
    assert cal.add(friday_four, timedelta(hours=1)) == local(2026, 5, 8, 17)
    assert cal.next_open(local(2026, 5, 8, 17)) == local(2026, 5, 11, 9)
    assert cal.add(friday_four, timedelta(0)) == friday_four
    closed = local(2026, 5, 9, 12)  # Saturday
    assert cal.add(closed, timedelta(0)) == closed
    assert cal.add(closed, MINUTE) == local(2026, 5, 11, 9, 1)
    assert cal.next_open(local(2026, 5, 11, 9, 30)) == local(2026, 5, 11, 9, 30)


def test_overlapping_intervals_are_merged_and_days_join_at_midnight() -> None:
    cal = BusinessCalendar(
        "Europe/Madrid",
        {
            0: [("09:00", "12:00"), ("11:00", "13:00"), ("12:30", "14:00")],
            4: [("20:00", "24:00")],
            5: [("00:00", "04:00")],
        },
    )
    assert day_length(cal, 2026, 5, 11, "Europe/Madrid") == timedelta(hours=5)
    assert cal.add(local(2026, 5, 15, 22), timedelta(hours=4)) == local(2026, 5, 16, 2)
    assert cal.is_open(local(2026, 5, 16))


def test_holidays_one_off_recurring_and_country() -> None:
    one_off = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17, holidays=[date(2026, 5, 11)])
    assert not one_off.is_open(local(2026, 5, 11, 10))
    assert one_off.add(local(2026, 5, 8, 16), timedelta(hours=2)) == local(2026, 5, 12, 10)

    recurring = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17, recurring_holidays=[(12, 24)])
    for year in (2025, 2026, 2030):
        assert not recurring.is_open(local(year, 12, 24, 10)) or date(year, 12, 24).weekday() > 4
    assert day_length(recurring, 2026, 12, 24, "Europe/Madrid") == timedelta(0)
    assert day_length(recurring, 2026, 12, 23, "Europe/Madrid") == timedelta(hours=8)

    spain = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17, country="ES")
    assert not spain.is_open(local(2026, 1, 1, 10))  # Thursday, Año Nuevo
    assert not spain.is_open(local(2026, 1, 6, 10))  # Tuesday, Epifanía
    assert spain.is_open(local(2026, 1, 7, 10))
    assert spain.add(local(2025, 12, 31, 16), timedelta(hours=2)) == local(2026, 1, 2, 10)
    week = spain.elapsed(local(2026, 1, 5), local(2026, 1, 10))
    assert week == timedelta(hours=32)  # Mon-Fri minus Epiphany


def test_sao_paulo_midnight_transitions() -> None:
    cal = BusinessCalendar("America/Sao_Paulo", ALL_DAY)
    zone = "America/Sao_Paulo"
    # Fall back at Sunday 00:00 -> Saturday 23:00: Saturday holds 25 h.
    assert day_length(cal, 2018, 2, 17, zone) == timedelta(hours=25)
    assert day_length(cal, 2018, 2, 18, zone) == timedelta(hours=24)
    # Spring forward at 00:00 -> 01:00: the day holds 23 h.
    assert day_length(cal, 2018, 11, 4, zone) == timedelta(hours=23)


def test_tehran_had_dst_until_2022() -> None:
    zone = "Asia/Tehran"
    cal = BusinessCalendar(zone, ALL_DAY)
    assert day_length(cal, 2021, 3, 22, zone) == timedelta(hours=23)
    assert day_length(cal, 2021, 9, 21, zone) == timedelta(hours=25)
    assert day_length(cal, 2024, 3, 22, zone) == timedelta(hours=24)
    assert day_length(cal, 2024, 9, 21, zone) == timedelta(hours=24)
    office = BusinessCalendar(zone, {d: [("08:00", "16:00")] for d in (5, 6, 0, 1, 2)})
    start = local(2024, 6, 5, 15, zone=zone)  # Wednesday; Thu/Fri closed
    assert office.add(start, timedelta(hours=2)) == local(2024, 6, 8, 9, zone=zone)


def test_buenos_aires_has_no_dst() -> None:
    zone = "America/Argentina/Buenos_Aires"
    cal = BusinessCalendar(zone, WEEKDAYS_9_TO_17)
    for month in range(1, 13):
        monday = date(2026, month, 1) + timedelta(days=-date(2026, month, 1).weekday() + 7)
        start = local(monday.year, monday.month, monday.day, zone=zone)
        assert cal.elapsed(start, start + timedelta(days=7)) == timedelta(hours=40)
    got = cal.add(local(2026, 7, 3, 16, zone=zone), timedelta(hours=3))
    assert got == local(2026, 7, 6, 11, zone=zone)
    assert got.utcoffset() == timedelta(0)


def test_one_year_add_round_trips() -> None:
    cal = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17, country="ES")
    start = local(2026, 1, 2, 9)
    year = cal.elapsed(start, local(2027, 1, 2, 9))
    assert timedelta(hours=8 * 240) < year < timedelta(hours=8 * 262)
    assert cal.add(start, year) == local(2026, 12, 31, 17)


def test_microseconds_are_kept() -> None:
    cal = BusinessCalendar("UTC", ALL_DAY)
    start = datetime(2026, 1, 1, 0, 0, 0, 123, tzinfo=UTC)
    assert cal.add(start, timedelta(microseconds=5)) == start + timedelta(microseconds=5)
    assert cal.elapsed(start, start + timedelta(seconds=1, microseconds=1)) == timedelta(
        seconds=1, microseconds=1
    )


def test_naive_datetimes_and_negative_durations_raise() -> None:
    cal = BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17)
    naive = datetime(2026, 5, 8, 10)
    aware = local(2026, 5, 8, 10)
    with pytest.raises(ValueError):
        cal.add(naive, MINUTE)
    with pytest.raises(ValueError):
        cal.elapsed(naive, aware)
    with pytest.raises(ValueError):
        cal.elapsed(aware, naive)
    with pytest.raises(ValueError):
        cal.is_open(naive)
    with pytest.raises(ValueError):
        cal.next_open(naive)
    with pytest.raises(ValueError):
        cal.add(aware, -MINUTE)


@pytest.mark.parametrize(
    "hours",
    [
        {0: [("9:00", "17:00")]},
        {0: [("09:00", "25:00")]},
        {0: [("09:60", "17:00")]},
        {0: [("24:00", "24:00")]},
        {0: [("09:00", "24:01")]},
        {0: [("09:00", "09:00")]},
        {0: [("17:00", "09:00")]},
        {0: [("09:00",)]},
        {0: [(9, 17)]},
        {7: [("09:00", "17:00")]},
        {},
        {0: [], 3: []},
    ],
)
def test_bad_hours_raise(hours: dict) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("Europe/Madrid", hours)


def test_bad_zone_holiday_or_country_raise() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("Mars/Olympus_Mons", WEEKDAYS_9_TO_17)
    with pytest.raises(ValueError):
        BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17, recurring_holidays=[(2, 30)])
    with pytest.raises(ValueError):
        BusinessCalendar("Europe/Madrid", WEEKDAYS_9_TO_17, country="XX")


def test_calendar_without_any_business_time_raises_instead_of_looping() -> None:
    every_day = [(m, d) for m in range(1, 13) for d in range(1, 32) if _valid(m, d)]
    cal = BusinessCalendar("UTC", ALL_DAY, recurring_holidays=every_day)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        cal.add(start, MINUTE)
    with pytest.raises(ValueError):
        cal.next_open(start)
    assert cal.elapsed(start, start + timedelta(days=30)) == timedelta(0)


def _valid(month: int, day: int) -> bool:
    try:
        date(2000, month, day)
    except ValueError:
        return False
    return True
