"""SLA deadlines through a case's life, on both databases.

T0 is Monday 2 March 2026, 09:00 in Madrid (08:00 UTC). The shipped ``standard`` policy
runs on ``madrid-office`` (Mon–Thu 09–14 + 15–19, Fri 08–15). The ``office`` policy
loaded here applies to the billing queue and runs on a plain 09–19 Mon–Fri calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from casedesk.clock import FrozenClock
from casedesk.db import read_session
from casedesk.models import Case, CaseEvent
from casedesk.services.directory import queue_setup
from casedesk.services.queries import reads
from casedesk.services.sla import policy_files
from casedesk.services.sla.clocks import FAR_FUTURE, ClockState, Flag
from casedesk.services.sla.explanations import clock_states
from casedesk.services.sla.scanner import scan
from casedesk.services.workflow import cases, interactions, transitions
from tests.conftest import T0, World

OFFICE = """
[[calendar]]
name = "nine-to-seven"
timezone = "Europe/Madrid"
hours = { mon = [["09:00", "19:00"]], tue = [["09:00", "19:00"]], wed = [["09:00", "19:00"]], \
thu = [["09:00", "19:00"]], fri = [["09:00", "19:00"]] }

[[policy]]
name = "office"
position = 5
calendar = "nine-to-seven"
match = { queue = "billing" }
first_response = "1h"
next_response = "2h"
resolution = "60h"
inactivity = "4h"
warning_percent = 80
autoclose = "3d"
escalation = { raise_priority = true, queue = "escalations", flag_supervisor = true }
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sla_setup(world: World, tmp_path: Path) -> None:
    """The shipped policies and calendars, the office policy, and an escalations queue."""
    policy_files.load_defaults(world.desk)
    path = tmp_path / "office.toml"
    path.write_text(OFFICE, encoding="utf-8")
    policy_files.load_file(world.desk, world.sup, path)
    queue_setup.add_queue(world.desk, world.admin, name="escalations", members=["maria"])


def at(world: World, when: datetime) -> None:
    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    clock.set(when)


def row(world: World, number: int) -> Case:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(Case.number == number)).scalar_one()


def events(world: World, number: int, kind: str | None = None) -> list[CaseEvent]:
    with read_session(world.desk.engine) as s:
        case_id = s.execute(select(Case.id).where(Case.number == number)).scalar_one()
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        if kind:
            stmt = stmt.where(CaseEvent.kind == kind)
        return list(s.execute(stmt).scalars())


def test_creation_deadlines_on_the_business_calendar(world: World, tmp_path: Path) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="Router", queue="technical")
    r = row(world, c.number)
    assert c.sla_policy == "standard"
    assert r.first_response_due == utc(2026, 3, 2, 12)  # 4 h: Mon 13:00 Madrid
    assert r.first_response_warn == utc(2026, 3, 2, 11, 12)  # 80 %: 3 h 12 m
    assert r.resolution_due == utc(2026, 3, 6, 11)  # 40 h: Fri 12:00 (Fri is 08–15)
    assert r.inactivity_due == utc(2026, 3, 3, 16)  # 16 h: Tue 17:00
    assert r.next_response_due is None
    assert r.due_at == r.first_response_due
    assert clock_states(c, T0) == {
        "first_response": ClockState.ok,
        "resolution": ClockState.ok,
        "inactivity": ClockState.ok,
    }


def test_priority_change_reevaluates_policy_keeping_paused_time(
    world: World, tmp_path: Path
) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x")
    at(world, T0 + timedelta(hours=1))
    transitions.wait(world.desk, world.ana, c.number)
    at(world, T0 + timedelta(hours=2))
    resumed = transitions.resume(world.desk, world.ana, c.number)
    assert resumed.paused_seconds == 3600
    assert resumed.resolution_due == utc(2026, 3, 6, 12)  # 40 h + 1 h paused
    high = cases.update_case(
        world.desk, world.ana, c.number, version=resumed.version, priority="high"
    )
    assert high.sla_policy == "high"
    assert high.paused_seconds == 3600
    # 16 h + 1 h from Mon 09:00: Mon 9 h, Tue 09–14 and 15–18 → Tue 18:00 Madrid
    assert high.resolution_due == utc(2026, 3, 3, 17)
    assert high.first_response_due == utc(2026, 3, 2, 9)


