"""Bulk work: one operation on several cases, each its own transaction and event (both DBs)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casedesk.db import read_session
from casedesk.errors import ValidationError
from casedesk.models import CaseEvent
from casedesk.services.queries import reads
from casedesk.services.workflow import bulk, cases, transitions
from tests.conftest import World


def _kinds(world: World, case_id: int) -> list[str]:
    with read_session(world.desk.engine) as s:
        return [e.kind for e in s.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                          .order_by(CaseEvent.id)).scalars()]


def _queued(world: World, n: int, queue: str = "technical") -> list[reads.CaseDetail]:
    return [cases.create_case(world.desk, world.ana, title=f"caso {i}", queue=queue)
            for i in range(n)]


def test_assign_many_one_event_each(world: World) -> None:
    made = _queued(world, 3)
    report = bulk.apply_to_many(world.desk, world.sup, [c.label for c in made], "assign",
                                agent="luis")
    assert report.done == [c.label for c in made] and report.refused == []
    for c in made:
        assert reads.get_case(world.desk, c.number).owner == "luis"
        assert _kinds(world, c.id) == ["create", "assign"]
    assert report.lines() == ["3 cases done"]


def test_agent_may_not_assign_every_case_refused_with_reason(world: World) -> None:
    made = _queued(world, 2)
    report = bulk.apply_to_many(world.desk, world.ana, [c.number for c in made], "assign",
                                agent="luis")
    assert report.done == []
    assert [label for label, _ in report.refused] == [c.label for c in made]
    assert all("supervisor" in why for _, why in report.refused)
    assert all(_kinds(world, c.id) == ["create"] for c in made)


def test_transfer_mixed_some_refused_others_go_on(world: World) -> None:
    a, b, c = _queued(world, 3)
    transitions.accept(world.desk, world.luis, b.number)  # b is in a bin, not a queue
    report = bulk.apply_to_many(world.desk, world.ana, [a.label, b.label, c.label, "CS-999999"],
                                "transfer", queue="billing")
    assert report.done == [a.label, c.label]
    refused = dict(report.refused)
    assert set(refused) == {b.label, "CS-999999"}
    assert reads.get_case(world.desk, a.number).queue == "billing"
    assert reads.get_case(world.desk, b.number).queue == "technical"
    assert _kinds(world, b.id) == ["create", "accept"]
    lines = report.lines()
    assert lines[0] == "2 cases done, 2 refused"
    assert any(line.startswith(f"{b.label}: ") for line in lines[1:])


def test_priority_and_duplicates_once(world: World) -> None:
    a, b = _queued(world, 2)
    cases.update_case(world.desk, world.ana, b.number, version=b.version, priority="high")
    report = bulk.apply_to_many(world.desk, world.ana, [a.label, a.number, b.label],
                                "priority", priority="high")
    assert report.done == [a.label]
    assert report.refused == [(b.label, f"{b.label} already has that priority")]
    assert reads.get_case(world.desk, a.number).priority == "high"
    assert _kinds(world, a.id) == ["create", "update"]


def test_resolve_then_close_only_what_the_owner_may(world: World) -> None:
    a, b = _queued(world, 2)
    transitions.accept(world.desk, world.luis, a.number)
    transitions.accept(world.desk, world.ana, b.number)
    report = bulk.apply_to_many(world.desk, world.luis, [a.label, b.label], "resolve",
                                resolution_type="solved", notes="reiniciado el router")
    assert report.done == [a.label] and [x for x, _ in report.refused] == [b.label]
    closed = bulk.apply_to_many(world.desk, world.luis, [a.label, b.label], "close")
    assert closed.done == [a.label] and len(closed.refused) == 1
    assert reads.get_case(world.desk, a.number).status == "closed"
    assert reads.get_case(world.desk, b.number).status != "closed"


@pytest.mark.parametrize(("operation", "args", "match"), [
    ("delete", {}, "unknown bulk operation"),
    ("assign", {}, "assign needs agent"),
    ("resolve", {"resolution_type": "solved", "notes": "  "}, "resolve needs notes"),
    ("priority", {"priority": "urgent"}, "priority must be one of"),
    ("close", {"queue": "billing"}, "close does not take queue"),
])
def test_bad_request_refused_before_any_case(world: World, operation: str,
                                             args: dict[str, str], match: str) -> None:
    (a,) = _queued(world, 1)
    with pytest.raises(ValidationError, match=match):
        bulk.apply_to_many(world.desk, world.sup, [a.label], operation, **args)
    assert _kinds(world, a.id) == ["create"]


def test_nothing_selected_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="select at least one case"):
        bulk.apply_to_many(world.desk, world.sup, [], "close")
