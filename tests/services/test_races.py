"""Races between processes: every case claimed exactly once, every loser told cleanly."""

from __future__ import annotations

import multiprocessing
import random
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import BinFull, PermissionDenied, StaleVersion
from casedesk.models import Case, CaseEvent
from casedesk.services import demo
from casedesk.services.directory import staff
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import World
from tests.services import race_worker

WORKERS = 8
CASES = 500


def _add_workers(world: World) -> list[str]:
    logins = [f"w{i}" for i in range(WORKERS)]
    for login in logins:
        staff.add_agent(world.desk, world.admin, login=login, name=f"Worker {login}",
                            queues=["technical"], capacity=CASES)
    return logins


def _pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))


def _url(world: World) -> str:
    return world.desk.engine.url.render_as_string(hide_password=False)


def test_next_race_claims_each_case_once(world: World) -> None:
    logins = _add_workers(world)
    demo.generate_cases(world.desk, CASES, queue="technical", rng=random.Random(3),
                        owned_share=0)
    with _pool() as pool:
        results = list(pool.map(race_worker.take_until_empty, [_url(world)] * WORKERS, logins,
                                ["technical"] * WORKERS))
    claimed = [n for r in results for n in r["claimed"]]
    assert len(claimed) == CASES
    assert len(set(claimed)) == CASES
    assert all(r["refused"] and r["refused"][-1].startswith("empty") for r in results)
    with read_session(world.desk.engine) as s:
        owners = s.execute(select(Case.owner_id).where(Case.owner_id.is_(None))).all()
        taken_events = s.execute(select(func.count()).select_from(CaseEvent)
                                 .where(CaseEvent.kind == "next")).scalar_one()
    assert owners == []
    assert taken_events == CASES


def test_accept_race_has_one_winner_per_case(world: World) -> None:
    logins = _add_workers(world)
    demo.generate_cases(world.desk, CASES, queue="technical", rng=random.Random(4))
    with read_session(world.desk.engine) as s:
        numbers = list(s.execute(select(Case.number).where(Case.owner_id.is_(None),
                                                           Case.queue_id.is_not(None))).scalars())
    with _pool() as pool:
        results = list(pool.map(race_worker.accept_all, [_url(world)] * WORKERS, logins,
                                [numbers] * WORKERS, range(WORKERS)))
    claimed = [n for r in results for n in r["claimed"]]
    assert sorted(claimed) == sorted(numbers)
    refused = [m for r in results for m in r["refused"]]
    assert len(refused) == len(numbers) * (WORKERS - 1)
    assert all(" was taken by Worker w" in m for m in refused)
    with read_session(world.desk.engine) as s:
        accepts = s.execute(select(CaseEvent.case_id, func.count()).where(
            CaseEvent.kind == "accept").group_by(CaseEvent.case_id)).all()
    assert len(accepts) == len(numbers) and all(n == 1 for _, n in accepts)


def test_two_stale_updates_exactly_one_wins(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="original")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(title: str) -> None:
        barrier.wait()
        try:
            cases.update_case(world.desk, world.ana, c.number, version=c.version, title=title)
            outcomes.append("won")
        except StaleVersion:
            outcomes.append("stale")

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stale", "won"]
    final = reads.get_case(world.desk, c.number)
    assert final.title in ("first", "second") and final.version == c.version + 1


@pytest.mark.parametrize("attempts", [3])
def test_repeated_stale_version_changes_nothing(world: World, attempts: int) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    cases.update_case(world.desk, world.ana, c.number, version=c.version, priority="high")
    for _ in range(attempts):
        with pytest.raises(StaleVersion):
            cases.update_case(world.desk, world.ana, c.number, version=c.version, priority="low")
    with read_session(world.desk.engine) as s:
        n = s.execute(select(func.count()).select_from(CaseEvent)
                      .where(CaseEvent.case_id == c.id)).scalar_one()
    assert n == 2


def test_notes_from_many_processes_all_land(world: World) -> None:
    """Issue 10: 5 of 30 concurrent notes were refused as "changed by … reload it"."""
    logins = _add_workers(world)
    c = cases.create_case(world.desk, world.admin, title="everybody writes here",
                          queue="technical")
    each = 4
    with _pool() as pool:
        refused = list(pool.map(race_worker.add_notes, [_url(world)] * WORKERS, logins,
                                [c.number] * WORKERS, [each] * WORKERS))
    assert refused == [[]] * WORKERS
    with read_session(world.desk.engine) as s:
        notes = s.execute(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == c.id, CaseEvent.kind == "note")).scalar_one()
        events = s.execute(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == c.id)).scalar_one()
    assert notes == WORKERS * each
    assert reads.get_case(world.desk, c.number).version == events == 1 + WORKERS * each


def test_a_full_bin_takes_one_case_even_when_claims_race(world: World) -> None:
    staff.add_agent(world.desk, world.admin, login="eva", name="Eva", capacity=1,
                        queues=["technical"])
    eva = world.desk.actor("eva")
    numbers = [cases.create_case(world.desk, world.admin, title=f"c{i}",
                                 queue="technical").number for i in range(6)]
    barrier = threading.Barrier(len(numbers))
    outcomes: list[str] = []

    def claim(number: int) -> None:
        barrier.wait()
        try:
            transitions.accept(world.desk, eva, number)
            outcomes.append("won")
        except BinFull:
            outcomes.append("full")

    threads = [threading.Thread(target=claim, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["full"] * 5 + ["won"]
    assert len(reads.wip_bin(world.desk, eva.id)) == 1


def test_two_admins_demoting_each_other_keep_one(world: World) -> None:
    staff.set_agent_role(world.desk, world.admin, "maria", "admin")
    maria = world.desk.actor("maria")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor, login: str) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            staff.set_agent_role(world.desk, actor, login, "supervisor")
            outcomes.append("done")
        except PermissionDenied as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=demote, args=(world.admin, "maria")),
               threading.Thread(target=demote, args=(maria, "admin"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("done") == 1
    assert any("last active admin" in o for o in outcomes)
    assert sum(a.role == "admin" and a.active for a in staff.list_agents(world.desk)) == 1