def test_policy_change_while_paused_measures_the_pause_on_the_new_calendar(
    world: World, tmp_path: Path
) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x")
    at(world, T0 + timedelta(hours=1))  # Mon 10:00
    transitions.wait(world.desk, world.ana, c.number)
    at(world, T0 + timedelta(hours=3))
    paused = reads.get_case(world.desk, c.number)
    crit = cases.update_case(
        world.desk, world.ana, c.number, version=paused.version, severity="critical"
    )
    assert crit.sla_policy == "critical" and crit.status == "awaiting_customer"
    assert crit.paused_at == T0 + timedelta(hours=1)  # the pause goes on
    assert clock_states(crit, T0 + timedelta(hours=3))["resolution"] == ClockState.paused
    at(world, T0 + timedelta(hours=5))  # Mon 14:00: 4 h paused on madrid-extended (08–22)
    resumed = transitions.resume(world.desk, world.ana, c.number)
    assert resumed.paused_seconds == 4 * 3600
    assert resumed.resolution_due == utc(2026, 3, 2, 20)  # 8 h + 4 h from 09:00 → 21:00


def test_customer_contact_starts_next_response_and_outbound_meets_it(
    world: World, tmp_path: Path
) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x", contact_id=world.contact_id)
    at(world, T0 + timedelta(minutes=30))
    interactions.log_interaction(
        world.desk, world.ana, channel="email", direction="outbound", case=c.number
    )
    r = row(world, c.number)
    assert r.first_response_at == T0 + timedelta(minutes=30)
    assert r.sla_flags & Flag.FIRST_RESPONSE_MET and r.first_response_warn is None
    assert r.next_response_due is None
    at(world, T0 + timedelta(hours=1))  # Mon 10:00: the customer writes
    interactions.log_interaction(world.desk, world.ana, channel="email", case=c.number)
    r = row(world, c.number)
    assert r.next_response_due == utc(2026, 3, 2, 18)  # 8 h: Mon 19:00 Madrid
    assert r.next_response_warn == utc(2026, 3, 2, 16, 24)  # 6 h 24 m
    assert r.due_at == r.next_response_due
    at(world, T0 + timedelta(hours=2))  # writing again does not restart it
    interactions.log_interaction(world.desk, world.ana, channel="phone", case=c.number)
    assert row(world, c.number).next_response_due == utc(2026, 3, 2, 18)
    at(world, T0 + timedelta(hours=3))
    interactions.log_interaction(
        world.desk, world.ana, channel="phone", direction="outbound", case=c.number
    )
    r = row(world, c.number)
    assert r.next_response_due is None and r.next_response_warn is None
    assert "next_response" not in clock_states(r, T0 + timedelta(hours=3))
    assert events(world, c.number, "sla_breach") == []


def test_customer_contact_on_a_resolved_case_starts_no_clock(world: World, tmp_path: Path
                                                             ) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x", contact_id=world.contact_id)
    interactions.log_interaction(
        world.desk, world.ana, channel="email", direction="outbound", case=c.number
    )
    at(world, T0 + timedelta(hours=1))
    transitions.resolve(world.desk, world.ana, c.number, "solved", "hecho")
    at(world, T0 + timedelta(hours=2))  # the customer calls to say thanks
    interactions.log_interaction(world.desk, world.ana, channel="phone", case=c.number)
    r = row(world, c.number)
    assert r.status == "resolved"
    assert r.next_response_due is None and r.next_response_warn is None
    assert r.due_at == FAR_FUTURE


def test_late_answers_record_one_breach_and_a_new_cycle_starts_clean(
    world: World, tmp_path: Path
) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x", contact_id=world.contact_id)
    at(world, T0 + timedelta(hours=5))  # first response was due at 13:00: late
    interactions.log_interaction(
        world.desk, world.ana, channel="email", direction="outbound", case=c.number
    )
    breaches = events(world, c.number, "sla_breach")
    assert [e.data["clock"] for e in breaches] == ["first_response"]
    assert row(world, c.number).sla_flags & Flag.FIRST_RESPONSE_BREACHED
    at(world, T0 + timedelta(hours=6))
    interactions.log_interaction(world.desk, world.ana, channel="email", case=c.number)
    at(world, T0 + timedelta(days=1, hours=5))  # Tue 14:00 Madrid: due at Tue 13:00
    assert scan(world.desk).breaches["next_response"] == 1
    interactions.log_interaction(
        world.desk, world.ana, channel="email", direction="outbound", case=c.number
    )
    assert len(events(world, c.number, "sla_breach")) == 2  # the scan's, not a second one
    interactions.log_interaction(world.desk, world.ana, channel="email", case=c.number)
    r = row(world, c.number)
    assert not r.sla_flags & (Flag.NEXT_RESPONSE_BREACHED | Flag.NEXT_RESPONSE_WARNED)
    assert r.sla_flags & Flag.FIRST_RESPONSE_BREACHED  # never un-breached
    assert clock_states(r, T0 + timedelta(days=1, hours=5))["next_response"] == ClockState.ok


