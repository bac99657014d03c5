"""Customer text is data (issue 10): every screen is fed the hostile corpus and stays up.

A world whose every text field — queue, agent, account and contact names, case titles and
descriptions, notes, tasks, interaction subjects and notes, article titles, keywords and
bodies — comes from :data:`tests.hostile.STORABLE` is seeded through the services; then
each screen is driven with the Pilot (toasts on). After every step: the app still runs, no
action ran (``app.quit`` and ``screen.dismiss`` are recorded instead of run), what is drawn
holds no terminal control, and the hostile text is drawn literally (``[/]`` visible, no
link).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Markdown, OptionList, Select, Static

from casedesk.app import CaseDeskApp
from casedesk.errors import CaseDeskError
from casedesk.screens.case import CaseScreen
from casedesk.screens.history import HistoryModal
from casedesk.screens.inbox import InboxScreen
from casedesk.screens.interactions import InteractionLogScreen
from casedesk.screens.knowledge import KnowledgeScreen
from casedesk.screens.modals import CaseForm, ChoicePrompt, TextPrompt
from casedesk.screens.supervisor import SupervisorScreen
from casedesk.screens.wip import WipScreen
from casedesk.services.directory import customers, queue_setup, staff
from casedesk.services.knowledge import library
from casedesk.services.queries import board
from casedesk.services.workflow import cases, interactions, tasks, transitions
from casedesk.textsafe import one_line
from tests.conftest import World
from tests.hostile import STORABLE, has_raw_control
from tests.tui.conftest import make_app, press, settle, type_text

#: The strings the assertions look for literally on screen.
CLOSER = "close [/] in the middle"
CLICK = "[@click=app.quit]click me[/]"
DISMISS = "[@click=screen.dismiss]dismiss[/]"


@dataclass
class Hostile:
    """What was seeded: the case every field of which is hostile, and the counts."""

    case: str
    contact_id: int
    seeded: dict[str, int] = field(default_factory=dict)
    #: Hostile title → the case that has it.
    titled: dict[str, str] = field(default_factory=dict)


def _try(seeded: dict[str, int], kind: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service; a refusal (a rule about that string) is fine, a crash is not."""
    try:
        result = fn(*args, **kwargs)
    except CaseDeskError:
        return None
    seeded[kind] = seeded.get(kind, 0) + 1
    return result


def seed(world: World) -> Hostile:
    desk, admin, ana = world.desk, world.admin, world.ana
    seeded: dict[str, int] = {}
    for i, text in enumerate(STORABLE):
        _try(seeded, "agent", staff.add_agent, desk, admin, login=f"hostile{i}", name=text)
        _try(seeded, "queue", queue_setup.add_queue, desk, admin, name=text,
             members=["ana", "maria"])
    account = customers.add_account(desk, name=CLOSER, tier="vip")
    contact = customers.add_contact(desk, name=CLOSER, phone="+34 600 999 000",
                                    email="hostile@example.com", account_id=account)
    main = cases.create_case(desk, ana, title=CLICK, description="\n".join(STORABLE[:30]),
                             contact_id=contact, priority="high")
    transitions.start(desk, ana, main.label)
    titled: dict[str, str] = {}
    for text in STORABLE:
        _try(seeded, "contact", customers.add_contact, desk, name=text)
        made = _try(seeded, "case", cases.create_case, desk, ana, title=text, description=text,
                    contact_id=contact, queue="technical")
        if made is not None:
            titled[text] = made.label
        _try(seeded, "note", cases.add_note, desk, ana, main.label, text)
        _try(seeded, "task", tasks.add_task, desk, ana, title=text, case=main.label,
             due_in="2h")
        _try(seeded, "interaction", interactions.log_interaction, desk, ana, channel="phone",
             contact_id=contact, subject=text, notes=text, case=main.label)
        article = _try(seeded, "article", library.add_article, desk, world.sup,
                       title=f"{text[:200]} router", keywords=text[:500],
                       body=f"{text}\n\n[see this](https://evil.example/{i}) router")
        if article is not None:
            library.publish(desk, world.sup, article.label)
    mine = cases.create_case(desk, ana, title=DISMISS, description=CLICK, contact_id=contact)
    transitions.start(desk, ana, mine.label)
    return Hostile(main.label, contact, seeded, titled)


