"""Command palette (ctrl+p): every action of the workstation, and jumping to a case.

* "Go to …" for each screen;
* every key binding of the current screen and of the app, by its description;
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

from casedesk.screens import messages
from casedesk.screens.base import desk_screen
from casedesk.screens.registry import SCREENS, SUPERVISOR_ONLY
from casedesk.screens.workstation import Workstation
from casedesk.services.numbers import case_label
from casedesk.services.queries import reads
from casedesk.textsafe import one_line

_NUMBER = re.compile(r"^\s*(?:cs-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


class CaseDeskCommands(Provider):
    """The workstation's actions and case jumps. It reads the workstation's state through
    :class:`Workstation` and asks for things the way screens do: by message."""

    @property
    def workstation(self) -> Workstation:
        return cast("Workstation", self.app)

    def _post(self, message: Message) -> None:
        self.app.post_message(message)

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        actor = self.workstation.actor
        if actor is None:
            return []
        commands: list[tuple[str, Callable[[], Any], str]] = []
        for mode, entry in SCREENS.items():
            if mode in SUPERVISOR_ONLY and not actor.is_supervisor:
                continue
            commands.append(
                (f"Go to {entry.title}", partial(self._post, messages.GoTo(mode)),
                 entry.key.upper())
            )
        screen = desk_screen(self.app.screen_stack)
        if screen is not None:
            prefix = screen.LABEL or type(screen).__name__
            for binding in type(screen).BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    commands.append(
                        (
                            f"{prefix}: {binding.description}",
                            partial(screen.run_action, binding.action),
                            binding.key.split(",")[0],
                        )
                    )
        commands.append(
            ("Help: show the keys of this screen", partial(self.app.run_action, "help"), "F1")
        )
        return commands

    async def discover(self) -> Hits:
        for text, command, key in self._commands():
            yield DiscoveryHit(text, command, help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        workstation = self.workstation
        if workstation.actor is None:
            return
        match = _NUMBER.match(query)
        if match:
            label = case_label(int(match.group(1)))
            yield Hit(1.0, f"Open case {label}", partial(self._post, messages.OpenCase(label)),
                      help="jump")
        matcher = self.matcher(query)
        for text, command, key in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=f"key: {key}")
        if len(query.strip()) >= 3 and not match:
            try:
                rows = await asyncio.to_thread(
                    reads.search_cases, workstation.desk, query, limit=8
                )
            except Exception:  # noqa: BLE001 - the palette simply offers no cases
                rows = []
            for row in rows:
                text = one_line(f"Open {row.label} {row.title} — {row.contact or 'no customer'}")
                yield Hit(0.5, Content(text), partial(self._post, messages.OpenCase(row.label)),
                          text=text, help=row.status)
