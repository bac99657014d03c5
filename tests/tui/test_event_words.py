"""Issue 15 (done when: not one English word in a Spanish shift): what the desk itself
wrote on a case's events (an SLA breach and its escalation, an article used, where routing
sent the case and why, a task breached and done late) reads in the agent's language on the
case screen, composed from the events' data; and the case screen's task countdowns count
business time on the case's SLA calendar, like every other countdown.

The English words looked for are those :func:`tests.tui.test_shift.english_words` finds
(the catalogue's English that no Spanish message uses) and every word of the English notes
the desk stored on these events, less the test world's data (names, titles, queues).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable

from casedesk.db import read_session
from casedesk.durations import countdown
from casedesk.i18n import set_language
from casedesk.models import Case, CaseEvent
from casedesk.screens.case import CaseScreen
from casedesk.services.knowledge import library
from casedesk.services.queries import board, reads
from casedesk.services.routing import rule_files
from casedesk.services.sla.explanations import targets_by_name
from casedesk.services.sla.scanner import scan
from casedesk.services.workflow import cases, tasks
from tests.conftest import T0, World
from tests.services.test_sla_lifecycle import at
from tests.tui.conftest import make_app, settle
from tests.tui.test_shift import NAMES, english_words, screen_text

_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]{3,}")

#: Words of the stored notes Spanish writes the same way ("manual" is a strategy in both).
SHARED = {"manual"}

RULES = """
[[rule]]
name = "facturas"
queue = "billing"
set_priority = "high"
when = { keywords = ["factura"] }
"""


def _words(*texts: str | None) -> set[str]:
    return {w.lower() for t in texts if t for w in _WORD.findall(t)}


def _stored_notes(world: World, number: int) -> list[str]:
    with read_session(world.desk.engine) as s:
        case_id = s.execute(select(Case.id).where(Case.number == number)).scalar_one()
        return [n for n in s.execute(select(CaseEvent.note).where(
            CaseEvent.case_id == case_id, CaseEvent.note.is_not(None))).scalars() if n]


def _rows(screen: CaseScreen, table_id: str) -> list[list[str]]:
    table = screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _opened(pilot: Pilot[Any], label: str) -> CaseScreen:
    """The case screen showing ``label``."""
    await settle(pilot)
    pilot.app.open_case(label)
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseScreen)
    return pilot.app.screen


def _a_busy_case(world: World, tmp_path: Path) -> tuple[Any, str]:
    """A case routed by a rule, with a task, an article used, a breach and its escalation,
    the task breached and then done late. Returns the case and the article's label."""
    desk = world.desk
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    rule_files.load_rules(desk, world.sup, path)
    case = cases.create_case(desk, world.ana, title="No me llega la factura",
                             contact_id=world.contact_id)
    assert case.queue == "billing" and case.priority == "high"
    task = tasks.add_task(desk, world.sup, title="Llamar al banco", case=case.number,
                          assignee="ana", due_at=T0 + timedelta(minutes=30))
    article = library.add_article(desk, world.sup, title="Facturas duplicadas",
                                  keywords="factura", body="Revisa el cobro.")
    library.publish(desk, world.sup, article.label)
    library.link_case(desk, world.ana, article.label, case.label)
    at(world, T0 + timedelta(hours=2))
    report = scan(desk)
    assert report.breaches["first_response"] == 1 and report.task_breaches == 1
    tasks.complete_task(desk, world.ana, task.id)
    return case, article.label


