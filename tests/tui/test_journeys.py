"""Done-when journeys, by keyboard alone (no widget is poked, only keys are pressed)."""

from __future__ import annotations

from casedesk.screens.case import CaseScreen
from casedesk.services.directory import customers
from casedesk.services.knowledge import library
from casedesk.services.queries import board, reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import World
from tests.tui.conftest import infos, make_app, press, settle, type_text


async def test_agent_call_from_a_new_customer_to_a_closed_case(tui_world: World) -> None:
    """(a) Log an inbound call from a new customer, open a case from it, find and link a
    knowledge article, wait for the customer, resume, resolve and close."""
    desk = tui_world.desk
    article = library.add_article(desk, tui_world.sup, title="Reiniciar el router",
                                    keywords="router, wifi", body="Desenchúfalo 30 s.")
    library.publish(desk, tui_world.sup, article.label)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f2")
        await type_text(pilot, "Lola Méndez")
        await pilot.pause(0.25)
        await press(pilot, "ctrl+n", "tab")
        await type_text(pilot, "lola@example.com")
        await press(pilot, "enter", "enter")
        await type_text(pilot, "Router sin wifi")
        await press(pilot, "tab")
        await type_text(pilot, "Se cae la wifi cada noche")
        await press(pilot, "ctrl+o", "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None, app.notices
        label = screen.bundle.case.label
        case = reads.get_case(desk, label)
        assert (case.contact, case.owner, case.title) == ("Lola Méndez", "ana", "Router sin wifi")
        assert case.first_response_at is not None

        await press(pilot, "k")
        await press(pilot, "enter")  # to the articles suggested for the case
        await press(pilot, "ctrl+l")
        assert f"{article.label} linked to {label}" in infos(app)
        await press(pilot, "f5", "w")
        assert reads.get_case(desk, label).status == "awaiting_customer"
        await press(pilot, "u")
        assert reads.get_case(desk, label).status == "in_progress"
        await press(pilot, "v")
        await type_text(pilot, "Reinicio del router y cambio de canal wifi")
        await press(pilot, "ctrl+s")
        assert reads.get_case(desk, label).status == "resolved"
        await press(pilot, "c")
        final = reads.get_case(desk, label)
        assert final.status == "closed" and final.resolution_type == "solved"
        used = {(link.kind, link.case) for link in library.get_article(desk, article.label).links}
        assert ("used", label) in used
        kinds = [e.kind for e in reads.timeline(desk, label)]
        for kind in ("create", "wait", "resume", "resolve", "close"):
            assert kind in kinds
        contact = customers.find_contacts(desk, "lola@example.com")
        assert [c["name"] for c in contact] == ["Lola Méndez"]


async def test_supervisor_yanks_from_one_agent_and_assigns_to_another(tui_world: World) -> None:
    """(b) A supervisor yanks a case from Luis's bin and assigns it to Carmen."""
    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Cobertura en Triana", queue="technical")
    transitions.accept(desk, tui_world.luis, case.label)
    agents = [a.login for a in board.agent_loads(desk)]  # the supervisor's list, by name
    queues = [q.name for q in board.queue_loads(desk)]
    app = make_app(tui_world, "maria")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f7", "g")
        await press(pilot, *["down"] * agents.index("luis"))
        await press(pilot, "c", "y", "y")  # y yank, y yes (it asks first)
        yanked = reads.get_case(desk, case.label)
        assert yanked.owner is None and yanked.queue == "technical"

        await press(pilot, "q")
        await press(pilot, *["down"] * queues.index("technical"))
        await press(pilot, "c", "a")
        await press(pilot, *["down"] * agents.index("carmen"), "enter")  # nobody owns it now
        assigned = reads.get_case(desk, case.label)
        assert assigned.owner == "carmen"
        kinds = [e.kind for e in reads.timeline(desk, case.label)]
        assert kinds[-2:] == ["yank", "assign"]
