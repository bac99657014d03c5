"""The workstation's read services on both databases: queue and agent load (board) and the
live change token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from casedesk.services.context import Desk
from casedesk.services.directory import staff
from casedesk.services.knowledge import library
from casedesk.services.queries import board, live, reads
from casedesk.services.sla import policy_files
from casedesk.services.workflow import cases, interactions, tasks, transitions
from tests.conftest import World


def test_queue_and_agent_load(world: World) -> None:
    desk = world.desk
    policy_files.load_defaults(desk)
    for priority in ("high", "high", "low"):
        cases.create_case(desk, world.luis, title="x", queue="technical", priority=priority)
    mine = cases.create_case(desk, world.luis, title="y", queue="technical")
    transitions.accept(desk, world.ana, mine.label)
    desk.clock.advance(timedelta(minutes=50))  # type: ignore[attr-defined]
    tech = {q.name: q for q in board.queue_loads(desk)}["technical"]
    # "high": 1 h first response, warning at 80 % (48 min)
    assert (tech.waiting, tech.new, tech.warning, tech.breached) == (3, 3, 2, 0)
    assert (tech.members, tech.available, tech.new_capped, tech.warning_capped) == (
        3, 3, False, False
    )
    desk.clock.advance(timedelta(minutes=15))  # type: ignore[attr-defined]
    tech = {q.name: q for q in board.queue_loads(desk)}["technical"]
    assert (tech.warning, tech.breached) == (0, 2)
    agents = {a.login: a for a in board.agent_loads(desk)}
    assert (agents["ana"].wip, agents["ana"].capacity, agents["ana"].breached) == (1, 10, 0)
    assert [a.login for a in board.agent_loads(desk, queue="billing")] == ["ana", "maria"]
    assert [q.name for q in board.queue_loads(desk, member=world.carmen.id)] == ["commercial"]
    assert board.member_queues(desk, world.ana.id) == [("billing", False), ("technical", True)]
    assert [r.label for r in board.agent_cases(desk, "ana")] == [mine.label]
    page = reads.inbox(desk, "technical", limit=2)
    assert len(page.rows) == 2 and page.next_after is not None
    warns = board.warn_times(desk, [r.id for r in page.rows])
    assert all(w.nearest() is not None for w in warns.values())
    assert board.queue_names(desk) == ["billing", "commercial", "technical"]
    assert board.agent_timezone(desk, world.ana.id) == "Europe/Madrid"


def token_watch(desk: Desk) -> Callable[[], bool]:
    """``changed()``: whether the live change token moved since the last call."""
    seen = [live.change_token(desk)]

    def changed() -> bool:
        token = live.change_token(desk)
        moved = token != seen[-1]
        seen.append(token)
        return moved

    return changed


def test_change_token_follows_every_kind_of_change(world: World) -> None:
    desk = world.desk
    changed = token_watch(desk)

    assert not changed()
    case = cases.create_case(desk, world.ana, title="x", queue="technical")
    assert changed()
    transitions.accept(desk, world.ana, case.label)
    assert changed()
    interactions.log_interaction(desk, world.ana, channel="phone", subject="sin caso")
    assert changed()
    staff.set_agent_status(desk, world.ana, "away")
    assert changed()
    tasks.add_task(desk, world.ana, title="llamar", case=case.label)
    assert changed()
    article = library.add_article(desk, world.sup, title="Router", body="reinicia")
    library.publish(desk, world.sup, article.label)
    library.link_case(desk, world.ana, article.label, case.label)
    assert changed()
    assert not changed()
