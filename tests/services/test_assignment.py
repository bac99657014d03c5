"""Queue strategies and presence (issue 12, points 3 and 4), on SQLite and PostgreSQL.

Cases are created straight into a queue (``create_case(..., queue=NAME)``): ``open_case``
asks the queue's strategy for an agent inside the creating transaction. The races run
plain ``python -m tests.services.assign_worker`` processes that start at the same instant.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from casedesk.db import read_session, write_session
from casedesk.errors import PermissionDenied, ValidationError
from casedesk.models import Agent, Case, CaseEvent, CategorySkill, Queue
from casedesk.services.context import Desk
from casedesk.services.directory import presence, queue_setup, staff
from casedesk.services.queries import board, reads
from casedesk.services.routing.assign import NoPick, Pick, pick_agent
from casedesk.services.workflow import cases, transitions
from tests.conftest import T0, World

ROOT = Path(__file__).parents[2]


def _create(world: World, queue: str, n: int = 1, **kwargs: object) -> list[str | None]:
    """Create ``n`` cases into ``queue`` as the supervisor; their owners' logins."""
    return [
        cases.create_case(world.desk, world.sup, title=f"caso {i}", queue=queue,
                          **kwargs).owner  # type: ignore[arg-type]
        for i in range(n)
    ]


def _create_event(desk: Desk, label: str) -> CaseEvent:
    number = int(label.split("-")[1])
    with read_session(desk.engine) as s:
        return s.execute(
            select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.number == number, CaseEvent.kind == "create")
        ).scalar_one()


def _events_match_versions(desk: Desk) -> None:
    with read_session(desk.engine) as s:
        rows = s.execute(
            select(Case.number, Case.version, func.count(CaseEvent.id))
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .group_by(Case.id, Case.number, Case.version)
        ).all()
    assert rows and all(version == events for _, version, events in rows), rows


def _fill_bin(world: World, login: str, n: int) -> None:
    """Put ``n`` open cases in ``login``'s bin (created by them, with no queue)."""
    actor = world.desk.actor(login)
    for i in range(n):
        cases.create_case(world.desk, actor, title=f"{login} propio {i}")


def _set_capacity(desk: Desk, login: str, capacity: int) -> None:
    with write_session(desk.engine) as s:
        s.execute(update(Agent).where(Agent.login == login).values(capacity=capacity))


# --- the strategies -------------------------------------------------------------------------


def test_manual_queue_leaves_the_case_waiting(world: World) -> None:
    case = cases.create_case(world.desk, world.ana, title="a mano", queue="technical")
    assert case.owner is None
    event = _create_event(world.desk, case.label)
    assert event.note is None and "routing" not in (event.data or {})


def test_least_loaded_relative_to_capacity_with_the_reason(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "least_loaded")
    _fill_bin(world, "ana", 2)
    _fill_bin(world, "maria", 3)
    _set_capacity(desk, "maria", 30)
    case = cases.create_case(desk, world.sup, title="router", queue="technical")
    assert case.owner == "luis"
    event = _create_event(desk, case.label)
    assert event.note == "queue technical: least loaded: 0 of 10"
    assert event.to_owner_id is not None
    assert event.data is not None
    routing = event.data["routing"]
    assert (routing["strategy"], routing["agent"], routing["queue"]) == (
        "least_loaded", "luis", "technical")
    assert routing["reason"] == "queue technical: least loaded: 0 of 10"
    _fill_bin(world, "luis", 4)  # luis 5 of 10, ana 2 of 10, maria 3 of 30
    assert _create(world, "technical") == ["maria"]
    _events_match_versions(desk)


def test_least_loaded_ties_go_by_fewest_cases_then_login(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "least_loaded")
    _set_capacity(desk, "ana", 20)
    _fill_bin(world, "ana", 2)  # 2 of 20 = 1 of 10: the same share as luis, more cases
    _fill_bin(world, "luis", 1)
    _fill_bin(world, "maria", 1)
    # luis and maria: 1 of 10 each, ana 2 of 20; fewest cases, then login: luis
    assert _create(world, "technical") == ["luis"]
    assert _create(world, "technical") == ["maria"]  # now luis 2 of 10
    assert _create(world, "technical") == ["ana"]  # ana 2 of 20 < maria 2 of 10


