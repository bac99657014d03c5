"""Textual"s own key descriptions, for the catalogue.

Textual"s widgets (Input, TextArea, DataTable, Select, OptionList …) describe their keys
in English in their ``BINDINGS``; the F1 help shows them for the field in focus.
Babel does not read Textual"s source, so the descriptions are listed here with
:func:`~casedesk.i18n.N_`: extracted into the catalogue, and translated by
:mod:`casedesk.widgets.localize` like the desk"s own (a ``Binding``"s description is the
message id). ``tests/tui/test_help.py`` checks that every description Textual"s widgets
carry is listed.
"""

from __future__ import annotations

from casedesk.i18n import N_, pgettext
from casedesk.labels import NP_

#: Every key description of Textual"s widgets (Textual 8).
WORDS: tuple[str, ...] = (
    N_("Bottom"),
    N_("Copy"),
    N_("Copy selected text"),
    N_("Cursor Down"),
    N_("Cursor Up"),
    N_("Cursor down"),
    N_("Cursor down select"),
    N_("Cursor left"),
    N_("Cursor left select"),
    N_("Cursor left word select"),
    N_("Cursor line end"),
    N_("Cursor line end select"),
    N_("Cursor line start"),
    N_("Cursor line start select"),
    N_("Cursor page down"),
    N_("Cursor page up"),
    N_("Cursor right"),
    N_("Cursor right select"),
    N_("Cursor right word select"),
    N_("Cursor to next ancestor"),
    N_("Cursor to next sibling"),
    N_("Cursor to parent"),
    N_("Cursor to previous sibling"),
    N_("Cursor up"),
    N_("Cursor up select"),
    N_("Cursor word left"),
    N_("Cursor word right"),
    N_("Cut"),
    N_("Cut selected text"),
    N_("Delete all to the left"),
    N_("Delete all to the right"),
    N_("Delete character left"),
    N_("Delete character right"),
    N_("Delete left to start of word"),
    N_("Delete line"),
    N_("Delete right to start of word"),
    N_("Delete to line end"),
    N_("Delete to line start"),
    N_("Dismiss menu"),
    N_("Down"),
    N_("End"),
    N_("Exit the command palette"),
    N_("Expand or collapse all"),
    N_("First"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Go to bottom"),
    N_("Go to end"),
    N_("Go to start"),
    N_("Go to top"),
    N_("Home"),
    N_("Last"),
    N_("Move cursor left"),
    N_("Move cursor left a word"),
    N_("Move cursor left a word and select"),
    N_("Move cursor left and select"),
    N_("Move cursor right a word"),
    N_("Move cursor right a word and select"),
    N_("Move cursor right and select"),
    N_("Move cursor right or accept the completion suggestion"),
    N_("Next command"),
    N_("Next option"),
    N_("Next page"),
    N_("Next tab"),
    N_("Page Down"),
    N_("Page Left"),
    N_("Page Right"),
    N_("Page Up"),
    N_("Page down"),
    N_("Page up"),
    N_("Paste"),
    N_("Paste text from the clipboard"),
    N_("Press button"),
    N_("Previous command"),
    N_("Previous option"),
    N_("Previous page"),
    N_("Previous tab"),
    N_("Quit"),
    N_("Redo"),
    N_("Scroll Down"),
    N_("Scroll End"),
    N_("Scroll Home"),
    N_("Scroll Left"),
    N_("Scroll Right"),
    N_("Scroll Up"),
    N_("Select"),
    N_("Select all"),
    N_("Select line"),
    N_("Select line end"),
    N_("Select line start"),
    N_("Show menu"),
    N_("Submit"),
    N_("Toggle"),
    N_("Toggle collapsible"),
    N_("Toggle option"),
    N_("Top"),
    N_("Undo"),
    N_("Up"),
)

#: Textual"s words outside key hints that a person meets in the workstation.
PALETTE_WORDS: tuple[str, ...] = (
    N_("Search for commands…"),
    N_("Search for themes…"),
    N_("No matches found"),
)

#: The names of keys as Textual writes them (``home``, ``pgdn`` …) → how a keyboard in the
#: reader's language labels them (``Inicio``, ``AvPág``).
KEY_NAMES: dict[str, tuple[str, str]] = {
    "home": NP_("key", "home"),
    "end": NP_("key", "end"),
    "pgup": NP_("key", "pgup"),
    "pgdn": NP_("key", "pgdn"),
    "del": NP_("key", "del"),
    "space": NP_("key", "space"),
    "insert": NP_("key", "insert"),
}


def key_display(shown: str) -> str:
    """A key as Textual shows it (``^pgup``, ``shift+home``, ``f2``) with the key names in
    the reader's language."""
    parts = []
    for part in shown.split("+"):
        bare = part.lstrip("^")
        entry = KEY_NAMES.get(bare)
        parts.append(part[: len(part) - len(bare)] + pgettext(*entry) if entry else part)
    return "+".join(parts)