async def test_the_desks_own_notes_read_in_spanish_on_the_case_screen(
    tui_world: World, tmp_path: Path
) -> None:
    case, kb = _a_busy_case(tui_world, tmp_path)
    notes = _stored_notes(tui_world, case.number)
    # the audit record stays as it was written: English, for logs and scripts
    assert any(n.startswith("rule 1 'facturas': keyword 'factura'") for n in notes)
    assert f"used {kb}: Facturas duplicadas" in notes
    # data: queue and SLA policy names ("política high"), people, titles
    data = _words(*board.queue_names(tui_world.desk), *targets_by_name(tui_world.desk))
    data |= _words("No me llega la factura", "Llamar al banco", "Facturas duplicadas",
                   "facturas", "Juan Pérez", "Pérez Hogar", "ana", "luis", "maria", "carmen",
                   "Ana García", "María López", "admin")
    # every word of the stored notes is English but the data and what both languages share
    english = (english_words() | (_words(*notes) - SHARED)) - data - NAMES
    assert {"used", "breached", "rule", "keyword", "waits"} <= english  # what would leak

    set_language("es")
    app = make_app(tui_world, "maria")
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await _opened(pilot, case.label)
        assert screen.bundle is not None
        timeline = [" ".join(row) for row in _rows(screen, "#case-timeline")]
        shown = "\n".join(timeline)
        for said in (
            "regla 1 «facturas»: palabra clave «factura»; prioridad media → alta; "
            "espera en la cola billing",
            f"se usó {kb}: Facturas duplicadas",
            "plazo de primera respuesta incumplido",
            "escalado: plazo de primera respuesta incumplido · señalado al supervisor",
            "tarea «Llamar al banco» incumplida",
            "tarea añadida: Llamar al banco",
            "tarea hecha fuera de plazo: Llamar al banco",
        ):
            assert said in shown, (said, timeline)
        in_cells = _words(shown) & english
        on_screen = _words(screen_text(app)) & english
        assert not in_cells and not on_screen, (sorted(in_cells), sorted(on_screen), timeline)

    # the same events in English: composed the same way, from the same data
    set_language("en")
    texts = "\n".join(e.text for e in reads.timeline(tui_world.desk, case.label))
    assert "rule 1 “facturas”: keyword “factura”; priority medium → high; waits in queue billing" \
        in texts
    assert f"used {kb}: Facturas duplicadas" in texts
    assert "first response deadline breached" in texts


async def test_an_older_event_without_its_pieces_keeps_its_note(tui_world: World) -> None:
    """A row written before its data held the pieces shows its stored note as it is; a
    note a person wrote is data, never reworded."""
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Antiguo", queue="technical")
    cases.add_note(tui_world.desk, tui_world.ana, case.number, "used the *old* way: [b]x[/b]")
    from casedesk.db import write_session
    with write_session(tui_world.desk.engine) as s:
        case_id = s.execute(select(Case.id).where(Case.number == case.number)).scalar_one()
        s.add(CaseEvent(case_id=case_id, at=T0, kind="article", note="used KB-000009: Viejo",
                        data={"article": "KB-000009", "link": "used"}))
    set_language("es")
    texts = [e.text for e in reads.timeline(tui_world.desk, case.label)]
    assert any(t.endswith("used KB-000009: Viejo") for t in texts), texts
    assert any(t.endswith("used the *old* way: [b]x[/b]") for t in texts), texts


async def test_task_countdowns_count_business_time_on_the_case_calendar(
    tui_world: World,
) -> None:
    """Issue 15 point 3: a task due at 15:00 Madrid, seen at 09:00 on a Monday, counts the
    5 h of the office calendar (lunch 14–15 stands still), not 6 h of wall time; the Due
    column beside it is the wall time in the agent's zone."""
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Con tarea", queue="technical")
    assert case.sla_policy == "standard"  # madrid-office: 09–14, 15–19
    due = T0 + timedelta(hours=6)  # Monday 15:00 in Madrid
    tasks.add_task(tui_world.desk, tui_world.ana, title="Llamar", case=case.number,
                   assignee="ana", due_at=due)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _opened(pilot, case.label)
        for _ in range(50):
            if app.targets_for("standard") is not None:
                break
            await pilot.pause(0.05)
        screen.tick()
        await pilot.pause()
        (row,) = _rows(screen, "#case-tasks")
        assert row[3] == "02/03 15:00"  # the wall time, in the agent's zone
        assert row[4] == countdown(timedelta(hours=5), days=False) != countdown(
            due - T0, days=False)
