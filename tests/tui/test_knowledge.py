"""Knowledge search: as you type, highlighted snippets, preview, link and send; and the
case screen's suggestions."""

from __future__ import annotations

from textual.widgets import Input, Markdown, OptionList, Static

from casedesk.plain import marked
from casedesk.screens.case import CaseScreen
from casedesk.screens.knowledge import HIGHLIGHT, KnowledgeScreen
from casedesk.screens.modals import ConfirmPrompt
from casedesk.services.knowledge import library
from casedesk.services.knowledge.folding import MARK_END, MARK_START
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import infos, make_app, press, settle, type_text


def _articles(world: World) -> list[str]:
    made = []
    for title, keywords, body in (
        ("Reiniciar el router", "router, wifi, reinicio",
         "## Pasos\n\n1. Desenchufa el router 30 segundos.\n2. Vuelve a enchufarlo."),
        ("Cargo duplicado en la factura", "factura, cargo, devolución",
         "Revisa los movimientos y solicita la devolución del cargo repetido."),
    ):
        art = library.add_article(world.desk, world.sup, title=title, keywords=keywords,
                                    body=body)
        library.publish(world.desk, world.sup, art.label)
        made.append(art.label)
    return made


def test_snippet_marks_become_highlights() -> None:
    text = marked(f"desenchufa el {MARK_START}router{MARK_END} 30 s [i]\x1b[2J", HIGHLIGHT)
    assert text.plain == "desenchufa el router 30 s [i]␛[2J"
    assert [(text.plain[s.start:s.end], s.style) for s in text.spans] == [("router", HIGHLIGHT)]


async def test_search_preview_link_and_send(tui_world: World) -> None:
    router, _factura = _articles(tui_world)
    case = cases.create_case(tui_world.desk, tui_world.ana, title="Router sin wifi",
                             contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        articles = screen.query_one("#case-articles", OptionList)
        assert articles.get_option_at_index(0).id == router
        await press(pilot, "k")
        kb = app.screen
        assert isinstance(kb, KnowledgeScreen)
        search = kb.query_one("#kb-search", Input)
        assert search.value == "" and [r.label for r in kb.results] == [router]
        assert "Suggested for case" in str(kb.query_one("#kb-case").render())
        await type_text(pilot, "factu")
        await pilot.pause(0.3)
        await settle(pilot)
        results = kb.query_one("#kb-results", OptionList)
        assert [r.label for r in kb.results] == [_factura]
        prompt = results.get_option_at_index(0).prompt
        assert "Cargo duplicado en la factura" in str(prompt)
        search.value = ""
        await type_text(pilot, "router")
        await pilot.pause(0.3)
        await settle(pilot)
        await press(pilot, "down")
        assert kb.article is not None and kb.article.label == router
        preview = kb.query_one("#kb-preview", Markdown)
        assert "Desenchufa el router" in preview.source
        await press(pilot, "ctrl+l")
        await press(pilot, "ctrl+s")  # asks first: where it goes and what it says
        ask = app.screen
        assert isinstance(ask, ConfirmPrompt)
        question = str(ask.query_one("#confirm-question", Static).render())
        assert question == f"Send {router} to Juan Pérez <juan.perez@example.com>?"
        assert "Desenchufa el router" in str(ask.query_one("#confirm-detail", Static).render())
        await press(pilot, "n")  # no: nothing goes out
        assert isinstance(app.screen, KnowledgeScreen)
        assert not any("sent to" in m for m in infos(app))
        await press(pilot, "ctrl+s", "y")
        assert f"{router} linked to {case.label}" in infos(app)
        assert f"{router} sent to Juan Pérez" in infos(app)
        links = {(link.kind, link.case) for link in library.get_article(tui_world.desk,
                                                                           router).links}
        assert links == {("used", case.label), ("sent", case.label)}
        timeline = reads.timeline(tui_world.desk, case.label)
        assert any(e.kind == "interaction" and "outbound e-mail" in e.text for e in timeline)


async def test_linking_needs_an_open_case(tui_world: World) -> None:
    _articles(tui_world)
    app = make_app(tui_world, "ana", start_mode="knowledge")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "router")
        await pilot.pause(0.3)
        await press(pilot, "down")
        await press(pilot, "ctrl+l")
        assert app.notices[-1] == ("warning", "no case open: open one (F5) first")
