"""Issue 10, point 5: notes, interactions, time entries and tasks append without the
version guard (all concurrent appends succeed, one event each, events == version), and a
conflict says what actually happened."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import CaseTaken, StaleVersion
from casedesk.models import Case, CaseEvent, TimeEntry
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, interactions, tasks, transitions
from casedesk.services.workflow.changes import explain_conflict
from tests.conftest import World

THREADS = 10
EACH = 3


def _events_and_version(world: World, case_id: int) -> tuple[int, int]:
    with read_session(world.desk.engine) as s:
        events = s.execute(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
        ).scalar_one()
        version = s.execute(select(Case.version).where(Case.id == case_id)).scalar_one()
    return events, version


def test_concurrent_appends_all_succeed(world: World) -> None:
    """THREADS agents at once, each adding notes, calls and time to the same case."""
    c = cases.create_case(world.desk, world.ana, title="busy case", queue="technical",
                          contact_id=world.contact_id)
    actors = [world.ana, world.luis, world.sup]
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(i: int) -> None:
        actor = actors[i % len(actors)]
        barrier.wait()
        try:
            for j in range(EACH):
                kind = (i + j) % 3
                if kind == 0:
                    cases.add_note(world.desk, actor, c.number, f"note {i}.{j}")
                elif kind == 1:
                    interactions.log_interaction(world.desk, actor, channel="phone",
                                                 direction="inbound", case=c.number,
                                                 subject=f"call {i}.{j}")
                else:
                    cases.log_time(world.desk, actor, c.number, 5, f"time {i}.{j}")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    events, version = _events_and_version(world, c.id)
    assert version == 1 + THREADS * EACH
    assert events == version
    with read_session(world.desk.engine) as s:
        kinds = dict(s.execute(select(CaseEvent.kind, func.count()).where(
            CaseEvent.case_id == c.id).group_by(CaseEvent.kind)).all())
        minutes = s.execute(select(func.sum(TimeEntry.minutes))).scalar_one()
    assert kinds.pop("create") == 1 and sum(kinds.values()) == THREADS * EACH
    assert minutes == 5 * kinds["time"]


def test_a_note_needs_no_fresh_version(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    transitions.start(world.desk, world.ana, c.number)
    cases.add_note(world.desk, world.ana, c.number, "seen at version 1, still added")
    tasks.add_task(world.desk, world.ana, title="llamar", case=c.number)
    got = reads.get_case(world.desk, c.number)
    assert got.version == 4 and _events_and_version(world, c.id) == (4, 4)


def test_stale_update_says_who_changed_what(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    transitions.start(world.desk, world.ana, c.number)
    world.desk.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]
    transitions.resolve(world.desk, world.sup, c.number, "solved", "done")
    world.desk.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]
    with pytest.raises(StaleVersion) as err:
        cases.update_case(world.desk, world.ana, c.number, version=2, title="late edit")
    assert str(err.value) == (
        "CS-000001 was changed by María López 2 s ago: status in progress → resolved; "
        "reload it and try again"
    )


def test_several_missed_changes_are_counted(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    cases.update_case(world.desk, world.ana, c.number, version=1, priority="high")
    cases.add_note(world.desk, world.luis, c.number, "n")
    with pytest.raises(StaleVersion, match=r"by Luis Romero 0 s ago: added a note \(1 more "
                                           r"change before that\); reload it"):
        cases.update_case(world.desk, world.ana, c.number, version=1, title="y")


def test_status_change_on_owned_case_is_not_taken(world: World) -> None:
    """The old message said "taken by" for any conflict on an owned case."""
    c = cases.create_case(world.desk, world.ana, title="x")  # in ana's bin
    with read_session(world.desk.engine) as s:
        seen = s.execute(select(Case).where(Case.id == c.id)).scalar_one()
    transitions.start(world.desk, world.sup, c.number)
    with read_session(world.desk.engine) as s:
        error = explain_conflict(s, c.id, world.sup, world.desk.now(), seen.version,
                                 seen_owner_id=seen.owner_id)
    assert isinstance(error, StaleVersion) and not isinstance(error, CaseTaken)
    assert "status new → in progress" in str(error) and "taken" not in str(error)
    transitions.assign(world.desk, world.sup, c.number, "luis")
    with read_session(world.desk.engine) as s:
        error = explain_conflict(s, c.id, world.ana, world.desk.now(), seen.version,
                                 seen_owner_id=seen.owner_id)
    assert isinstance(error, CaseTaken) and "taken by Luis Romero" in str(error)


def test_lost_stale_status_change_explains_the_status(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    transitions.start(world.desk, world.ana, c.number)
    transitions.wait(world.desk, world.sup, c.number, version=2)
    with pytest.raises(StaleVersion, match="status in progress → awaiting customer"):
        transitions.resolve(world.desk, world.ana, c.number, "solved", "x", version=2)


def test_stale_changes_name_the_owner_and_queue_moves(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="technical")
    transitions.accept(world.desk, world.ana, c.number)
    transitions.yank(world.desk, world.sup, c.number)
    with pytest.raises(StaleVersion, match="by María López 0 s ago: owner Ana García → none; "):
        transitions.start(world.desk, world.sup, c.number, version=2)
    transitions.transfer(world.desk, world.sup, c.number, "billing")
    with pytest.raises(StaleVersion, match="queue technical → billing"):
        transitions.start(world.desk, world.sup, c.number, version=3)