def drawn(app: CaseDeskApp) -> str:
    """Every character the terminal gets for the current screen, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class Guard:
    """Records actions a customer's text might smuggle in, instead of running them."""

    def __init__(self, app: CaseDeskApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app = app
        self.ran: list[str] = []

        async def quit_recorded(*args: Any) -> None:
            self.ran.append("app.quit")

        monkeypatch.setattr(app, "action_quit", quit_recorded)

    def check(self, where: str) -> str:
        """The app still runs, nothing ran, nothing raw is drawn; returns what is drawn."""
        assert self.app.is_running, f"{where}: the app stopped"
        assert self.app._exit_renderables == [], f"{where}: the app raised"
        assert self.ran == [], f"{where}: a customer's text ran {self.ran}"
        text = drawn(self.app)
        assert not has_raw_control(text), f"{where}: a raw control character is drawn"
        return text


def dismiss_guard(screen: Any, monkeypatch: pytest.MonkeyPatch, guard: Guard) -> None:
    """``[@click=screen.dismiss]`` on a workstation screen is recorded, not run."""

    def dismissed(*args: Any, **kwargs: Any) -> None:
        guard.ran.append("screen.dismiss")

    monkeypatch.setattr(screen, "action_dismiss", dismissed)


def hostile_queues_drawn(world: World, text: str, prefix: str = "") -> list[str]:
    """The stored hostile queue names that are drawn literally (controls made visible)."""
    lines = text.splitlines()
    names = [n for n in board.queue_names(world.desk) if n in STORABLE or n.strip() in STORABLE]
    return [n for n in names
            if any(re.search(f"▊ +{re.escape(prefix + one_line(n))} +▎", line) for line in lines)]


def rendered(widget: Widget) -> str:
    """The plain text a Static shows."""
    assert isinstance(widget, Static)
    return str(widget.content)


async def click_text(pilot: Pilot[Any], widget: Widget, needle: str) -> None:
    """Click on the first cell of ``widget`` where ``needle`` is drawn (or its top left)."""
    region = widget.region
    lines = drawn(pilot.app).splitlines()  # type: ignore[arg-type]
    for y in range(region.y, min(region.bottom, len(lines))):
        x = lines[y].find(needle, region.x)
        if 0 <= x < region.right:
            await pilot.click(offset=(x + len(needle) // 2, y))
            await settle(pilot)
            return
    await pilot.click(widget, offset=(1, 0))
    await settle(pilot)


@pytest.fixture
def hostile(tui_world: World) -> Hostile:
    found = seed(tui_world)
    for kind in ("agent", "queue", "contact", "case", "note", "task", "interaction",
                 "article"):
        assert found.seeded.get(kind, 0) >= len(STORABLE) // 2, (kind, found.seeded)
    return found


async def test_inbox_and_wip_show_hostile_names_as_text(
    tui_world: World, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tui_world, "ana", start_mode="inbox")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        guard = Guard(app, monkeypatch)
        await settle(pilot)
        text = guard.check("inbox")
        queues = app.screen.query_one("#inbox-queues", DataTable)
        assert queues.row_count >= len(STORABLE) // 2
        names = [str(queues.get_cell_at((r, 0))) for r in range(queues.row_count)]
        assert "[/]" in names and "[/bold]" in names
        for row in range(min(queues.row_count, 40)):  # every hostile queue, landed on
            queues.move_cursor(row=row)
            await settle(pilot)
            guard.check(f"inbox queue {names[row]!r}")
        await press(pilot, "slash")
        await type_text(pilot, "[/]")
        await pilot.pause(0.3)
        await settle(pilot)
        text = guard.check("inbox filter")
        assert "“[/]”" in text  # the typed filter, shown literally

        await press(pilot, "f4")
        assert isinstance(app.screen, WipScreen)
        dismiss_guard(app.screen, monkeypatch, guard)
        text = guard.check("wip")
        assert "[@click=screen.dism" in text  # the title, literally (cut at 20)
        await click_text(pilot, app.screen.query_one("#wip-cases"), "[@click=screen")
        guard.check("wip click")
        await press(pilot, "d")  # dispatch: the queue choice lists hostile queue names
        assert isinstance(app.screen, ChoicePrompt)
        await settle(pilot)
        text = guard.check("dispatch prompt")
        assert len(hostile_queues_drawn(tui_world, text)) >= 5
        await press(pilot, "escape")
        guard.check("wip again")


async def test_case_screen_timeline_description_guidance(
    tui_world: World, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        guard = Guard(app, monkeypatch)
        await settle(pilot)
        app.open_case(hostile.case)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.bundle is not None
        dismiss_guard(screen, monkeypatch, guard)
        text = guard.check("case")
        header = rendered(screen.query_one("#case-header"))
        assert CLICK in header and CLOSER in header
        description = rendered(screen.query_one("#case-description"))
        assert "[/]" in description and "␛]0;pwned␇title" in description
        assert "<U+202E>evil" in description
        timeline = screen.query_one("#case-timeline", DataTable)
        details = [str(timeline.get_cell_at((r, 3))) for r in range(timeline.row_count)]
        assert any(CLICK in d for d in details) and any("[/bold]" in d for d in details)
        assert not any(has_raw_control(d) for d in details)
        task_titles = screen.query_one("#case-tasks", DataTable)
        assert task_titles.row_count >= len(STORABLE) // 2
        assert "[@click=app.quit]" in text

        await click_text(pilot, screen.query_one("#case-header"), "click me")
        guard.check("click on the title")
        await click_text(pilot, screen.query_one("#case-description"), "click me")
        guard.check("click on the description")
        for row in range(timeline.row_count):
            if CLICK in details[row]:
                timeline.move_cursor(row=row)
                await settle(pilot)
                await click_text(pilot, timeline, "click me")
                break
        guard.check("click on the timeline")

        guidance = [screen.query_one("#case-articles", OptionList),
                    screen.query_one("#case-similar", OptionList)]
        shown = [str(o.get_option_at_index(i).prompt)
                 for o in guidance for i in range(o.option_count)]
        assert shown, "guidance drawn"
        assert not any(has_raw_control(s) for s in shown)

        await press(pilot, "h")  # the customer's history
        assert isinstance(app.screen, HistoryModal)
        text = guard.check("history")
        assert CLOSER in text
        await click_text(pilot, app.screen.query_one("#history-title"), "[/]")
        guard.check("history click")
        await press(pilot, "escape")

        await press(pilot, "g")  # a "number" that is markup: refused in a toast, as text
        await type_text(pilot, "[@click=app.quit]x[/]")
        await press(pilot, "enter")
        assert app.notices[-1] == (
            "error", "'[@click=app.quit]x[/]' is not a case number (expected e.g. CS-000123)"
        )
        await pilot.pause(0.3)
        text = guard.check("toast")
        assert "'[@click=app.quit]x[/]'" in text  # in the toast (wrapped after it)
        await click_text(pilot, screen, "[@click=app.quit]x")
        guard.check("click on the toast")
        await press(pilot, "escape")

        await press(pilot, "n")  # a note that is hostile itself
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, CLICK)
        await press(pilot, "enter")
        assert not isinstance(app.screen, TextPrompt)
        guard.check("note written")
        assert any(CLICK in str(timeline.get_cell_at((r, 3)))
                   for r in range(timeline.row_count))


async def test_interaction_log_picks_the_hostile_customer(
    tui_world: World, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        guard = Guard(app, monkeypatch)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InteractionLogScreen)
        text = guard.check("log")
        await type_text(pilot, "close [/]")
        await pilot.pause(0.3)
        await settle(pilot)
        text = guard.check("contact matches")
        assert CLOSER in text
        await press(pilot, "down", "enter")
        assert screen.contact is not None and screen.contact["name"] == CLOSER
        await settle(pilot)
        text = guard.check("customer chosen")
        assert f"✔ {CLOSER}" in text
        await click_text(pilot, screen.query_one("#log-contact"), "[/]")
        guard.check("click on the customer")
        history = screen.query_one("#history-interactions", DataTable)
        assert history.row_count >= len(STORABLE) // 2
        subjects = [str(history.get_cell_at((r, 3))) for r in range(history.row_count)]
        assert "[/]" in subjects

        await type_text(pilot, DISMISS)  # the subject
        await press(pilot, "ctrl+o")  # a case from it: the form lists hostile queues
        form = app.screen
        assert isinstance(form, CaseForm)
        text = guard.check("case form")
        assert DISMISS in text
        form.query_one("#case-queue", Select).focus()
        await press(pilot, "enter")
        text = guard.check("queue choice")
        assert len(hostile_queues_drawn(tui_world, text, prefix="queue ")) >= 5
        await press(pilot, "escape")
        await press(pilot, "escape")
        assert app.screen is screen

        await press(pilot, "ctrl+l")  # save on a case whose "number" is markup
        form = app.screen
        assert isinstance(form, TextPrompt)
        form.query_one("#prompt-input", Input).value = "[@click=app.quit]x[/]"
        await press(pilot, "enter")
        assert app.screen is form, "refused: the prompt stays, with what was typed"
        text = guard.check("refused number")
        error = rendered(form.query_one("#form-error"))
        assert error.startswith("'[@click=app.quit]x[/]' is not a case number")
        await click_text(pilot, form.query_one("#form-error"), "x[/]")
        guard.check("click on the error")
        await press(pilot, "escape")
        assert app.screen is screen
        await press(pilot, "ctrl+r")
        for text_ in ("[bold]never", "\x1b]0;pw", "\u202eevil"):  # other matches, drawn
            await type_text(pilot, text_)
            await pilot.pause(0.3)
            await settle(pilot)
            guard.check(f"search {text_!r}")
            await press(pilot, "ctrl+r")

        for title in ("\x1b]52;c;cm0gLXJmIH4=\x07clipboard", CLICK, "[/bold]"):
            # "log on this case" prefills the subject from the case's title
            app.open_case(hostile.titled.get(title, hostile.case))
            await settle(pilot)
            await press(pilot, "i")
            assert app.screen is screen
            text = guard.check(f"log on the case {title!r}")
            assert "Re: " in text


async def test_supervisor_view_and_assign_prompt(
    tui_world: World, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tui_world, "maria", start_mode="supervisor")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        guard = Guard(app, monkeypatch)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        dismiss_guard(screen, monkeypatch, guard)
        guard.check("supervisor")
        agents = screen.query_one("#sup-agents", DataTable)
        names = [str(agents.get_cell_at((r, 0))) for r in range(agents.row_count)]
        assert "[/]" in names and CLICK in names
        await press(pilot, "g")
        for row in range(agents.row_count):  # every agent's bin
            agents.move_cursor(row=row)
            await settle(pilot)
            guard.check(f"agent {names[row]!r}")
            if names[row] == "[/]":
                title = rendered(screen.query_one("#sup-cases-title"))
                assert title.startswith("In [/]'s bin")
        await press(pilot, "q")
        queues = screen.query_one("#sup-queues", DataTable)
        for row in range(queues.row_count):
            queues.move_cursor(row=row)
            await settle(pilot)
            guard.check(f"queue row {row}")
        queues.move_cursor(row=0)
        await settle(pilot)
        await press(pilot, "c")
        if screen.cases.row_count:
            await press(pilot, "a")
            assert isinstance(app.screen, ChoicePrompt)
            text = guard.check("assign prompt")
            assert "[/bold]" in text
            await press(pilot, "escape")
        guard.check("supervisor again")


async def test_knowledge_search_and_markdown_preview(
    tui_world: World, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tui_world, "ana", start_mode="case")
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        guard = Guard(app, monkeypatch)
        await settle(pilot)
        app.open_case(hostile.case)
        await settle(pilot)
        await press(pilot, "k")
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen)
        dismiss_guard(screen, monkeypatch, guard)
        text = guard.check("knowledge")
        assert "click me" in rendered(screen.query_one("#kb-case"))
        await type_text(pilot, "router")
        await pilot.pause(0.3)
        await settle(pilot)
        results = screen.query_one("#kb-results", OptionList)
        assert results.option_count >= 10
        for index in range(results.option_count):  # preview every hostile article
            results.highlighted = index
            await settle(pilot)
            guard.check(f"article {index}")
            preview = screen.query_one("#kb-preview", Markdown)
            assert not has_raw_control(preview.source)
        for index in range(results.option_count):
            prompt = str(results.get_option_at_index(index).prompt)
            if CLICK in prompt:
                results.highlighted = index
                await settle(pilot)
                break
        text = guard.check("the click article")
        assert "[@click=app.quit]click me[/]" in text
        await click_text(pilot, screen.query_one("#kb-preview"), "click me")
        guard.check("click in the article")
        await click_text(pilot, screen.query_one("#kb-preview"), "see this")
        guard.check("click on a link")
        assert opened == [], "an article's link is not opened"
        assert any(m.startswith("link (not opened): https://evil.example/")
                   for _, m in app.notices), "the click landed on the link, which says where"


async def test_command_palette_search_shows_titles_as_text(
    tui_world: World, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tui_world, "ana", start_mode="inbox")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        guard = Guard(app, monkeypatch)
        await settle(pilot)
        for query in ("click me", "[/bold]", "pwned", "never closed"):
            await press(pilot, "ctrl+p")
            await type_text(pilot, query)
            await pilot.pause(0.5)
            await settle(pilot)
            text = guard.check(f"palette {query!r}")
            assert "Open CS-" in text, query
            await press(pilot, "escape")
            with contextlib.suppress(Exception):
                await press(pilot, "escape")
        guard.check("palette closed")
        assert isinstance(app.screen, InboxScreen)
