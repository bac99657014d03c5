"""``e`` on the case screen: the edit form, prefilled; a save; a stale version refused inside
the form (who changed what) with the typed text kept; the timeline shows before → after."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, Static

from casedesk.screens.case import CaseScreen
from casedesk.screens.modals import CaseEditForm
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text


async def test_edit_prefilled_saved_and_shown_on_the_timeline(tui_world: World) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Router",
                             description="Luz roja", contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "e")
        form = app.screen
        assert isinstance(form, CaseEditForm)
        assert form.query_one("#edit-title", Input).value == "Router"
        assert form.query_one("#edit-contact", Input).value == str(tui_world.contact_id)
        assert form.query_one("#edit-priority", Select).value == "medium"
        await type_text(pilot, " sin señal")
        form.query_one("#edit-priority", Select).value = "high"
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None
        assert screen.bundle.case.title == "Router sin señal"
        assert screen.bundle.case.priority == "high"
        timeline = screen.query_one("#case-timeline", DataTable)
        newest = str(timeline.get_cell_at((0, 3)))
        assert "title “Router” → “Router sin señal”" in newest
        assert "priority medium → high" in newest
    got = reads.get_case(tui_world.desk, case.label)
    assert got.version == case.version + 1 and got.description == "Luz roja"


async def test_a_stale_edit_is_refused_in_the_form_naming_who(tui_world: World) -> None:
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Router")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        await press(pilot, "e")
        form = app.screen
        assert isinstance(form, CaseEditForm)
        await type_text(pilot, " lento")
        cases.update_case(tui_world.desk, tui_world.sup, case.label, version=case.version,
                          severity="major")  # María edits it meanwhile
        await press(pilot, "ctrl+s")
        assert app.screen is form  # still open, as typed
        assert form.query_one("#edit-title", Input).value == "Router lento"
        shown = str(form.query_one("#form-error", Static).render())
        assert "was changed by María López" in shown and "severity" in shown
        await press(pilot, "escape")
        await settle(pilot)
        await press(pilot, "e")  # opened again: the current values, the new version
        form = app.screen
        assert isinstance(form, CaseEditForm)
        assert form.query_one("#edit-severity", Select).value == "major"
        await press(pilot, "ctrl+s")  # nothing changed: said in the form, nothing written
        assert "nothing changed" in str(form.query_one("#form-error", Static).render())
    assert reads.get_case(tui_world.desk, case.label).title == "Router"
