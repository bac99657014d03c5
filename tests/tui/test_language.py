"""The workstation in the reader's language: key hints (the desk's and Textual's own)."""

from __future__ import annotations

from textual.widgets import Footer

from casedesk.i18n import set_language
from tests.conftest import World
from tests.tui.conftest import make_app, settle


def _footer_words(app) -> list[str]:  # noqa: ANN001
    return [b.binding.description for b in app.screen.active_bindings.values() if b.binding.show]


async def test_the_footer_speaks_spanish_and_english_again(tui_world: World) -> None:
    set_language("es")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one(Footer)
        words = _footer_words(app)
        assert "Entrada" in words and "Inbox" not in words
        assert "Ayuda" in words
    set_language("en")
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Inbox" in _footer_words(app)
