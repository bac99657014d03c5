"""The seven queue/WIP operations and the status machine, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import (
    CaseTaken,
    InvalidTransition,
    PermissionDenied,
    QueueEmpty,
    StaleVersion,
    ValidationError,
)
from casedesk.models import CaseEvent
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import World


def _events(world: World, case_id: int) -> list[CaseEvent]:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                              .order_by(CaseEvent.id)).scalars())


def test_create_into_queue_and_accept(world: World) -> None:
    c = cases.create_case(world.desk, world.luis, title="Router sin conexión",
                          queue="technical", contact_id=world.contact_id, priority="high")
    assert c.label == "CS-000001" and c.queue == "technical" and c.owner is None
    assert c.account == "Pérez Hogar"
    got = transitions.accept(world.desk, world.ana, c.number)
    assert got.owner == "ana" and got.version == c.version + 1
    kinds = [e.kind for e in _events(world, c.id)]
    assert kinds == ["create", "accept"]
    accept_event = _events(world, c.id)[-1]
    assert accept_event.from_owner_id is None and accept_event.to_owner_id == world.ana.id


def test_create_without_queue_lands_in_creators_bin(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Duda de factura")
    assert c.owner == "ana" and c.queue is None
    assert [r.label for r in reads.wip_bin(world.desk, world.ana.id)] == [c.label]


def test_accept_taken_case_names_the_holder(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="technical")
    transitions.accept(world.desk, world.luis, c.label)
    world.desk.clock.advance(__import__("datetime").timedelta(seconds=3))  # type: ignore[attr-defined]
    with pytest.raises(CaseTaken) as err:
        transitions.accept(world.desk, world.ana, c.label)
    assert str(err.value) == "CS-000001 was taken by Luis Romero 3 s ago"
    assert err.value.holder == "luis"
    assert [e.kind for e in _events(world, c.id)] == ["create", "accept"]


def test_accept_requires_membership(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="commercial")
    with pytest.raises(PermissionDenied, match="not a member of queue 'commercial'"):
        transitions.accept(world.desk, world.ana, c.number)


def test_next_takes_most_urgent(world: World) -> None:
    low = cases.create_case(world.desk, world.ana, title="low", queue="technical",
                            priority="low")
    world.desk.clock.advance(__import__("datetime").timedelta(minutes=1))  # type: ignore[attr-defined]
    cases.create_case(world.desk, world.ana, title="b", queue="technical")
    first = transitions.next_case(world.desk, world.luis, "technical")
    # with no SLA policy the oldest case is the most urgent (due_at ties, then id)
    assert first.number == low.number and first.owner == "luis"
    transitions.next_case(world.desk, world.luis, "technical")
    with pytest.raises(QueueEmpty):
        transitions.next_case(world.desk, world.luis, "technical")


def test_dispatch_reject_transfer(world: World) -> None:
    c = cases.create_case(world.desk, world.carmen, title="Alta de línea", queue="technical")
    with pytest.raises(ValidationError):
        transitions.reject(world.desk, world.ana, c.number, "  ")
    r = transitions.reject(world.desk, world.ana, c.number, "es comercial, no técnico")
    assert r.owner == "carmen"
    with pytest.raises(PermissionDenied):
        transitions.dispatch(world.desk, world.ana, c.number)
    d = transitions.dispatch(world.desk, world.carmen, c.number, "commercial")
    assert d.queue == "commercial" and d.owner is None
    with pytest.raises(PermissionDenied):
        transitions.transfer(world.desk, world.ana, c.number, "billing")
    t = transitions.transfer(world.desk, world.carmen, c.number, "billing")
    assert t.queue == "billing"
    t2 = transitions.transfer(world.desk, world.sup, c.number, "technical")
    assert t2.queue == "technical"
    kinds = [e.kind for e in _events(world, c.id)]
    assert kinds == ["create", "reject", "dispatch", "transfer", "transfer"]


def test_assign_and_yank_are_for_supervisors(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="billing")
    with pytest.raises(PermissionDenied, match="only supervisors"):
        transitions.assign(world.desk, world.ana, c.number, "luis")
    a = transitions.assign(world.desk, world.sup, c.number, "luis")
    assert a.owner == "luis"
    with pytest.raises(PermissionDenied):
        transitions.yank(world.desk, world.ana, c.number)
    y = transitions.yank(world.desk, world.sup, c.number)
    assert y.owner is None and y.queue == "billing"
    with pytest.raises(InvalidTransition):
        transitions.yank(world.desk, world.sup, c.number)


def test_status_machine(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    with pytest.raises(InvalidTransition):
        transitions.resume(world.desk, world.ana, c.number)
    transitions.start(world.desk, world.ana, c.number)
    w = transitions.wait(world.desk, world.ana, c.number)
    assert w.status == "awaiting_customer" and w.paused_at is not None
    transitions.resume(world.desk, world.ana, c.number)
    with pytest.raises(ValidationError):
        transitions.resolve(world.desk, world.ana, c.number, "solved", "")
    r = transitions.resolve(world.desk, world.ana, c.number, "solved", "reset the router")
    assert r.status == "resolved" and r.resolution_notes == "reset the router"
    with pytest.raises(InvalidTransition):
        transitions.cancel(world.desk, world.ana, c.number, "dup")
    transitions.reopen(world.desk, world.ana, c.number)
    transitions.resolve(world.desk, world.ana, c.number, "solved", "again")
    cl = transitions.close(world.desk, world.ana, c.number)
    assert cl.status == "closed" and cl.closed_at is not None
    world.desk.clock.advance(__import__("datetime").timedelta(days=8))  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied, match="ask a supervisor"):
        transitions.reopen(world.desk, world.ana, c.number)
    assert transitions.reopen(world.desk, world.sup, c.number).status == "in_progress"


def test_status_change_needs_owner_or_supervisor(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    with pytest.raises(PermissionDenied, match="accept it"):
        transitions.start(world.desk, world.luis, c.number)
    assert transitions.start(world.desk, world.sup, c.number).status == "in_progress"


def test_stale_version_update_loses(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    cases.update_case(world.desk, world.ana, c.number, version=c.version, title="y")
    with pytest.raises(StaleVersion, match="reload it"):
        cases.update_case(world.desk, world.ana, c.number, version=c.version, title="z")
    assert reads.get_case(world.desk, c.number).title == "y"


def test_parent_resolves_children_one_event_each(world: World) -> None:
    parent = cases.create_case(world.desk, world.ana, title="Caída de red en Sevilla")
    kids = [cases.create_case(world.desk, world.ana, title=f"Sin red {i}", parent=parent.label)
            for i in range(3)]
    transitions.cancel(world.desk, world.ana, kids[2].number, "duplicado")
    with pytest.raises(ValidationError, match="own ancestor"):
        cases.link_parent(world.desk, world.ana, parent.number, kids[0].number)
    transitions.resolve(world.desk, world.ana, parent.number, "solved", "fibra reparada",
                     resolve_children=True)
    assert reads.get_case(world.desk, kids[0].number).status == "resolved"
    assert reads.get_case(world.desk, kids[2].number).status == "cancelled"
    resolves = [e for e in _events(world, kids[0].id) if e.kind == "resolve"]
    assert len(resolves) == 1 and "CS-000001" in (resolves[0].note or "")
    assert reads.get_case(world.desk, parent.number).children == [k.label for k in kids]


def test_every_change_has_exactly_one_event(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="technical")
    transitions.accept(world.desk, world.ana, c.number)
    cases.add_note(world.desk, world.ana, c.number, "llamé al cliente")
    cases.log_time(world.desk, world.ana, c.number, 15, "diagnóstico")
    final = reads.get_case(world.desk, c.number)
    with read_session(world.desk.engine) as s:
        n = s.execute(select(func.count()).select_from(CaseEvent)
                      .where(CaseEvent.case_id == c.id)).scalar_one()
    assert n == final.version  # create (v1) + one event per later version
    texts = [e.text for e in reads.timeline(world.desk, c.number)]
    assert any("llamé al cliente" in t for t in texts)
    assert any(t.startswith("15 min") for t in texts)


def test_inbox_is_keyset_paged(world: World) -> None:
    made = [cases.create_case(world.desk, world.ana, title=f"c{i}", queue="billing").number
            for i in range(7)]
    seen: list[int] = []
    after = None
    while True:
        page = reads.inbox(world.desk, "billing", after=after, limit=3)
        seen += [r.number for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == made
    filtered = reads.inbox(world.desk, "billing", text="c3")
    assert [r.title for r in filtered.rows] == ["c3"]


def test_customer_history_and_search(world: World) -> None:
    from casedesk.services.workflow import interactions

    i = interactions.log_interaction(world.desk, world.ana, channel="phone",
                                     contact_id=world.contact_id, subject="No funciona internet",
                                     duration_seconds=120)
    c = cases.create_case(world.desk, world.ana, title="Internet caído", from_interaction=i.id)
    assert c.first_response_at is not None  # the live call was the first response
    h = reads.customer_history(world.desk, world.contact_id)
    assert h.account == "Pérez Hogar"
    assert [x.case for x in h.interactions] == [c.label]
    assert [x.label for x in h.cases] == [c.label]
    assert [r.label for r in reads.search_cases(world.desk, "juan")] == [c.label]
    assert [r.label for r in reads.search_cases(world.desk, "cs-1")] == [c.label]


def test_the_reopen_window_is_the_desks_setting(world: World) -> None:
    from datetime import timedelta

    from casedesk.clock import FrozenClock

    clock = world.desk.clock
    assert isinstance(clock, FrozenClock)
    world.desk.reopen_days = 2
    c = cases.create_case(world.desk, world.ana, title="x")
    transitions.resolve(world.desk, world.ana, c.number, "solved", "done")
    transitions.close(world.desk, world.ana, c.number)
    clock.advance(timedelta(days=1, hours=23))
    transitions.reopen(world.desk, world.ana, c.number)  # within two days: the agent may
    transitions.resolve(world.desk, world.ana, c.number, "solved", "again")
    transitions.close(world.desk, world.ana, c.number)
    clock.advance(timedelta(days=2, minutes=1))
    with pytest.raises(PermissionDenied, match="closed more than 2 days ago"):
        transitions.reopen(world.desk, world.ana, c.number)