def test_round_robin_goes_round_in_login_order_and_moves_the_cursor(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "round_robin")
    assert _create(world, "technical", 5) == ["ana", "luis", "maria", "ana", "luis"]
    with read_session(desk.engine) as s:
        cursor = s.execute(select(Queue.last_assigned_id).where(Queue.name == "technical"))
        assert cursor.scalar_one() == world.luis.id
    staff.set_agent_status(desk, world.sup, "away", "maria")
    assert _create(world, "technical", 2) == ["ana", "luis"]  # maria is skipped
    detail = cases.create_case(desk, world.sup, title="otro", queue="technical")
    assert _create_event(desk, detail.label).note == (
        "queue technical: round robin: next after luis, 3 of 10")
    _events_match_versions(desk)


def test_round_robin_skips_a_full_bin(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "round_robin")
    _set_capacity(desk, "luis", 1)
    _fill_bin(world, "luis", 1)
    assert _create(world, "technical", 3) == ["ana", "maria", "ana"]


def test_skills_of_the_category_and_of_the_rule(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "skills")
    with write_session(desk.engine) as s:
        s.execute(insert(CategorySkill).values(area="technical", skills=["Network"]))
    detail = cases.create_case(desk, world.sup, title="sin línea", queue="technical",
                               area="technical")
    assert detail.owner == "luis"  # the only one with the skill (case ignored)
    assert _create_event(desk, detail.label).note == (
        "queue technical: skills network; least loaded: 0 of 10")
    # no category skills for "general": least loaded among everybody
    assert _create(world, "technical", area="general") == ["ana"]
    with write_session(desk.engine) as s:
        queue_id = s.execute(select(Queue.id).where(Queue.name == "technical")).scalar_one()
        rule_says = pick_agent(s, queue_id, "skills", area="technical", contact_id=None,
                               required_skills=["facturación"], now=T0)
        only_rule = pick_agent(s, queue_id, "skills", area="general", contact_id=None,
                               required_skills=["billing"], now=T0)
    assert rule_says == NoPick("nobody in technical has the skills facturación, network")
    assert isinstance(only_rule, Pick) and only_rule.login == "ana"
    staff.set_agent_status(desk, world.luis, "away")
    waiting = cases.create_case(desk, world.sup, title="nadie", queue="technical",
                                area="technical")
    assert waiting.owner is None
    assert _create_event(desk, waiting.label).note == (
        "queue technical: no member of technical with the skills network is available")


def test_affinity_prefers_the_last_agent_of_the_customer(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "affinity")
    first = cases.create_case(desk, world.sup, title="antes", queue="billing",
                              contact_id=world.contact_id)
    transitions.accept(desk, world.ana, first.label)
    _fill_bin(world, "ana", 3)  # ana is the most loaded, and still gets her customer
    detail = cases.create_case(desk, world.sup, title="otra vez", queue="technical",
                               contact_id=world.contact_id)
    assert detail.owner == "ana"
    assert _create_event(desk, detail.label).note == (
        "queue technical: affinity: ana last worked this customer, 4 of 10")
    staff.set_agent_status(desk, world.ana, "away")
    again = cases.create_case(desk, world.sup, title="y otra", queue="technical",
                              contact_id=world.contact_id)
    assert again.owner == "luis"
    assert _create_event(desk, again.label).note == (
        "queue technical: affinity: ana last worked this customer but is away; "
        "least loaded: 0 of 10")
    stranger = cases.create_case(desk, world.sup, title="nuevo", queue="technical")
    assert _create_event(desk, stranger.label).note == (
        "queue technical: affinity: no earlier case of this customer had an owner; "
        "least loaded: 0 of 10")


