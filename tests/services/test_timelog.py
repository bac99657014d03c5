"""Time on cases, on both databases: kinds, totals with child cases at any depth, per
agent per day in the agent's own zone across a daylight-saving change, and calls that log
their time on the line and after the call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from casedesk.clock import FrozenClock
from casedesk.db import read_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.models import Case, CaseEvent, Interaction, TimeEntry
from casedesk.services.directory import staff
from casedesk.services.workflow import cases, timelog
from tests.conftest import World


def _versions_match(world: World) -> None:
    with read_session(world.desk.engine) as s:
        for case in s.execute(select(Case)).scalars():
            count = s.execute(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.case_id == case.id)).scalar_one()
            assert count == case.version, case.number


def test_totals_include_children_at_any_depth(world: World) -> None:
    parent = cases.create_case(world.desk, world.ana, title="Caída general")
    child = cases.create_case(world.desk, world.ana, title="Cliente 1", parent=parent.number)
    grandchild = cases.create_case(world.desk, world.luis, title="Cliente 1 bis",
                                   parent=child.number)
    other = cases.create_case(world.desk, world.ana, title="Sin relación")
    timelog.log_time(world.desk, world.ana, parent.number, 10, "coordinación")
    timelog.log_time(world.desk, world.ana, child.number, 15)
    timelog.log_time(world.desk, world.luis, grandchild.number, 7)
    timelog.log_time(world.desk, world.ana, other.number, 99)
    total = timelog.case_time(world.desk, parent.number)
    assert (total.own_minutes, total.children_minutes, total.total_minutes) == (10, 22, 32)
    assert total.children == [child.label, grandchild.label]
    assert total.by_kind == {"work": 32}
    assert [(a.login, a.minutes) for a in total.by_agent] == [("ana", 25), ("luis", 7)]
    assert [e.minutes for e in total.entries] == [10]
    leaf = timelog.case_time(world.desk, grandchild.number)
    assert (leaf.own_minutes, leaf.children_minutes, leaf.children) == (7, 0, [])
    _versions_match(world)


def test_logging_time_is_checked_and_the_old_name_still_works(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Router")
    for bad in (0, -3, 1441, True):
        with pytest.raises(ValidationError):
            timelog.add_time(world.desk, world.ana, c.number, bad)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        timelog.add_time(world.desk, world.carmen, c.number, 5)
    with pytest.raises(NotFound):
        timelog.case_time(world.desk, "CS-999999")
    detail = cases.log_time(world.desk, world.ana, c.number, 5, "via cases")
    assert detail.version == c.version + 1
    assert timelog.case_time(world.desk, c.number).own_minutes == 5


def test_time_per_agent_per_day_across_a_dst_change(world: World, clock: FrozenClock) -> None:
    staff.add_agent(world.desk, world.admin, login="utc", name="Agente UTC", timezone="UTC",
                    queues=["technical"])
    utc_agent = world.desk.actor("utc")
    c = cases.create_case(world.desk, world.ana, title="Noche larga", queue="technical")
    # 2026-03-29 in Madrid has 23 hours: 2026-03-28T23:00Z … 2026-03-29T22:00Z
    at = [datetime(2026, 3, 28, 22, 30, tzinfo=UTC),  # Madrid 28th 23:30
          datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # Madrid 29th 00:30 (CET)
          datetime(2026, 3, 29, 21, 30, tzinfo=UTC),  # Madrid 29th 23:30 (CEST)
          datetime(2026, 3, 29, 22, 30, tzinfo=UTC)]  # Madrid 30th 00:30
    for i, moment in enumerate(at):
        clock.set(moment)
        timelog.log_time(world.desk, world.ana, c.number, 10 + i)
        timelog.log_time(world.desk, utc_agent, c.number, 1)
    days = {d.login: d for d in timelog.time_per_day(world.desk, date(2026, 3, 29))}
    assert days["ana"].minutes == 11 + 12 and days["ana"].zone == "Europe/Madrid"
    assert [e.minutes for e in days["ana"].entries] == [11, 12]
    assert days["utc"].minutes == 2  # 29th 21:30Z and 22:30Z in UTC
    assert set(days) == {"ana", "utc"}  # nobody else logged anything
    start, end = timelog.day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Madrid"))
    assert end - start == timedelta(hours=23)
    luis = timelog.time_per_day(world.desk, date(2026, 3, 29), agent="luis")
    assert [(d.login, d.minutes, d.entries) for d in luis] == [("luis", 0, [])]
    with pytest.raises(NotFound):
        timelog.time_per_day(world.desk, date(2026, 3, 29), agent="nadie")
    october = timelog.day_bounds(date(2026, 10, 25), ZoneInfo("Europe/Madrid"))
    assert october[1] - october[0] == timedelta(hours=25)


def test_a_call_on_a_case_logs_handle_and_after_call_time(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Factura duplicada",
                          contact_id=world.contact_id)
    logged = timelog.log_call(
        world.desk, world.ana, wrap_seconds=61, case=c.label, channel="phone",
        subject="Llama otra vez", duration_seconds=245, contact_id=world.contact_id,
    )
    assert (logged.handle_minutes, logged.after_call_minutes) == (5, 2)
    with read_session(world.desk.engine) as s:
        interaction = s.get(Interaction, logged.interaction.id)
        assert interaction is not None and interaction.wrap_seconds == 61
        entries = list(s.execute(select(TimeEntry).order_by(TimeEntry.id)).scalars())
    assert [(e.kind, e.minutes, e.interaction_id) for e in entries] == [
        ("handle", 5, logged.interaction.id), ("after_call", 2, logged.interaction.id)]
    total = timelog.case_time(world.desk, c.number)
    assert total.by_kind == {"handle": 5, "after_call": 2}
    # logging the same call's time again adds nothing
    again = timelog.log_call_time(world.desk, world.ana, logged.interaction.id)
    assert (again.handle_minutes, again.after_call_minutes) == (0, 0)
    _versions_match(world)


def test_a_case_opened_from_a_call_gets_its_time(world: World) -> None:
    logged = timelog.log_call(world.desk, world.ana, wrap_seconds=0, channel="phone",
                              subject="Sin servicio", duration_seconds=59,
                              contact_id=world.contact_id)
    assert (logged.handle_minutes, logged.after_call_minutes) == (0, 0)  # on no case yet
    c = cases.create_case(world.desk, world.ana, title="Sin servicio",
                          contact_id=world.contact_id, from_interaction=logged.interaction.id)
    after = timelog.log_call_time(world.desk, world.ana, logged.interaction.id)
    assert (after.handle_minutes, after.after_call_minutes) == (1, 0)
    assert timelog.case_time(world.desk, c.number).by_kind == {"handle": 1}
    with pytest.raises(ValidationError):
        timelog.log_call(world.desk, world.ana, wrap_seconds=-1, channel="phone",
                         subject="x")
    _versions_match(world)


@given(st.integers(0, 7 * 24 * 3600))
def test_call_minutes_round_up(seconds: int) -> None:
    minutes = timelog.call_minutes(seconds)
    assert minutes * 60 >= seconds > (minutes - 1) * 60 or (seconds == 0 and minutes == 0)
