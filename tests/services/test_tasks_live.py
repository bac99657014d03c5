"""Every task change moves the live change token, on both databases; task events on a
case show in its timeline."""

from __future__ import annotations

from casedesk.services.queries import reads
from casedesk.services.workflow import cases, tasks
from tests.conftest import World
from tests.services.test_board_live import token_watch


def test_task_changes_move_the_change_token(world: World) -> None:
    desk = world.desk
    case = cases.create_case(desk, world.ana, title="Router", queue="technical")
    changed = token_watch(desk)

    on_case = tasks.add_task(desk, world.ana, title="Llamar al cliente", case=case.label)
    assert changed()
    tasks.complete_task(desk, world.ana, on_case.id)
    assert changed()
    alone = tasks.add_task(desk, world.ana, title="Revisar el buzón")
    other = tasks.add_task(desk, world.ana, title="Pedir material")
    assert changed()
    tasks.complete_task(desk, world.ana, alone.id)
    assert changed()
    assert not changed()
    tasks.complete_task(desk, world.ana, other.id)  # same instant, same kind of change
    assert changed()
    assert not changed()

    timeline = reads.timeline(desk, case.label)
    task_lines = [(e.kind, e.actor, e.text, e.data) for e in timeline if e.kind == "task"]
    assert task_lines == [
        (
            "task",
            "Ana García",
            "task added: Llamar al cliente",
            {"task": on_case.id, "due": None},
        ),
        (
            "task",
            "Ana García",
            "task done: Llamar al cliente",
            {"task": on_case.id, "done": True},
        ),
    ]