def test_nobody_fits_says_why_and_the_case_waits(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "billing", "least_loaded")
    for login in ("ana", "maria"):
        _set_capacity(desk, login, 1)
        _fill_bin(world, login, 1)
    full = cases.create_case(desk, world.sup, title="lleno", queue="billing")
    assert full.owner is None and full.queue == "billing"
    assert _create_event(desk, full.label).note == (
        "queue billing: all 2 available members of billing are at capacity")
    staff.set_agent_status(desk, world.sup, "away", "maria")
    assert _create_event(
        desk, cases.create_case(desk, world.sup, title="uno", queue="billing").label
    ).note == "queue billing: the only available member of billing is at capacity"
    staff.set_agent_status(desk, world.sup, "offline", "ana")
    nobody = cases.create_case(desk, world.sup, title="nadie", queue="billing")
    assert _create_event(desk, nobody.label).note == (
        "queue billing: no member of billing is available")
    # the supervisor board says why the most urgent waiting case waits
    loads = {q.name: q for q in board.queue_loads(desk)}
    assert loads["billing"].strategy == "least_loaded"
    assert loads["billing"].wait_reason in {
        "all 2 available members of billing are at capacity",
        "the only available member of billing is at capacity",
        "no member of billing is available",
    }
    assert loads["technical"].wait_reason is None  # manual: nothing to explain
    _events_match_versions(desk)


def test_inactive_members_and_empty_queues(world: World) -> None:
    desk = world.desk
    queue_setup.add_queue(desk, world.sup, name="vacía")
    queue_setup.set_strategy(desk, world.sup, "vacía", "round_robin")
    lonely = cases.create_case(desk, world.sup, title="sola", queue="vacía")
    assert _create_event(desk, lonely.label).note == "queue vacía: vacía has no members"
    queue_setup.set_strategy(desk, world.sup, "commercial", "least_loaded")
    staff.set_agent_active(desk, world.admin, "carmen", False)
    assert _create(world, "commercial") == [None]


def test_set_strategy_is_for_supervisors_and_checks_the_value(world: World) -> None:
    desk = world.desk
    with pytest.raises(PermissionDenied):
        queue_setup.set_strategy(desk, world.ana, "billing", "round_robin")
    with pytest.raises(ValidationError, match="is not one of manual, round_robin"):
        queue_setup.set_strategy(desk, world.sup, "billing", "lottery")
    view = queue_setup.set_strategy(desk, world.sup, "billing", "Least-Loaded")
    assert view.strategy == "least_loaded"
    assert {q.name: q.strategy for q in queue_setup.list_queues(desk)}["billing"] == (
        "least_loaded")


# --- presence -------------------------------------------------------------------------------


def test_presence_sets_since_and_only_settable_values(world: World) -> None:
    desk = world.desk
    change = presence.set_presence(desk, world.ana, "away")
    assert (change.status, change.since, change.returned) == ("away", T0, [])
    assert {a.login: a.status_at for a in board.agent_loads(desk)}["ana"] == T0
    with pytest.raises(ValidationError, match="not one of available, away, offline"):
        presence.set_presence(desk, world.ana, "busy")
    with pytest.raises(PermissionDenied, match="change another agent's status"):
        presence.set_presence(desk, world.ana, "offline", "luis")
    assert presence.set_presence(desk, world.sup, "offline", "luis").status == "offline"
    assert staff.get_agent(desk, "luis").status == "offline"
    # old rows may still say busy: readable, and the key moves them on to available
    with write_session(desk.engine) as s:
        s.execute(update(Agent).where(Agent.login == "carmen").values(status="busy"))
    assert staff.get_agent(desk, "carmen").status == "busy"
    assert presence.next_presence(desk, world.carmen).status == "available"
    cycle = [presence.next_presence(desk, world.ana).status for _ in range(3)]
    assert cycle == ["offline", "available", "away"]


def test_away_agents_get_nothing(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "round_robin")
    presence.set_presence(desk, world.ana, "away")
    presence.set_presence(desk, world.sup, "offline")
    assert _create(world, "technical", 4) == ["luis"] * 4


