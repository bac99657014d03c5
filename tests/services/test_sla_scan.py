"""The SLA scan (idempotence, escalation, inactivity, auto-close, concurrency), the
explanations in words, and task deadlines, on both databases."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import InvalidTransition, PermissionDenied, ValidationError
from casedesk.models import Case, CaseEvent, Task
from casedesk.services import demo
from casedesk.services.queries import reads
from casedesk.services.queries.views import ScanReport
from casedesk.services.sla.clocks import ClockFacts, ClockState, Flag, TaskFlag
from casedesk.services.sla.explanations import clock_states, explain, targets_by_name
from casedesk.services.sla.scanner import run_periodically, scan
from casedesk.services.workflow import cases, interactions, tasks, transitions
from tests.conftest import T0, World
from tests.services.test_sla_lifecycle import at, events, row, sla_setup, utc


@pytest.fixture
def sw(world: World, tmp_path: Path) -> World:
    sla_setup(world, tmp_path)
    return world


def test_warning_then_breach_each_recorded_once(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x", queue="technical")
    assert scan(sw.desk).total == 0
    at(sw, T0 + timedelta(hours=3, minutes=30))  # past the 3 h 12 m warning
    first = scan(sw.desk)
    assert first.warnings == {"first_response": 1, "next_response": 0, "resolution": 0}
    assert first.total == 1 and scan(sw.desk).total == 0
    assert (
        clock_states(reads.get_case(sw.desk, c.number), sw.desk.now())["first_response"]
        == ClockState.warning
    )
    at(sw, T0 + timedelta(hours=4, minutes=1))
    second = scan(sw.desk)
    assert second.breaches["first_response"] == 1 and second.escalated == 1
    again = scan(sw.desk)
    assert again.total == 0 and again == ScanReport(at=again.at, seconds=again.seconds)
    kinds = [e.kind for e in events(sw, c.number)]
    assert kinds == ["create", "sla_warning", "sla_breach", "escalated"]
    r = row(sw, c.number)
    assert r.sla_flags & Flag.FIRST_RESPONSE_BREACHED and r.sla_flags & Flag.ESCALATED
    assert r.first_response_warn is None  # nothing more to check on this clock
    assert r.version == 2  # the escalation; recording the warning/breach does not bump it


def test_breach_found_late_records_no_warning(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x", queue="technical")
    at(sw, T0 + timedelta(days=1))
    report = scan(sw.desk)
    assert report.breaches["first_response"] == 1 and report.warnings["first_response"] == 0
    assert [e.kind for e in events(sw, c.number, "sla_warning")] == []
    assert row(sw, c.number).sla_flags & Flag.FIRST_RESPONSE_WARNED  # nothing left to warn


def test_escalation_raises_priority_moves_waiting_cases_and_flags(sw: World) -> None:
    waiting = cases.create_case(
        sw.desk, sw.ana, title="Caída", queue="technical", severity="critical"
    )
    owned = cases.create_case(
        sw.desk, sw.ana, title="Caída 2", queue="technical", severity="critical"
    )
    transitions.accept(sw.desk, sw.luis, owned.number)
    assert waiting.sla_policy == "critical"
    at(sw, T0 + timedelta(minutes=31))  # first response 30 m on madrid-extended
    report = scan(sw.desk)
    assert report.breaches["first_response"] == 2 and report.escalated == 2
    w = reads.get_case(sw.desk, waiting.number)
    assert (w.priority, w.queue, w.owner) == ("high", "escalations", None)
    assert w.sla_flags & Flag.ESCALATED and w.version == waiting.version + 1
    o = reads.get_case(sw.desk, owned.number)
    assert (o.priority, o.queue, o.owner) == ("high", "technical", "luis")
    event = events(sw, waiting.number, "escalated")[0]
    assert event.from_queue_id != event.to_queue_id and event.data["priority"] == [
        "medium",
        "high",
    ]
    assert "left in the owner's bin" in (events(sw, owned.number, "escalated")[0].note or "")
    assert scan(sw.desk).total == 0


def test_a_breach_is_never_unbreached(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x")
    at(sw, T0 + timedelta(hours=5))
    assert scan(sw.desk).breaches["first_response"] == 1
    current = reads.get_case(sw.desk, c.number)
    # a priority change recomputes the deadlines; the breach stays recorded
    cases.update_case(sw.desk, sw.ana, c.number, version=current.version, priority="low")
    assert scan(sw.desk).total == 0
    r = row(sw, c.number)
    assert r.sla_flags & Flag.FIRST_RESPONSE_BREACHED and r.first_response_warn is None
    assert clock_states(r, sw.desk.now())["first_response"] == ClockState.breached
    assert len(events(sw, c.number, "sla_breach")) == 1


def test_inactivity_alert_rearms_on_activity(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x", queue="billing")  # 4 h inactivity
    transitions.accept(sw.desk, sw.ana, c.number)
    at(sw, T0 + timedelta(hours=4, minutes=1))
    assert scan(sw.desk).inactive == 1
    assert scan(sw.desk).inactive == 0
    assert clock_states(row(sw, c.number), sw.desk.now())["inactivity"] == ClockState.breached
    cases.add_note(sw.desk, sw.ana, c.number, "called the customer")
    assert clock_states(row(sw, c.number), sw.desk.now())["inactivity"] == ClockState.ok
    at(sw, T0 + timedelta(hours=8, minutes=2))
    assert scan(sw.desk).inactive == 1
    assert len(events(sw, c.number, "inactive")) == 2


def test_autoclose_after_the_confirmation_period(sw: World) -> None:
    quiet = cases.create_case(sw.desk, sw.ana, title="quiet")
    answered = cases.create_case(sw.desk, sw.ana, title="answered")
    at(sw, T0 + timedelta(hours=1))
    transitions.resolve(sw.desk, sw.ana, quiet.number, "solved", "done")
    transitions.resolve(sw.desk, sw.ana, answered.number, "solved", "done")
    at(sw, T0 + timedelta(days=3))
    transitions.reopen(sw.desk, sw.ana, answered.number, note="still failing")
    at(sw, T0 + timedelta(days=7, minutes=59))
    assert scan(sw.desk).autoclosed == 0
    at(sw, T0 + timedelta(days=7, hours=1))  # resolved + 7 days
    assert scan(sw.desk).autoclosed == 1
    q = reads.get_case(sw.desk, quiet.number)
    assert q.status == "closed" and q.closed_at == sw.desk.now() and q.autoclose_due is None
    (event,) = events(sw, quiet.number, "autoclose")
    assert (event.from_status, event.to_status, event.actor_id) == ("resolved", "closed", None)
    assert reads.get_case(sw.desk, answered.number).status == "in_progress"
    assert scan(sw.desk).total == 0


def test_concurrent_scans_record_each_breach_once(sw: World) -> None:
    demo.generate_cases(sw.desk, 300, days=3)
    at(sw, T0 + timedelta(days=2))
    reports: list[ScanReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            reports.append(scan(sw.desk, chunk=25))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(reports) == 2
    with read_session(sw.desk.engine) as s:
        recorded = s.execute(
            select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.data).where(
                CaseEvent.kind.in_(("sla_warning", "sla_breach", "inactive", "escalated"))
            )
        ).all()
    keys = Counter((cid, kind, (data or {}).get("clock")) for cid, kind, data in recorded)
    assert keys and max(keys.values()) == 1
    breaches = sum(sum(r.breaches.values()) for r in reports)
    assert breaches == sum(1 for _, kind, _ in keys if kind == "sla_breach")
    assert scan(sw.desk).total == 0


def test_explain_says_where_each_clock_stands(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="Factura", queue="billing")
    transitions.accept(sw.desk, sw.ana, c.number)
    at(sw, T0 + timedelta(minutes=10))
    interactions.log_interaction(
        sw.desk, sw.ana, channel="email", direction="outbound", case=c.number
    )
    at(sw, T0 + timedelta(hours=1))  # Mon 10:00
    transitions.wait(sw.desk, sw.ana, c.number)
    at(sw, T0 + timedelta(hours=1, minutes=30))
    paused = explain(sw.desk, c.number)
    assert paused.sentence.startswith("resolution paused awaiting customer, 59 h 00 m")
    assert paused.sentence.endswith("; paused 30 m awaiting customer")
    at(sw, T0 + timedelta(hours=2, minutes=5))  # Mon 11:05: paused 1 h 05 m
    transitions.resume(sw.desk, sw.ana, c.number)
    at(sw, utc(2026, 3, 9, 16, 55))  # Mon 9 March, 17:55 Madrid
    result = explain(sw.desk, c.number)
    # 60 h + 1 h 05 m from Mon 2 March 09:00 on 09–19 Mon–Fri: Tue 10 March 10:05
    assert result.sentence == (
        "resolution due Tue 10:05, 2 h 10 m business time left (warning); "
        "paused 1 h 05 m awaiting customer"
    )
    by_kind = {line.kind: line for line in result.clocks}
    assert by_kind["first_response"].state == "met"
    assert by_kind["first_response"].text == (
        "first response: met Mon 02 Mar 09:10 (due Mon 02 Mar 10:00)"
    )
    assert by_kind["resolution"].state == "warning" and by_kind["resolution"].left_seconds == 7800
    assert result.timezone == "Europe/Madrid" and result.policy == "office"


def test_explain_breached_and_stopped(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x")
    at(sw, T0 + timedelta(hours=5, minutes=30))  # Mon 14:30 Madrid, at lunch
    assert explain(sw.desk, c.number).sentence == (
        "first response breached: due Mon 13:00, 1 h 00 m business time ago"
    )
    at(sw, T0 + timedelta(hours=7))  # Mon 16:00: 2 h over (14–15 is not business time)
    assert explain(sw.desk, c.number).sentence == (
        "first response breached: due Mon 13:00, 2 h 00 m business time ago"
    )
    transitions.resolve(sw.desk, sw.ana, c.number, "solved", "done")
    done = explain(sw.desk, c.number)
    assert done.sentence == "CS-000001 is resolved: first response breached, resolution met"
    assert [line.kind for line in done.clocks][-1] == "autoclose"


def test_clock_states_is_pure_and_uses_targets_for_warnings(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x", queue="technical")
    detail = reads.get_case(sw.desk, c.number)
    (row_,) = reads.inbox(sw.desk, "technical").rows
    soon = T0 + timedelta(hours=3, minutes=30)
    # without targets or a scan, a CaseDetail cannot know the warning threshold …
    assert clock_states(detail, soon)["first_response"] == ClockState.ok
    # … with the policy's targets (loaded once) it can, for a CaseRow too
    targets = targets_by_name(sw.desk)[detail.sla_policy]
    assert clock_states(detail, soon, targets)["first_response"] == ClockState.warning
    assert clock_states(row_, soon, targets)["first_response"] == ClockState.warning
    assert clock_states(row_, T0 + timedelta(hours=5))["first_response"] == ClockState.breached
    facts = ClockFacts(created_at=T0, status="awaiting_customer", resolution_due=T0)
    assert clock_states(facts, T0 + timedelta(days=9)) == {"resolution": ClockState.paused}


def test_task_deadlines_warnings_breaches_and_completion(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="Factura", queue="billing")
    transitions.accept(sw.desk, sw.ana, c.number)
    at(sw, utc(2026, 3, 2, 17))  # Mon 18:00 Madrid on the 09–19 calendar
    t = tasks.add_task(sw.desk, sw.ana, title="Pedir copia", case=c.number, due_in="2h")
    assert t.due_at == utc(2026, 3, 3, 9)  # 1 h Monday + 1 h Tuesday: Tue 10:00 Madrid
    assert t.state == "ok" and t.case == c.label and t.assignee == "ana"
    with read_session(sw.desk.engine) as s:
        warn_at = s.get(Task, t.id).warn_at  # type: ignore[union-attr]
    assert warn_at == utc(2026, 3, 3, 8, 36)  # 80 % of 2 h: Tue 09:36
    # standalone: 24×7, so its warning is at 80 % of 27 real hours (Tue 14:36 UTC)
    on_time = tasks.add_task(sw.desk, sw.ana, title="Llamar", due_at=utc(2026, 3, 3, 20))
    assert on_time.case is None
    at(sw, utc(2026, 3, 3, 8, 40))
    assert scan(sw.desk).task_warnings == 1
    assert [e.note for e in events(sw, c.number, "sla_warning")] == ["task “Pedir copia” warning"]
    at(sw, utc(2026, 3, 3, 9, 1))
    report = scan(sw.desk)
    assert report.task_breaches == 1 and scan(sw.desk).total == 0
    late = tasks.complete_task(sw.desk, sw.ana, t.id)
    assert late.state == "breached" and late.status == "done"
    # the case's own first response breached at the first scan; the task's is not recorded
    # a second time when it is completed late
    breaches = [e.data["clock"] for e in events(sw, c.number, "sla_breach")]
    assert breaches == ["first_response", "task"]
    assert tasks.complete_task(sw.desk, sw.ana, on_time.id).state == "met"
    with pytest.raises(InvalidTransition):
        tasks.complete_task(sw.desk, sw.ana, on_time.id)
    assert tasks.list_tasks(sw.desk) == []
    assert [x.id for x in tasks.list_tasks(sw.desk, include_done=True)] == [t.id, on_time.id]
    assert [e.kind for e in events(sw, c.number, "task")] == ["task", "task"]


def test_task_rules(sw: World) -> None:
    c = cases.create_case(sw.desk, sw.ana, title="x", queue="billing")
    with pytest.raises(PermissionDenied):
        tasks.add_task(sw.desk, sw.luis, title="y", case=c.number)  # not in billing
    with pytest.raises(ValidationError):
        tasks.add_task(sw.desk, sw.ana, title="y", due_at=T0 - timedelta(hours=1))
    with pytest.raises(ValidationError):
        tasks.add_task(sw.desk, sw.ana, title="y", due_in="2h", due_at=T0 + timedelta(hours=2))
    t = tasks.add_task(sw.desk, sw.ana, title="y", case=c.number, assignee="maria")
    assert t.due_at is None and t.state is None
    with pytest.raises(PermissionDenied):
        tasks.complete_task(sw.desk, sw.luis, t.id)
    at(sw, T0 + timedelta(hours=5))  # the office policy's 4 h inactivity applies to tasks
    assert scan(sw.desk).inactive_tasks == 1
    with read_session(sw.desk.engine) as s:
        flags = s.execute(select(Task.sla_flags).where(Task.id == t.id)).scalar_one()
        total = s.execute(select(func.count()).select_from(Case)).scalar_one()
    assert flags & TaskFlag.INACTIVE and total == 1


def test_no_policy_means_no_clocks(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    result = explain(world.desk, c.number)
    assert result.clocks == [] and result.sentence == "CS-000001 has no SLA policy: no deadlines"
    at(world, T0 + timedelta(days=30))
    assert scan(world.desk).total == 0


def test_run_periodically_until_stopped(sw: World) -> None:
    cases.create_case(sw.desk, sw.ana, title="x")
    at(sw, T0 + timedelta(days=1))
    stop = threading.Event()
    seen: list[ScanReport] = []

    def collect(report: ScanReport) -> None:
        seen.append(report)
        if len(seen) == 2:
            stop.set()

    worker = threading.Thread(
        target=run_periodically, args=(sw.desk, stop), kwargs={"every": 0.01, "on_report": collect}
    )
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert [r.total > 0 for r in seen] == [True, False]
