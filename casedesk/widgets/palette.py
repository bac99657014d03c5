"""The command palette in the reader's language.

Textual's :class:`~textual.command.CommandPalette` writes its placeholder and its "No
matches found" in English; :class:`DeskPalette` is the same palette with both translated
(the words are in :mod:`casedesk.widgets.textual_words`).
"""

from __future__ import annotations

from typing import Any

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from casedesk.i18n import _


class DeskPalette(CommandPalette):
    """Textual's command palette, its own words translated."""

    def __init__(self, *args: Any, placeholder: str = "Search for commands…",
                 **kwargs: Any) -> None:
        super().__init__(*args, placeholder=_(placeholder), **kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        """As Textual's, saying "no matches" in the reader's language."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(_("No matches found"), style="not bold")),
                           disabled=True, id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
