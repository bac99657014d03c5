"""Command palette (ctrl+p): every action of the workstation, and jumping to a case.

The desk's own actions come first, then the few of Textual's that help (theme, screenshot,
quit: :meth:`casedesk.app.CaseDeskApp.get_system_commands`), all in the reader's
language. This provider is the palette's only one, so that order holds:

* "Go to …" for each screen;
* every key binding of the current screen, by its description;
* help (F1) and the language switch ("Idioma / Language: English | Español");
* a case number (``CS-000123``, ``cs-123``, ``123``) opens that case; three or more
  letters also offer the cases whose title or customer matches (``reads.search_cases``,
  run off the event loop), shown as plain text (a title is never markup).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.message import Message

from casedesk.i18n import LANGUAGES, _
from casedesk.labels import label
from casedesk.screens import messages
from casedesk.screens.base import desk_screen
from casedesk.screens.registry import SCREENS, SUPERVISOR_ONLY
from casedesk.screens.workstation import Workstation
from casedesk.services.numbers import case_label
from casedesk.services.queries import reads
from casedesk.textsafe import one_line

_NUMBER = re.compile(r"^\s*(?:cs-?)?0*(\d{1,9})\s*$", re.IGNORECASE)

#: The language switch's title: in both languages, so whoever reads either finds it.
LANGUAGE_COMMAND = "Idioma / Language: " + " | ".join(LANGUAGES.values())
#: Textual's commands rank below the desk's when both match what was typed.
_SYSTEM_SHARE = 0.5


class CaseDeskCommands(Provider):
    """The workstation's actions and case jumps. It reads the workstation's state through
    :class:`Workstation` and asks for things the way screens do: by message."""

    @property
    def workstation(self) -> Workstation:
        return cast("Workstation", self.app)

    def _post(self, message: Message) -> None:
        self.app.post_message(message)

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        """(title, what it does, help) of the desk's own commands, in the reader's
        language."""
        actor = self.workstation.actor
        commands: list[tuple[str, Callable[[], Any], str]] = []
        if actor is not None:
            for mode, entry in SCREENS.items():
                if mode in SUPERVISOR_ONLY and not actor.is_supervisor:
                    continue
                commands.append(
                    (_("Go to {screen}").format(screen=_(entry.title)),
                     partial(self._post, messages.GoTo(mode)), self._key(entry.key.upper()))
                )
            screen = desk_screen(self.app.screen_stack)
            if screen is not None:
                prefix = _(screen.LABEL) if screen.LABEL else type(screen).__name__
                for binding in type(screen).BINDINGS:
                    if isinstance(binding, Binding) and binding.description:
                        commands.append(
                            (
                                f"{prefix}: {_(binding.description)}",
                                partial(screen.run_action, binding.action),
                                self._key(binding.key.split(",")[0]),
                            )
                        )
            commands.append(
                (_("Help: the keys of this screen, SLA colours and statuses"),
                 partial(self.app.run_action, "help"), self._key("F1"))
            )
        commands.append(
            (LANGUAGE_COMMAND, partial(self.app.run_action, "choose_language"),
             _("the language the desk speaks; remembered in the config file"))
        )
        return commands

    @staticmethod
    def _key(key: str) -> str:
        return _("key: {key}").format(key=key)

    def _system(self) -> list[tuple[str, Callable[[], Any], str]]:
        """Textual's commands kept for the desk (theme, screenshot, quit), translated."""
        get = getattr(self.app, "get_system_commands", None)
        if get is None:
            return []
        return [(c.title, c.callback, c.help) for c in get(self.screen) if c.discover]

    async def discover(self) -> Hits:
        for text, command, help_text in self._commands() + self._system():
            yield DiscoveryHit(Content(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        workstation = self.workstation
        match = _NUMBER.match(query) if workstation.actor is not None else None
        if match:
            number = case_label(int(match.group(1)))
            yield Hit(1.0, _("Open case {case}").format(case=number),
                      partial(self._post, messages.OpenCase(number)), help=_("jump"))
        matcher = self.matcher(query)
        for share, entries in ((1.0, self._commands()), (_SYSTEM_SHARE, self._system())):
            for text, command, help_text in entries:
                score = matcher.match(text)
                if score > 0:
                    yield Hit(score * share, matcher.highlight(text), command, text=text,
                              help=help_text)
        if workstation.actor is None or len(query.strip()) < 3 or match:
            return
        try:
            rows = await asyncio.to_thread(reads.search_cases, workstation.desk, query, limit=8)
        except Exception:  # noqa: BLE001 - the palette simply offers no cases
            rows = []
        for row in rows:
            text = one_line(_("Open {case} {title} — {customer}").format(
                case=row.label, title=row.title, customer=row.contact or _("no customer")))
            yield Hit(0.5, Content(text), partial(self._post, messages.OpenCase(row.label)),
                      text=text, help=label("status", row.status))
