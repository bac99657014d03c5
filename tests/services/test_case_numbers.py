"""Case numbers: unique and ascending on both databases; on PostgreSQL they come from a
sequence, so a creation still open holds up nobody else's (migration 0011)."""

from __future__ import annotations

import threading

from casedesk.db import write_session
from casedesk.services.numbers import claim_numbers
from casedesk.services.workflow import cases
from tests.conftest import World


def test_an_open_creation_does_not_hold_up_another(world: World) -> None:
    desk = world.desk
    first = cases.create_case(desk, world.ana, title="before", queue="technical")
    done: list[int] = []
    if desk.engine.dialect.name == "sqlite":
        # one writer at a time: a claim rolled back leaves no gap
        with write_session(desk.engine) as session:
            claim_numbers(session, "case", 3)
            session.rollback()
        after = cases.create_case(desk, world.ana, title="after", queue="technical")
        assert after.number == first.number + 1
        return
    with write_session(desk.engine) as session:
        held = claim_numbers(session, "case")[0]  # not committed yet
        worker = threading.Thread(target=lambda: done.append(
            cases.create_case(desk, world.luis, title="meanwhile", queue="technical").number))
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive(), "a creation waited for another transaction's commit"
    assert len(done) == 1 and len({first.number, held, done[0]}) == 3
    assert first.number < held < done[0]


def test_a_block_of_numbers_is_unique_and_ascending(world: World) -> None:
    with write_session(world.desk.engine) as session:
        block = list(claim_numbers(session, "case", 50))
    assert block == sorted(set(block)) and len(block) == 50
    later = cases.create_case(world.desk, world.ana, title="x", queue="technical")
    assert later.number > block[-1]
