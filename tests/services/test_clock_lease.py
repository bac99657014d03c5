"""The clock that runs by itself: the lease, exactly one run per tick, take-over when the
holder dies, the runner surviving bad ticks, and what the supervisor reads (both databases).

The in-process tests drive a frozen clock tick by tick; the process tests run three real
``python -m`` participants on the system clock with a half-second tick.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from casedesk.clock import FrozenClock
from casedesk.db import make_engine, read_session
from casedesk.models import Case, CaseEvent, ClockLease
from casedesk.services.context import Desk
from casedesk.services.queries import board, live
from casedesk.services.queries.views import ScanReport
from casedesk.services.sla import lease, policy_files
from casedesk.services.sla.lease import ClockRunner, claim_tick, tick_of
from casedesk.services.workflow import cases
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
TICK = 60.0


def _row(desk: Desk) -> ClockLease:
    with read_session(desk.engine) as session:
        row = lease.lease_row(session)
    assert row is not None
    return row


def _events_match_versions(desk: Desk) -> None:
    with read_session(desk.engine) as session:
        versions = dict(session.execute(select(Case.id, Case.version)).all())
        counted = dict(
            session.execute(
                select(CaseEvent.case_id, func.count()).group_by(CaseEvent.case_id)
            ).all()
        )
    assert versions, "the test made cases"
    assert all(counted.get(cid, 0) >= v for cid, v in versions.items())


def test_each_tick_runs_once_whoever_asks(desk: Desk, clock: FrozenClock) -> None:
    a = ClockRunner(desk, "ana", tick_seconds=TICK)
    b = ClockRunner(desk, "worker", tick_seconds=TICK)
    first = a.step()
    assert first is not None and first.by == a.who and first.tick == tick_of(clock.now(), TICK)
    assert a.step() is None, "the same tick never runs twice"
    assert b.step() is None, "another participant does not take a held lease"
    row = _row(desk)
    assert (row.holder, row.last_tick, row.last_run_by) == (a.who, first.tick, a.who)
    assert row.last_seconds is not None and row.last_report is not None
    assert row.last_report["total"] == 0 and row.last_report["tick_seconds"] == TICK

    clock.advance(timedelta(seconds=TICK))
    assert b.step() is None
    second = a.step()
    assert second is not None and second.tick == first.tick + 1
    a.close()
    b.close()


def test_two_holders_by_mistake_cannot_both_run_a_tick(desk: Desk, clock: FrozenClock) -> None:
    now = clock.now()
    assert claim_tick(desk, "sla", 100, "x", now)
    assert not claim_tick(desk, "sla", 100, "y", now), "the guarded UPDATE lets one claim"
    assert not claim_tick(desk, "sla", 99, "y", now), "an older tick never runs late"
    assert claim_tick(desk, "sla", 101, "y", now)
    assert _row(desk).last_run_by == "y"


def test_participants_with_different_intervals_never_run_a_tick_twice(
    desk: Desk, clock: FrozenClock
) -> None:
    clock.set(clock.now().replace(second=0, microsecond=0))
    now = clock.now()
    assert claim_tick(desk, "sla", tick_of(now, 5), "fast", now, 5)
    # A minute-long tick began before that run: it has run, although its number is smaller.
    assert not claim_tick(desk, "sla", tick_of(now, 60), "slow", now, 60)
    later = clock.advance(timedelta(seconds=60))
    assert claim_tick(desk, "sla", tick_of(later, 60), "slow", later, 60)
    assert not claim_tick(desk, "sla", tick_of(later, 60), "slow2", later, 60)
    assert not claim_tick(desk, "sla", tick_of(later, 5), "fast", later, 5)
    assert claim_tick(desk, "sla", tick_of(later, 5) + 1, "fast", later + timedelta(seconds=5), 5)


def _until_advisory_locks_freed(desk: Desk, seconds: float = 5.0) -> None:
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with desk.engine.connect() as conn:
            held = conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )).scalar_one()
        if not held:
            return
        time.sleep(0.02)
    raise AssertionError("the dead holder's advisory lock was never freed")


def test_a_dead_holder_is_replaced_within_two_ticks(desk: Desk, clock: FrozenClock) -> None:
    holder = ClockRunner(desk, "ana", tick_seconds=TICK)
    other = ClockRunner(desk, "worker", tick_seconds=TICK)
    ran = holder.step()
    assert ran is not None
    # The holder dies: its connection closes (PostgreSQL) and it renews nothing any more.
    holder.lease.forget()
    if desk.engine.dialect.name == "postgresql":
        _until_advisory_locks_freed(desk)  # the server ends a closed backend a moment later
    taken_at = None
    for ahead in (1, 2):
        clock.advance(timedelta(seconds=TICK))
        run = other.step()
        if run is not None:
            taken_at = ahead
            break
    assert taken_at is not None, "nobody took over within two ticks"
    if desk.engine.dialect.name == "postgresql":
        assert taken_at == 1, "a freed advisory lock is taken at the next tick"
    assert _row(desk).holder == other.who
    other.close()


def test_releasing_lets_another_take_over_at_once(desk: Desk, clock: FrozenClock) -> None:
    a = ClockRunner(desk, "ana", tick_seconds=TICK)
    b = ClockRunner(desk, "worker", tick_seconds=TICK)
    assert a.step() is not None
    a.close()
    assert _row(desk).holder is None
    clock.advance(timedelta(seconds=TICK))
    assert b.step() is not None
    assert _row(desk).holder == b.who
    b.close()


def test_a_tick_records_breaches_and_the_supervisor_reads_them(
    world: World, clock: FrozenClock
) -> None:
    desk = world.desk
    policy_files.load_defaults(desk)
    made = cases.create_case(desk, world.ana, title="Caída total", queue="technical",
                             severity="critical")
    before = live.change_token(desk)
    status = board.clock_status(desk, tick_seconds=TICK)
    assert status.late and "never run" in status.sentence

    clock.advance(timedelta(days=3))
    run = ClockRunner(desk, "worker", tick_seconds=TICK).step()
    assert run is not None and sum(run.report.breaches.values()) >= 1
    assert "breach" in run.line() and run.line().startswith(f"tick {run.tick} ran by ")
    assert live.change_token(desk) != before, "the workstations' poll sees the scan's events"
    _events_match_versions(desk)

    status = board.clock_status(desk, tick_seconds=TICK)
    assert not status.late and status.last_run_by == run.by
    assert "breach" in status.summary and run.by in status.sentence
    flagged = board.flagged_cases(desk)
    assert [c.label for c in flagged.escalated] == [made.label]
    assert flagged.escalated[0].priority == "high"
    assert [c.label for c in flagged.inactive] == [made.label]

    clock.advance(timedelta(seconds=2 * TICK + 1))
    late = board.clock_status(desk, tick_seconds=TICK)
    assert late.late and late.sentence.startswith("The SLA clock is late")


def test_flagged_lists_are_limited_and_skip_closed_cases(world: World, clock: FrozenClock) -> None:
    desk = world.desk
    policy_files.load_defaults(desk)
    for i in range(3):
        cases.create_case(desk, world.ana, title=f"Caso {i}", queue="technical",
                          severity="critical")
    clock.advance(timedelta(days=3))
    assert ClockRunner(desk, "worker", tick_seconds=TICK).step() is not None
    flagged = board.flagged_cases(desk, limit=2)
    assert len(flagged.escalated) == 2 and flagged.escalated_more
    assert flagged.escalated[0].label > flagged.escalated[1].label, "newest first"


def test_the_runner_survives_failing_ticks(desk: Desk) -> None:
    calls: list[str] = []

    def flaky(d: Desk, now: Any) -> ScanReport:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return ScanReport(at=now)

    live_desk = Desk(desk.engine)  # the system clock: real ticks of 0.2 s
    runs: list[int] = []
    runner = ClockRunner(live_desk, "worker", tick_seconds=0.2, job=flaky,
                         on_tick=lambda r: runs.append(r.tick))
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while len(runs) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive(), "the runner stops when told"
    assert len(calls) >= 3 and len(runs) >= 2, "a failed tick is retried at the next one"
    assert runs == sorted(set(runs))
    assert _row(desk).holder is None, "the lease is given up on stopping"


# --- real processes ---------------------------------------------------------------------


def _spawn(url: str, tick: float, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services.clock_worker", url, str(tick), str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _lines(proc: subprocess.Popen[str], timeout: float = 30) -> list[dict[str, Any]]:
    out, _ = proc.communicate(timeout=timeout)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _wait_ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = json.loads(proc.stdout.readline())
    return str(line["ready"])


def test_three_processes_run_each_tick_exactly_once(db_url: str) -> None:
    tick = 0.5
    procs = [_spawn(db_url, tick, 4.0) for _ in range(3)]
    outputs = [_lines(p) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    ran = [(line["tick"], line["by"]) for out in outputs for line in out if "tick" in line]
    ticks = [t for t, _ in ran]
    assert len(ticks) >= 3, f"the clock hardly ran: {ran}"
    assert len(ticks) == len(set(ticks)), f"a tick ran twice: {sorted(ran)}"
    engine = make_engine(db_url)
    try:
        row = _row(Desk(engine))
        assert row.last_tick == max(ticks)
        assert row.holder is None, "every participant gave the lease up on leaving"
    finally:
        engine.dispose()


def test_a_killed_holder_is_replaced_within_two_ticks(db_url: str) -> None:
    tick = 0.5
    engine = make_engine(db_url)
    desk = Desk(engine)
    first = _spawn(db_url, tick, 30.0)
    others: list[subprocess.Popen[str]] = []
    try:
        holder = _wait_ready(first)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with read_session(engine) as session:
                row = lease.lease_row(session)
            if row is not None and row.last_run_by == holder:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the first process never ran a tick")
        others = [_spawn(db_url, tick, 5.0) for _ in range(2)]
        names = [_wait_ready(p) for p in others]
        time.sleep(2 * tick)
        assert _row(desk).holder == holder, "a living holder keeps the lease"
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        killed_at = tick_of(desk.now(), tick)
        outputs = [_lines(p) for p in others]
        taken = sorted(line["tick"] for out in outputs for line in out if "tick" in line)
        assert taken, "nobody took the clock over"
        assert taken[0] <= killed_at + 2, (
            f"killed at tick {killed_at}, first taken over at {taken[0]}"
        )
        assert len(taken) == len(set(taken))
        assert _row(desk).last_run_by in names
    finally:
        for proc in [first, *others]:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        engine.dispose()