def test_pause_over_a_weekend_moves_resolution_by_business_time_only(
    world: World, tmp_path: Path
) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="Factura", queue="billing")
    assert c.sla_policy == "office"
    # 60 h on 09–19 Mon–Fri from Mon 09:00: Fri 19:00 is 50 h, next Mon 19:00 is 60 h.
    assert c.resolution_due == utc(2026, 3, 9, 18)
    transitions.accept(world.desk, world.ana, c.number)
    at(world, utc(2026, 3, 6, 17))  # Friday 18:00 Madrid
    transitions.wait(world.desk, world.ana, c.number, note="waiting for the invoice copy")
    at(world, utc(2026, 3, 9, 9))  # Monday 10:00 Madrid: 1 h Friday + 1 h Monday
    r = transitions.resume(world.desk, world.ana, c.number)
    assert r.paused_seconds == 2 * 3600 and r.paused_at is None
    assert r.resolution_due == utc(2026, 3, 10, 10)  # moved by exactly 2 h: Tue 11:00


def test_paused_resolution_is_not_breached_by_the_scan(world: World, tmp_path: Path) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x", queue="billing")
    transitions.accept(world.desk, world.ana, c.number)
    interactions.log_interaction(
        world.desk, world.ana, channel="email", direction="outbound", case=c.number
    )
    at(world, T0 + timedelta(hours=1))
    transitions.wait(world.desk, world.ana, c.number)
    at(world, utc(2026, 3, 16, 8))  # a week after the stored due
    report = scan(world.desk)
    assert report.breaches["resolution"] == 0 and report.warnings["resolution"] == 0
    assert clock_states(row(world, c.number), utc(2026, 3, 16, 8))["resolution"] == "paused"
    r = transitions.resume(world.desk, world.ana, c.number)
    assert r.resolution_due > utc(2026, 3, 16, 8)
    assert scan(world.desk).breaches["resolution"] == 0


def test_resolve_records_met_or_breached_and_stops_the_clocks(world: World, tmp_path: Path) -> None:
    sla_setup(world, tmp_path)
    on_time = cases.create_case(world.desk, world.ana, title="a")
    late = cases.create_case(world.desk, world.ana, title="b")
    at(world, T0 + timedelta(hours=1))
    r = transitions.resolve(world.desk, world.ana, on_time.number, "solved", "done")
    assert r.sla_flags & Flag.RESOLUTION_MET and r.sla_flags & Flag.FIRST_RESPONSE_MET
    assert r.due_at == FAR_FUTURE and r.inactivity_due is None
    assert r.autoclose_due == T0 + timedelta(hours=1, days=7)
    assert clock_states(r, T0 + timedelta(days=30)) == {
        "first_response": ClockState.met,
        "resolution": ClockState.met,
    }
    assert events(world, on_time.number, "sla_breach") == []
    at(world, utc(2026, 3, 6, 12))  # Fri 13:00 Madrid, an hour after the resolution due
    r = transitions.resolve(world.desk, world.ana, late.number, "solved", "done")
    assert r.sla_flags & Flag.RESOLUTION_BREACHED and not r.sla_flags & Flag.RESOLUTION_MET
    assert sorted(e.data["clock"] for e in events(world, late.number, "sla_breach")) == [
        "first_response",
        "resolution",
    ]
    assert scan(world.desk).total == 0  # already recorded, clocks stopped


def test_resolving_while_paused_counts_the_pause(world: World, tmp_path: Path) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x", queue="billing")
    transitions.accept(world.desk, world.ana, c.number)
    at(world, T0 + timedelta(hours=1))
    transitions.wait(world.desk, world.ana, c.number)
    at(world, utc(2026, 3, 11, 8))  # past the stored due, but most of it was paused
    r = transitions.resolve(world.desk, world.ana, c.number, "solved", "the customer answered")
    assert r.sla_flags & Flag.RESOLUTION_MET
    assert r.resolution_due > utc(2026, 3, 11, 8)


def test_close_stops_clocks_and_reopen_does_not_count_the_closed_time(
    world: World, tmp_path: Path
) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x")
    at(world, T0 + timedelta(hours=1))
    transitions.resolve(world.desk, world.ana, c.number, "solved", "done")
    at(world, T0 + timedelta(hours=2))
    closed = transitions.close(world.desk, world.ana, c.number)
    assert closed.autoclose_due is None and closed.due_at == FAR_FUTURE
    assert closed.paused_at == T0 + timedelta(hours=2) and closed.paused_seconds == 3600
    at(world, T0 + timedelta(hours=5))  # Mon 14:00 Madrid
    assert scan(world.desk).total == 0
    reopened = transitions.reopen(world.desk, world.sup, c.number)
    assert reopened.paused_seconds == 4 * 3600  # resolved and closed: 10:00–14:00
    assert not reopened.sla_flags & Flag.RESOLUTION_MET
    assert reopened.resolution_due == utc(2026, 3, 9, 9)  # Fri 12:00 + 4 h → Mon 10:00
    assert clock_states(reopened, T0 + timedelta(hours=5))["resolution"] == ClockState.ok
