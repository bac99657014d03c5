"""F1: the desk's own help for the screen in front of the person.

First the keys of this screen (its bindings, in the reader's language), then the keys that
work everywhere (the App's), then the keys of the field in focus (Textual's widgets), then
a legend: what the SLA colours mean, which clock the countdowns count, and what each
status means; last, how to switch the language. It scrolls with the keyboard (up, down,
page up, page down, home, end) and closes with Esc or F1; it fits at 80×24.

The keys are read from the screen's *active* bindings when F1 is pressed (so a key
remapped in the config file's ``[keymap]`` shows as remapped, and a key that does not
apply now is left out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.widgets.sla import STATE_STYLE, state_word

#: What each status means to an agent (code → sentence).
STATUS_MEANING: dict[str, str] = {
    "new": N_("nobody has started work on it yet"),
    "in_progress": N_("somebody is working on it"),
    "awaiting_customer": N_("waiting for the customer: the resolution clock is paused"),
    "resolved": N_("solved; it closes by itself unless the customer answers"),
    "closed": N_("finished; reopen it within the reopen window if needed"),
    "cancelled": N_("withdrawn or a duplicate; no clock runs"),
}

#: What each SLA colour means (clock state → sentence).
STATE_MEANING: dict[str, str] = {
    "ok": N_("on time"),
    "warning": N_("most of the time is gone: act soon"),
    "breached": N_("past its deadline (the countdown has a minus sign)"),
    "paused": N_("the clock stands still while the customer is awaited"),
    "met": N_("answered or resolved in time"),
}


@dataclass(frozen=True)
class KeyLine:
    """One key of the help: what is pressed, and what it does."""

    key: str
    description: str


@dataclass(frozen=True)
class HelpContent:
    """The keys of the help screen, grouped (each already in the reader's language)."""

    title: str
    screen_keys: list[KeyLine]
    global_keys: list[KeyLine]
    field_keys: list[KeyLine]
    zone: str = "UTC"


def _lines(entries: Iterable[tuple[str, Binding]]) -> list[KeyLine]:
    seen: set[str] = set()
    out: list[KeyLine] = []
    for key, binding in entries:
        if not binding.description or binding.description in seen:
            continue
        seen.add(binding.description)
        out.append(KeyLine(key, binding.description))
    return out


def help_content(app: Any, title: str, zone: str) -> HelpContent:
    """The keys of the app's current screen, grouped: the screen's (and the screens' it
    derives from), the App's, the focused widget's."""
    screen = app.screen
    mine: list[tuple[str, Binding]] = []
    everywhere: list[tuple[str, Binding]] = []
    field: list[tuple[str, Binding]] = []
    textual_screen = {b.action for b in Screen.BINDINGS if isinstance(b, Binding)}
    moving: list[tuple[str, Binding]] = []  # Textual's own screen keys: tab, shift+tab …
    for active in screen.active_bindings.values():
        if not active.enabled:
            continue
        binding = active.binding
        entry = (app.get_key_display(binding), binding)
        if active.node is app:
            everywhere.append(entry)
        elif active.node is screen and binding.action in textual_screen:
            moving.append(entry)
        elif active.node is screen:
            mine.append(entry)
        else:
            field.append(entry)
    everywhere += moving
    return HelpContent(title, _lines(mine), _lines(everywhere), _lines(field), zone)


def _section(text: Text, heading: str, keys: list[KeyLine]) -> None:
    if not keys:
        return
    text.append(f"\n{heading}\n", style="bold underline")
    width = min(16, max(len(k.key) for k in keys) + 2)
    for k in keys:
        text.append(f"  {k.key:<{width}}", style="bold")
        text.append(f"{k.description}\n")


def help_text(content: HelpContent) -> Text:
    """The whole help as one ``Text`` (keys, legend, language)."""
    text = Text()
    text.append(content.title + "\n", style="bold")
    _section(text, _("Keys of this screen"), content.screen_keys)
    _section(text, _("Keys everywhere"), content.global_keys)
    _section(text, _("Keys of the field in focus"), content.field_keys)
    text.append("\n" + _("SLA colours") + "\n", style="bold underline")
    for state, meaning in STATE_MEANING.items():
        text.append(f"  {state_word(state):<14}", style=STATE_STYLE[state])
        text.append(_(meaning) + "\n")
    text.append(
        "  "
        + _("Countdowns count business time: the SLA's own clock, which stands still "
            "outside the calendar's working hours. The time beside a countdown is when it "
            "falls due by the wall clock, in your time zone ({zone}).").format(
            zone=content.zone)
        + "\n",
        style="dim",
    )
    text.append("\n" + _("Statuses") + "\n", style="bold underline")
    for code, meaning in STATUS_MEANING.items():
        text.append(f"  {label('status', code):<22}", style="bold")
        text.append(_(meaning) + "\n")
    text.append("\n" + _("Language") + "\n", style="bold underline")
    text.append(
        "  " + _("ctrl+p, then “Idioma / Language: English | Español” switches the "
                 "language; the choice is remembered.")
        + "\n"
    )
    text.append("\n" + _("↑ ↓ PgUp PgDn scroll · Esc or F1 closes"), style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    """The help for one screen; Esc or F1 closes it, the arrows and page keys scroll it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark", "close", "Close help", id="help-close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100%; max-width: 96; height: 100%; max-height: 40;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-scroll { height: 1fr; }
    HelpScreen #help-scroll:focus { background-tint: $foreground 0%; }
    """

    def __init__(self, content: HelpContent) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        with Vertical(), VerticalScroll(id="help-scroll"):
            yield Static(help_text(self.content), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()

    @property
    def text(self) -> str:
        """What the help says, as plain text (for tests)."""
        return help_text(self.content).plain

    def action_close(self) -> None:
        self.dismiss(None)
