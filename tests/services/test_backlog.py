"""Waiting cases offered again by the clock (workflow.backlog), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from casedesk.clock import FrozenClock
from casedesk.db import read_session, write_session
from casedesk.models import Agent, Case, CaseEvent
from casedesk.services.directory import queue_setup, staff
from casedesk.services.queries import reads
from casedesk.services.sla.lease import ClockRunner
from casedesk.services.workflow import backlog, cases
from tests.conftest import World


def _events(world: World, label: str) -> list[CaseEvent]:
    number = int(label.split("-")[1])
    with read_session(world.desk.engine) as s:
        return list(s.execute(
            select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.number == number).order_by(CaseEvent.id)
        ).scalars())


def _everyone_in_technical_away(world: World) -> None:
    for login in ("ana", "luis", "maria"):
        staff.set_agent_status(world.desk, world.sup, "away", login)


def test_a_case_that_waited_goes_to_the_agent_who_comes_back(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "least_loaded")
    _everyone_in_technical_away(world)
    waiting = cases.create_case(desk, world.sup, title="sin línea", queue="technical")
    assert waiting.owner is None
    manual = cases.create_case(desk, world.sup, title="a mano", queue="billing")
    assert backlog.offer_waiting(desk) == []  # still nobody
    staff.set_agent_status(desk, world.sup, "available", "luis")
    assert backlog.offer_waiting(desk) == [waiting.label]
    got = reads.get_case(desk, waiting.label)
    assert got.owner == "luis" and got.version == waiting.version + 1
    last = _events(world, waiting.label)[-1]
    assert (last.kind, last.actor_id) == ("assign", None)
    assert last.note == "queue technical: least loaded: 0 of 10"
    assert reads.get_case(desk, manual.label).owner is None  # a manual queue waits to be pulled
    assert backlog.offer_waiting(desk) == []  # nothing twice


def test_capacity_holds_and_the_most_urgent_go_first(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "round_robin")
    _everyone_in_technical_away(world)
    made = [cases.create_case(desk, world.sup, title=f"caso {i}", queue="technical",
                              priority=p) for i, p in enumerate(["low", "high", "medium"])]
    with write_session(desk.engine) as s:
        s.execute(update(Agent).where(Agent.login == "ana").values(capacity=1))
    staff.set_agent_status(desk, world.sup, "available", "ana")
    given = backlog.offer_waiting(desk)
    assert len(given) == 1 and reads.get_case(desk, given[0]).owner == "ana"
    with read_session(desk.engine) as s:
        first = s.execute(
            select(Case.number).where(Case.number.in_([c.number for c in made]))
            .order_by(Case.due_at, Case.id).limit(1)
        ).scalar_one()
    assert given == [f"CS-{first:06d}"]
    with read_session(desk.engine) as s:
        rows = s.execute(
            select(Case.version, func.count(CaseEvent.id))
            .join(CaseEvent, CaseEvent.case_id == Case.id).group_by(Case.id, Case.version)
        ).all()
    assert all(version == events for version, events in rows)


def test_the_clock_tick_offers_them(world: World) -> None:
    desk = world.desk
    clock = desk.clock
    assert isinstance(clock, FrozenClock)
    queue_setup.set_strategy(desk, world.sup, "technical", "least_loaded")
    _everyone_in_technical_away(world)
    waiting = cases.create_case(desk, world.sup, title="espera", queue="technical")
    staff.set_agent_status(desk, world.sup, "available", "maria")
    clock.advance(timedelta(minutes=1))
    run = ClockRunner(desk, "test", tick_seconds=60).step()
    assert run is not None and run.report.assigned == 1
    assert run.report.counts()["assigned"] == 1
    assert reads.get_case(desk, waiting.label).owner == "maria"