def test_going_offline_returns_untouched_cases_one_event_each(world: World) -> None:
    desk = world.desk
    for queue in ("billing", "technical"):
        queue_setup.set_strategy(desk, world.sup, queue, "least_loaded")
    presence.set_presence(desk, world.sup, "away")
    presence.set_presence(desk, world.luis, "away")  # so everything goes to ana
    given = [cases.create_case(desk, world.sup, title=f"t{i}", queue=q)
             for i, q in enumerate(["billing", "technical", "technical"])]
    assert [g.owner for g in given] == ["ana"] * 3
    transitions.start(desk, world.ana, given[1].label)  # touched: stays
    own = cases.create_case(desk, world.ana, title="mío, sin cola")  # no home queue: stays
    before = {g.label: reads.get_case(desk, g.label).version for g in given}
    change = presence.set_presence(desk, world.ana, "offline")
    assert change.returned == [given[0].label, given[2].label]
    for label in change.returned:
        got = reads.get_case(desk, label)
        assert got.owner is None and got.queue in ("billing", "technical")
        assert got.version == before[label] + 1
        with read_session(desk.engine) as s:
            last = s.execute(
                select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
                .where(Case.number == got.number).order_by(CaseEvent.id.desc()).limit(1)
            ).scalar_one()
        assert last.kind == "yank" and last.actor_id is None
        assert last.note == f"returned to {got.queue}: ana went offline"
    assert reads.get_case(desk, given[1].label).owner == "ana"
    assert reads.get_case(desk, own.label).owner == "ana"
    # offline again changes nothing and returns nothing
    assert presence.set_presence(desk, world.ana, "offline").returned == []
    _events_match_versions(desk)


def test_offline_keeps_cases_when_the_desk_says_so(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "commercial", "least_loaded")
    held = cases.create_case(desk, world.sup, title="para carmen", queue="commercial")
    assert held.owner == "carmen"
    keeping = Desk(desk.engine, desk.clock, offline_returns_cases=False)
    assert presence.set_presence(keeping, world.carmen, "offline").returned == []
    assert reads.get_case(desk, held.label).owner == "carmen"
    presence.set_presence(desk, world.carmen, "available")
    assert presence.set_presence(desk, world.carmen, "offline").returned == [held.label]


# --- races between processes ----------------------------------------------------------------


def _url(world: World) -> str:
    return world.desk.engine.url.render_as_string(hide_password=False)


def _race(world: World, queue: str, logins: list[str], count: int) -> list[str | None]:
    """Each login creates ``count`` cases into ``queue`` in its own process, all at once."""
    start = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.services.assign_worker", _url(world), login, queue,
             str(count), str(start)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for login in logins
    ]
    owners: list[str | None] = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        owners.extend(json.loads(out.strip().splitlines()[-1]))
    return owners


def _add_workers(world: World, queue: str, n: int, capacity: int) -> list[str]:
    logins = [f"w{i}" for i in range(n)]
    queue_setup.add_queue(world.desk, world.sup, name=queue)
    for login in logins:
        staff.add_agent(world.desk, world.admin, login=login, name=f"Worker {login}",
                        queues=[queue], capacity=capacity)
    return logins


def test_round_robin_stays_fair_across_processes(world: World) -> None:
    logins = _add_workers(world, "ronda", 4, capacity=1000)
    queue_setup.set_strategy(world.desk, world.sup, "ronda", "round_robin")
    owners = _race(world, "ronda", ["maria", "admin", "w0", "w1"], 15)
    counts = Counter(owners)
    assert None not in counts
    assert set(counts) == set(logins)
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    _events_match_versions(world.desk)


def test_capacity_holds_when_cases_are_created_at_once(world: World) -> None:
    logins = _add_workers(world, "justo", 2, capacity=3)
    queue_setup.set_strategy(world.desk, world.sup, "justo", "least_loaded")
    owners = _race(world, "justo", ["maria", "admin", "w0"], 4)
    counts = Counter(owners)
    assert counts == {logins[0]: 3, logins[1]: 3, None: 6}, counts
    with read_session(world.desk.engine) as s:
        held = dict(s.execute(
            select(Agent.login, func.count(Case.id)).join(Case, Case.owner_id == Agent.id)
            .where(Agent.login.in_(logins)).group_by(Agent.login)
        ).all())
    assert held == {logins[0]: 3, logins[1]: 3}
    _events_match_versions(world.desk)
