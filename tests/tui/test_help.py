"""The workstation's frame in the reader's language (issue 15 points 1, 3 and 5): F1 help,
the command palette, the language switch, one clock in every view, and no English word
left on the frame in Spanish."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Footer, Header

from casedesk import catalogues
from casedesk.config import read_config_file
from casedesk.i18n import language, set_language
from casedesk.screens.case import CaseScreen
from casedesk.screens.help import HelpScreen
from casedesk.screens.modals import ChoicePrompt, ConfirmPrompt, ResolveForm
from casedesk.screens.signin import SignInScreen
from casedesk.services.workflow import cases
from casedesk.widgets import textual_words
from casedesk.widgets.case_table import CaseTable
from casedesk.widgets.sla import SlaPanel
from tests.conftest import World
from tests.tui.conftest import make_app, press, settle, type_text

_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def english_only_words() -> set[str]:
    """Words of the catalogue's English messages that no Spanish message uses: seeing one
    on a Spanish screen means something was left untranslated."""
    english: set[str] = set()
    spanish: set[str] = set()
    for message in catalogues.read("es"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (
            message.string,)
        for text in ids:
            english |= _words(text)
        for text in strings:
            spanish |= _words(text or "")
    # names of commands, files, keys and the language switch are the same in both
    return english - spanish - {"casedesk", "ctrl", "esc", "enter", "tab", "english",
                               "language"}


def screen_lines(app: Any) -> list[str]:
    """What the terminal shows now, line by line (rebuilt from the SVG screenshot)."""
    svg = app.export_screenshot()
    width, height = app.size
    grid = [[" "] * width for _ in range(height)]
    for x, line, text in re.findall(
        r'<text[^>]*x="([0-9.]+)"[^>]*clip-path="url\(#[\w-]*line-(\d+)\)"[^>]*>(.*?)</text>',
        svg, flags=re.S,
    ):
        row, col = int(line), round(float(x) / 12.2)
        for i, ch in enumerate(html.unescape(text).replace("\xa0", " ")):
            if row < height and col + i < width:
                grid[row][col + i] = ch
    return ["".join(r) for r in grid]


def screen_text(app: Any, region: Region | None = None) -> str:
    """The text shown now, or only inside ``region`` (one widget's box)."""
    lines = screen_lines(app)
    if region is None:
        return "\n".join(lines)
    return "\n".join(line[region.x : region.right] for line in lines[region.y : region.bottom])


def data_words(world: World) -> set[str]:
    """Words of the data shown (agents' names and logins, queue names): data, not text."""
    from casedesk.services.directory import staff
    from casedesk.services.queries import board

    words: set[str] = set()
    for agent in staff.list_agents(world.desk):
        words |= _words(f"{agent.name} {agent.login}")
    for name in board.queue_names(world.desk):
        words |= _words(name)
    return words


def assert_no_english(app: Any, where: str, region: Region | None = None,
                      data: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    text = screen_text(app, region)
    left = sorted(_words(text) & english_only_words() - data)
    assert not left, f"English on the {where} in Spanish: {left}\n{text}"


async def test_f1_lists_this_screens_keys_first_then_global_keys_and_a_legend(
    tui_world: World,
) -> None:
    # a case in the bin, highlighted: its keys apply (an empty bin has none to list)
    cases.create_case(tui_world.desk, tui_world.ana, title="Sin servicio")
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = help_screen.text
        mine = text.index("Keys of this screen")
        everywhere = text.index("Keys everywhere")
        assert mine < everywhere < text.index("SLA colours") < text.index("Statuses")
        assert "Resolve" in text[mine:everywhere]  # the bin's own keys, first
        assert "Inbox" in text[everywhere:] and "Inbox" not in text[mine:everywhere]
        for word in ("breached", "paused", "awaiting customer", "business time"):
            assert word in text
        assert "Idioma / Language" in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        await press(pilot, "f1")
        await press(pilot, "f1")
        assert not isinstance(app.screen, HelpScreen)


async def test_f1_help_fits_at_80x24_and_scrolls_with_the_keyboard(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        box: Widget = scroll.parent  # type: ignore[assignment]
        region = box.region
        assert region.x >= 0 and region.y >= 0
        assert region.right <= 80 and region.bottom <= 24
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        await press(pilot, "down")
        assert scroll.scroll_y == 1
        await press(pilot, "pagedown")
        assert scroll.scroll_y > 1
        await press(pilot, "end")
        assert scroll.scroll_y == scroll.max_scroll_y
        await press(pilot, "pageup")
        assert scroll.scroll_y < scroll.max_scroll_y
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_palette_lists_the_desks_actions_before_textuals(tui_world: World) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        await pilot.pause(0.5)
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        titles = [str(options.get_option_at_index(i).prompt).split("\n")[0]
                  for i in range(options.option_count)]
        assert titles[0].startswith("Go to"), titles
        first_textual = min(titles.index(t) for t in ("Theme", "Screenshot", "Quit"))
        last_desk = max(i for i, t in enumerate(titles)
                        if t.startswith(("Go to", "Help", "Idioma", "Queue inbox")))
        assert last_desk < first_textual, titles
        assert not any(t in ("Keys", "Maximize", "Minimize") for t in titles)


async def test_the_language_switch_translates_every_screen_and_is_remembered(
    tui_world: World,
) -> None:
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        await type_text(pilot, "idioma")
        await pilot.pause(0.4)
        await press(pilot, "enter")
        assert isinstance(app.screen, ChoicePrompt)
        await press(pilot, "enter")  # Español: the other language comes first
        await settle(pilot)
        assert language() == "es"
        assert read_config_file()["language"] == "es"
        footer = [b.binding.description for b in app.screen.active_bindings.values()
                  if b.binding.show]
        assert "Entrada" in footer and "Inbox" not in footer
        table = app.screen.query_one(CaseTable)
        assert "Vence" in screen_text(app) and "Due (business)" not in screen_text(app)
        assert table.is_attached
        assert app.notices[-1] == ("information", "El puesto habla ahora Español.")
        await press(pilot, "f4")
        await settle(pilot)
        assert "Mi bandeja" in app.screen.sub_title
        # and back
        await app.switch_language("en")
        await settle(pilot)
        assert language() == "en" and read_config_file()["language"] == "en"
        assert "Inbox" in [b.binding.description for b in app.screen.active_bindings.values()]


async def test_the_language_switch_refuses_while_a_call_is_half_logged(tui_world: World) -> None:
    app = make_app(tui_world, "ana", start_mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#log-subject").value = "Llamada a medias"  # type: ignore[attr-defined]
        assert await app.switch_language("es") is False
        assert language() == "en"
        severity, message = app.notices[-1]
        assert severity == "warning" and "half logged" in message
        assert app.screen.query_one("#log-subject").value == "Llamada a medias"  # type: ignore[attr-defined]
        assert "language" not in read_config_file()


async def test_one_clock_the_list_and_the_case_screen_read_the_same_business_time(
    tui_world: World,
) -> None:
    desk = tui_world.desk
    # Monday 12:00 in Madrid: the standard policy's 4 h first response (madrid-office,
    # lunch 14–15) falls due at 17:00, 5 h of wall-clock time but 4 h of business time
    desk.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    case = cases.create_case(desk, tui_world.ana, title="Consulta de factura", priority="low",
                             contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.pause(0.1)
        table = app.screen.query_one(CaseTable)
        row = next(i for i, r in enumerate(table.rows_held) if r.label == case.label)
        in_list = str(table.get_cell_at((row, 0))).split()
        assert in_list == ["4h", "00m", "17:00"], in_list  # business time, then due wall time
        app.open_case(case.label)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        panel = screen.query_one(SlaPanel)
        first = next(line for line in panel.lines() if line[0] == "First response")
        assert first[3] == "4h 00m" == " ".join(in_list[:2])
        assert "business time" in str(panel.render()) and "Europe/Madrid" in str(panel.render())


async def test_a_paused_clock_past_its_deadline_says_over_not_minus_left(
    tui_world: World,
) -> None:
    from casedesk.services.workflow import transitions

    desk = tui_world.desk
    case = cases.create_case(desk, tui_world.ana, title="Router", contact_id=tui_world.contact_id)
    transitions.start(desk, tui_world.ana, case.label)
    desk.clock.advance(timedelta(days=9))  # type: ignore[attr-defined]
    transitions.wait(desk, tui_world.ana, case.label)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(case.label)
        await settle(pilot)
        panel = app.screen.query_one(SlaPanel)
        await pilot.pause(0.1)
        resolution = next(line for line in panel.lines() if line[0] == "Resolution")
        assert resolution[3].startswith("paused, ") and resolution[3].endswith(" over")
        assert "-" not in resolution[3] and "left" not in resolution[3]


def test_textual_words_lists_every_key_description_of_textuals_widgets() -> None:
    import textual.widgets as widgets  # noqa: F401 - imports the widget classes below
    from textual.binding import Binding
    from textual.dom import DOMNode
    from textual.widgets import (  # noqa: F401 - their classes are walked below
        DataTable,
        Input,
        OptionList,
        Select,
        TabbedContent,
        TextArea,
    )

    def walk(cls: type) -> list[type]:
        found = [cls]
        for sub in cls.__subclasses__():
            found += walk(sub)
        return found

    descriptions = set()
    for cls in walk(DOMNode):
        if cls.__module__.startswith("textual"):
            for b in cls.__dict__.get("BINDINGS", []):
                if isinstance(b, Binding) and b.description:
                    descriptions.add(b.description)
    assert descriptions - set(textual_words.WORDS) == set()


async def test_the_frame_reads_spanish_header_footer_help_palette_modals(
    tui_world: World,
) -> None:
    set_language("es")
    data = data_words(tui_world)
    app = make_app(tui_world, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for part in (Header, Footer):
            assert_no_english(app, part.__name__, app.screen.query_one(part).region, data)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Teclas de esta pantalla" in app.screen.text
        box = app.screen.query_one(Vertical).region
        assert_no_english(app, "help", box, data)
        await press(pilot, "end")
        assert_no_english(app, "end of the help", box, data)
        await press(pilot, "escape")
        await press(pilot, "ctrl+p")
        await pilot.pause(0.5)
        from textual.command import CommandInput, CommandList

        palette = app.screen.query_one(CommandInput).region.union(
            app.screen.query_one(CommandList).region).grow((1, 0, 6, 0))
        assert "Buscar comandos" in screen_text(app, palette)
        assert_no_english(app, "palette", palette, data)
        await type_text(pilot, "zzzzqqq")
        await pilot.pause(1.0)
        assert "No hay coincidencias" in screen_text(app)
        await press(pilot, "escape")
        await settle(pilot)
        app.push_screen(ResolveForm("CS-000001", ("solved", "workaround", "duplicate")))
        await settle(pilot)
        assert_no_english(app, "resolve form", app.screen.query_one(Vertical).region, data)
        await press(pilot, "escape")
        await settle(pilot)
        app.push_screen(ConfirmPrompt("¿Salir y perder el trabajo sin guardar?", "x"))
        await settle(pilot)
        assert_no_english(app, "confirmation", app.screen.query_one(Vertical).region, data)


async def test_the_sign_in_screen_reads_spanish(tui_world: World) -> None:
    set_language("es")
    app = make_app(tui_world, None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "¿Quién está en este puesto?" in screen_text(app)
        assert_no_english(app, "sign-in screen", None, data_words(tui_world))


async def test_switching_language_while_the_lists_still_load_loses_nothing(
    tui_world: World,
) -> None:
    cases.create_case(tui_world.desk, tui_world.ana, title="Factura",
                      contact_id=tui_world.contact_id)
    app = make_app(tui_world, "ana", start_mode="wip")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # the bin's first load is still running
        assert await app.switch_language("es")
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        assert [r.title for r in table.rows_held] == ["Factura"]
        assert "Caso" in screen_text(app) and "Vence" in screen_text(app)
        assert app.is_running
