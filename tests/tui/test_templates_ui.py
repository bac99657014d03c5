"""The template picker in the new-case form: choosing fills the form (still editable), saving
adds the playbook's tasks."""

from __future__ import annotations

from textual.widgets import Input, Select, TextArea

from casedesk.db import write_session
from casedesk.screens.case import CaseScreen
from casedesk.screens.interactions import InteractionLogScreen
from casedesk.screens.modals import CaseForm
from casedesk.services.workflow import tasks
from casedesk.services.workflow.templates import PlaybookTask, TemplateSpec, save_templates
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text

FIBRA = TemplateSpec(
    name="Avería de fibra",
    title="Avería de fibra",
    description="Luces del router:\nPruebas hechas:",
    area="technical",
    priority="high",
    severity="major",
    queue="technical",
    tasks=[
        PlaybookTask("Diagnóstico remoto", "1h", "owner"),
        PlaybookTask("Cita con el técnico", "4h"),
    ],
)


def _seed(world: World) -> None:
    with write_session(world.desk.engine) as session:
        save_templates(session, [FIBRA])


async def _open_case_form(pilot: object, app: object) -> CaseForm:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, InteractionLogScreen)
    screen.query_one("#log-typification", Select).value = "incident"
    screen.query_one("#log-subject", Input).focus()
    await type_text(pilot, "Sin fibra desde ayer")  # type: ignore[arg-type]
    await press(pilot, "ctrl+o")  # type: ignore[arg-type]
    form = app.screen  # type: ignore[attr-defined]
    assert isinstance(form, CaseForm)
    return form


async def test_choosing_a_template_fills_the_form_and_saving_adds_the_playbook(
    tui_world: World,
) -> None:
    _seed(tui_world)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await _open_case_form(pilot, app)
        form.query_one("#case-description", TextArea).text = "El cliente llama desde el móvil"
        form.query_one("#case-template", Select).value = "Avería de fibra"
        await settle(pilot)
        assert form.query_one("#case-title", Input).value == "Sin fibra desde ayer"  # kept
        assert form.query_one("#case-area", Select).value == "technical"
        assert form.query_one("#case-priority", Select).value == "high"
        assert form.query_one("#case-severity", Select).value == "major"
        assert form.query_one("#case-queue", Select).value == "technical"
        text = form.query_one("#case-description", TextArea).text
        assert text.startswith("Luces del router:") and text.endswith("desde el móvil")
        form.query_one("#case-severity", Select).value = "critical"  # still editable
        await press(pilot, "ctrl+s")
        assert app.current_mode == "case"
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None
        case = screen.bundle.case
        assert (case.title, case.queue, case.priority, case.severity) == (
            "Sin fibra desde ayer", "technical", "high", "critical")
        assert [t.title for t in screen.bundle.tasks] == ["Diagnóstico remoto",
                                                          "Cita con el técnico"]
        assert case.version == 1 + 2
        assert len(tasks.list_tasks(tui_world.desk, case=case.label)) == 2


async def test_my_bin_overrides_the_templates_queue_and_no_template_adds_no_tasks(
    tui_world: World,
) -> None:
    _seed(tui_world)
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await _open_case_form(pilot, app)
        form.query_one("#case-template", Select).value = "Avería de fibra"
        await settle(pilot)
        form.query_one("#case-queue", Select).value = CaseForm.MY_BIN
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None
        assert screen.bundle.case.owner == "ana" and screen.bundle.case.queue is None
        # "owner" tasks follow the case into her bin
        assert [t.assignee for t in screen.bundle.tasks] == ["ana", None]
        await press(pilot, "f2")
        form = await _open_case_form(pilot, app)
        form.query_one("#case-template", Select).value = "Avería de fibra"
        await settle(pilot)
        form.query_one("#case-template", Select).value = CaseForm.NO_TEMPLATE
        await settle(pilot)
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None
        assert screen.bundle.tasks == [] and screen.bundle.case.version == 1
