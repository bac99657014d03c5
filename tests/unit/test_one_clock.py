"""One clock: the countdown arithmetic lists and the case screen share (business time on a
calendar, signed), and the due wall time beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from casedesk.i18n import set_language
from casedesk.services.sla.calendar import BusinessCalendar
from casedesk.services.sla.clocks import ALWAYS_OPEN
from casedesk.widgets.sla import business_left, due_wall

OFFICE = BusinessCalendar("Europe/Madrid", {d: [("09:00", "14:00"), ("15:00", "19:00")]
                                             for d in range(5)})
_T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
instants = st.integers(min_value=-10 * 24 * 60, max_value=30 * 24 * 60).map(
    lambda m: _T0 + timedelta(minutes=m))


@given(instants, instants)
def test_overdue_is_the_negative_of_left(now: datetime, due: datetime) -> None:
    left = business_left(OFFICE, now, due)
    assert left == -business_left(OFFICE, due, now)
    assert (left > timedelta(0)) <= (due > now)
    assert abs(left) <= abs(due - now)  # business time never runs faster than the wall


@given(instants, instants)
def test_on_an_always_open_calendar_business_time_is_wall_time(now: datetime,
                                                               due: datetime) -> None:
    assert business_left(ALWAYS_OPEN, now, due) == due - now


def test_the_due_wall_time_is_in_the_agents_zone() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    due = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    assert due_wall(due, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), madrid) == "17:00"
    assert due_wall(due, datetime(2026, 3, 1, 9, 0, tzinfo=UTC), madrid) == "02 Mar"
    set_language("es")
    assert due_wall(due, datetime(2026, 3, 1, 9, 0, tzinfo=UTC), madrid) == "02/03"


@given(st.integers(min_value=-10**7, max_value=10**7))
def test_a_business_countdown_counts_hours_never_days(seconds: int) -> None:
    from casedesk.durations import countdown

    text = countdown(timedelta(seconds=seconds), days=False)
    assert "d" not in text
    assert text.startswith("-") == (seconds < 0)
    if abs(seconds) >= 3600:
        hours, minutes = text.lstrip("-").split()
        assert int(hours.rstrip("h")) == abs(seconds) // 3600
        assert int(minutes.rstrip("m")) == abs(seconds) % 3600 // 60
