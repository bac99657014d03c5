"""A whole shift in each language, by keyboard alone: log an inbound call from a known
customer and open a case in a chosen queue, take the next case, find an article, resolve.

In Spanish no English word may appear on any screen the shift passes through (read from
the screenshot, so only what is drawn counts). The English words are those of the
catalogue's messages that no Spanish translation uses (names such as casedesk, SLA or CSV
aside); the data of the test world (queue names, logins) is not translated and is left
out too. The journey "log a call from a known customer and open a case in a chosen queue"
is counted in keys beyond the typed text (the target is at most 12).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from textual.pilot import Pilot

from casedesk.catalogues import read
from casedesk.i18n import set_language
from casedesk.screens.call_case import CallCaseForm
from casedesk.screens.case import CaseScreen
from casedesk.screens.interactions import InteractionLogScreen
from casedesk.screens.knowledge import KnowledgeScreen
from casedesk.screens.modals import ResolveForm
from casedesk.services.knowledge import library
from casedesk.services.queries import board, reads
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text

#: Words both languages write the same way, or names: never "English on the screen".
NAMES = {
    "casedesk", "sla", "csv", "xlsx", "json", "toml", "yaml", "ctrl", "shift", "enter",
    "esc", "tab", "kb", "cs", "id", "ok", "min", "mm", "ss", "wip", "re", "email", "e-mail",
    "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "url", "vip", "total",
    "supervisor", "chat", "web", "worker", "admin", "error", "sql",
}
#: False until the widgets, modals, screen titles and the timeline's texts (files outside
#: the work screens: widgets/, screens/modals.py, screens/base.py, screens/actions.py,
#: services/queries/reads.py) speak Spanish too; then any English word fails the test.
OTHERS_TRANSLATED = True
#: The key count target of the call-to-case journey (issue 15; 16 before).
CALL_TO_CASE_KEYS = 12
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]{3,}")


def english_words() -> set[str]:
    """Words of the catalogue's English messages that no Spanish message uses."""
    catalogue = read("es")
    english: set[str] = set()
    spanish: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            english |= {w.lower() for w in _WORD.findall(re.sub(r"\{\w+\}", "", text))}
        for text in strings:
            spanish |= {w.lower() for w in _WORD.findall(re.sub(r"\{\w+\}", "", text or ""))}
    return english - spanish - NAMES


def screen_text(app: Any) -> str:
    """What the terminal shows now (the screenshot's text, one run per styled span)."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", r)).replace("\xa0", " ")
                    for r in runs)


class Shift:
    """Presses keys, counting them, and collects the English words seen on each screen."""

    def __init__(self, pilot: Pilot[Any], data_words: set[str]) -> None:
        self.pilot = pilot
        self.keys = 0
        self.english = english_words() - data_words
        self.seen: dict[str, set[str]] = {}

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await press(self.pilot, *keys)
        self.look()

    async def type(self, text: str) -> None:
        await type_text(self.pilot, text)
        self.look()

    def look(self) -> None:
        app = self.pilot.app
        words = {w.lower() for w in _WORD.findall(screen_text(app))}
        found = words & self.english
        if found:
            self.seen.setdefault(type(app.screen).__name__, set()).update(found)


@pytest.mark.parametrize("language", ["en", "es"])
async def test_a_shift_by_keyboard_in_each_language(tui_world: World, language: str) -> None:
    set_language(language)
    desk = tui_world.desk
    article = library.add_article(desk, tui_world.sup, title="Reiniciar el router",
                                    keywords="router, wifi", body="Desenchúfalo 30 s.")
    library.publish(desk, tui_world.sup, article.label)
    waiting = cases.create_case(desk, tui_world.sup, title="El router no enciende",
                                contact_id=tui_world.contact_id, queue="technical",
                                priority="high", severity="major")
    queues = board.queue_names(desk)
    data = {w.lower() for name in queues for w in _WORD.findall(name)}
    data |= {"ana", "luis", "maria", "carmen", "admin"}
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shift = Shift(pilot, data)
        shift.look()

        # 1. log an inbound call from a known customer, open a case in a chosen queue
        await shift.press("f2")
        assert isinstance(app.screen, InteractionLogScreen)
        await shift.type("juan pérez")
        await shift.press("enter")  # the first match: Juan Pérez, on to the subject
        log = app.screen
        assert isinstance(log, InteractionLogScreen) and log.contact is not None
        assert log.contact["name"] == "Juan Pérez"
        await shift.type("Sin cobertura en casa")
        await shift.press("ctrl+o")
        assert isinstance(app.screen, CallCaseForm)
        # the form opens on "where it goes": my bin first, then the queues by name
        await shift.press("enter", *["down"] * (1 + queues.index("billing")), "enter")
        await shift.press("ctrl+s")
        assert shift.keys <= CALL_TO_CASE_KEYS, shift.keys
        call_to_case = shift.keys
        opened = app.screen
        assert isinstance(opened, CaseScreen) and opened.bundle is not None
        case = reads.get_case(desk, opened.bundle.case.label)
        assert (case.contact, case.queue, case.owner, case.title) == (
            "Juan Pérez", "billing", None, "Sin cobertura en casa")
        assert case.first_response_at is not None

        # 2. take the next case of the queue inbox
        await shift.press("f3", "n")
        taken = app.screen
        assert isinstance(taken, CaseScreen) and taken.bundle is not None
        assert taken.bundle.case.label == waiting.label
        assert reads.get_case(desk, waiting.label).owner == "ana"

        # 3. find an article for it
        await shift.press("k")
        assert isinstance(app.screen, KnowledgeScreen)
        await shift.type("router")
        await pilot.pause(0.3)
        await settle(pilot)
        await shift.press("down")
        kb = app.screen
        assert isinstance(kb, KnowledgeScreen) and kb.article is not None
        assert kb.article.label == article.label
        await shift.press("ctrl+l")

        # 4. resolve it
        await shift.press("f5", "v")
        assert isinstance(app.screen, ResolveForm)
        await shift.type("Reinicio del router")
        await shift.press("ctrl+s")
        assert reads.get_case(desk, waiting.label).status == "resolved"

    print(f"{language}: call to case in {call_to_case} keys, shift in {shift.keys} keys")
    # f2, Enter (the customer), ctrl+o, Enter, Down (billing: the first queue), Enter, ctrl+s
    assert call_to_case == 7
    if language == "es" and shift.seen:
        left = "; ".join(f"{k}: {' '.join(sorted(v))}" for k, v in shift.seen.items())
        if not OTHERS_TRANSLATED:
            pytest.xfail(f"English drawn by files outside this branch: {left}")
        pytest.fail(f"English on the Spanish screens: {left}")
