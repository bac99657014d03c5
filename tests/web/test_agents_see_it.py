"""Issue 18 point 4, the portal's side: what a customer does in the portal reaches the
agents — an interaction on the case, the case moved on, the workstation's change token
moved (so its lists reload within the live-update delay), satisfaction in the reports.
Both databases."""

from __future__ import annotations

from sqlalchemy import select

from casedesk.db import read_session
from casedesk.models import Case
from casedesk.services import reports
from casedesk.services.portal import cases
from casedesk.services.queries import live, reads
from casedesk.services.reports.views import ReportFilter, SatisfactionRow
from casedesk.services.workflow import transitions
from casedesk.services.workflow.cases import create_case
from tests.conftest import World
from tests.web.helpers import OPTIONS, sign_in


def test_portal_comments_and_ratings_reach_the_workstation_and_the_reports(world: World
                                                                           ) -> None:
    number = create_case(world.desk, world.ana, title="Sin línea",
                         contact_id=world.contact_id, queue="technical").number
    transitions.accept(world.desk, world.ana, number)
    transitions.wait(world.desk, world.ana, number)
    customer = sign_in(world, "juan.perez@example.com")
    before = live.change_token(world.desk)
    cases.comment(world.desk, world.ana, customer, OPTIONS, number, "Ya he reiniciado")
    after_comment = live.change_token(world.desk)
    assert after_comment != before
    history = reads.timeline(world.desk, number)
    assert "Ya he reiniciado" in repr(history)
    with read_session(world.desk.engine) as s:
        assert s.execute(select(Case.status)).scalar_one() == "in_progress"  # resumed
    transitions.resolve(world.desk, world.ana, number, "solved", "Cambiado")
    cases.accept(world.desk, customer, OPTIONS, number)
    before_rating = live.change_token(world.desk)
    cases.answer_survey(world.desk, customer, OPTIONS, number, 4, "Rápidos")
    assert live.change_token(world.desk) != before_rating
    assert "Satisfaction survey: 4/5" in repr(reads.timeline(world.desk, number))
    day = world.desk.now().date()
    rows = reports.read(world.desk, world.sup, "satisfaction",
                        ReportFilter(day, day, "Europe/Madrid"))
    assert SatisfactionRow("technical", 1, 4.0) in rows, rows
