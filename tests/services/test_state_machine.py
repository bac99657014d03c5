"""Hypothesis-generated operation sequences keep the workflow's invariants.

Invariants checked after every operation, on both databases:
* a case is in exactly one place: in a queue (no owner, a queue) or in one agent's bin;
* every change has exactly one event: events(case) == version (create is version 1);
* a refused operation changes nothing (same version, same owner/queue/status).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import CaseDeskError
from casedesk.models import Case, CaseEvent
from casedesk.services.workflow import cases, transitions
from tests.conftest import World

OPS = ["accept", "next", "dispatch", "reject", "transfer", "assign", "yank", "start", "wait",
       "resume", "resolve", "close", "reopen", "cancel", "note"]
WHO = ["ana", "luis", "carmen", "maria"]
QUEUES = ["technical", "billing", "commercial"]

op_strategy = st.tuples(st.sampled_from(OPS), st.sampled_from(WHO), st.sampled_from(QUEUES),
                        st.integers(0, 2))


def _snapshot(world: World, number: int) -> tuple:
    with read_session(world.desk.engine) as s:
        case = s.execute(select(Case).where(Case.number == number)).scalar_one()
        events = s.execute(select(func.count()).select_from(CaseEvent)
                           .where(CaseEvent.case_id == case.id)).scalar_one()
        return (case.version, case.owner_id, case.queue_id, case.status, events)


def _run(world: World, op: str, who: str, queue: str, number: int) -> None:
    desk = world.desk
    actor = {"ana": world.ana, "luis": world.luis, "carmen": world.carmen,
             "maria": world.sup}[who]
    calls = {
        "accept": lambda: transitions.accept(desk, actor, number),
        "next": lambda: transitions.next_case(desk, actor, queue),
        "dispatch": lambda: transitions.dispatch(desk, actor, number, queue),
        "reject": lambda: transitions.reject(desk, actor, number, "no es nuestro"),
        "transfer": lambda: transitions.transfer(desk, actor, number, queue),
        "assign": lambda: transitions.assign(desk, actor, number, "luis"),
        "yank": lambda: transitions.yank(desk, actor, number),
        "start": lambda: transitions.start(desk, actor, number),
        "wait": lambda: transitions.wait(desk, actor, number),
        "resume": lambda: transitions.resume(desk, actor, number),
        "resolve": lambda: transitions.resolve(desk, actor, number, "solved", "hecho"),
        "close": lambda: transitions.close(desk, actor, number),
        "reopen": lambda: transitions.reopen(desk, actor, number),
        "cancel": lambda: transitions.cancel(desk, actor, number, "duplicado"),
        "note": lambda: cases.add_note(desk, actor, number, "nota"),
    }
    calls[op]()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op_strategy, min_size=1, max_size=14))
def test_random_sequences_keep_invariants(world: World, ops: list) -> None:
    made = [
        cases.create_case(world.desk, world.ana, title="en cola", queue="technical").number,
        cases.create_case(world.desk, world.luis, title="en mi bandeja").number,
        cases.create_case(world.desk, world.carmen, title="comercial", queue="commercial").number,
    ]
    for op, who, queue, index in ops:
        number = made[index]
        before = {n: _snapshot(world, n) for n in made}
        try:
            _run(world, op, who, queue, number)
            refused = False
        except CaseDeskError:
            refused = True
        after = {n: _snapshot(world, n) for n in made}
        for n in made:
            version, owner, home, _status, events = after[n]
            assert owner is not None or home is not None, f"CS {n} is nowhere after {op}"
            assert events == version, f"{op} broke events == version on {n}"
        if refused:
            assert before == after, f"refused {op} by {who} changed something"
        world.desk.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
