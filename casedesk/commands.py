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
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from casedesk.services.numbers import case_label
from casedesk.services.queries import reads
from casedesk.textsafe import one_line

if TYPE_CHECKING:
    from casedesk.app import CaseDeskApp

_NUMBER = re.compile(r"^\s*(?:cs-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


class CaseDeskCommands(Provider):
    """The workstation's actions and case jumps."""

    @property
    def desk_app(self) -> CaseDeskApp:
        return self.app  # type: ignore[return-value]

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        from casedesk.app import SCREENS

        app = self.desk_app
        if app.actor is None:
            return []
        commands: list[tuple[str, Callable[[], Any], str]] = []
        for mode, (_where, title, key) in SCREENS.items():
            if mode == "supervisor" and not app.actor.is_supervisor:
                continue
            commands.append((f"Go to {title}", partial(app.action_go, mode), key.upper()))
        screen = app.desk_screen()
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
        commands.append(("Help: show the keys of this screen", app.action_help, "F1"))
        return commands

    async def discover(self) -> Hits:
        for text, command, key in self._commands():
            yield DiscoveryHit(text, command, help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        app = self.desk_app
        if app.actor is None:
            return
        match = _NUMBER.match(query)
        if match:
            label = case_label(int(match.group(1)))
            yield Hit(1.0, f"Open case {label}", partial(app.open_case, label), help="jump")
        matcher = self.matcher(query)
        for text, command, key in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=f"key: {key}")
        if len(query.strip()) >= 3 and not match:
            try:
                rows = await asyncio.to_thread(reads.search_cases, app.desk, query, limit=8)
            except Exception:  # noqa: BLE001 - the palette simply offers no cases
                rows = []
            for row in rows:
                text = one_line(f"Open {row.label} {row.title} — {row.contact or 'no customer'}")
                yield Hit(0.5, Content(text), partial(app.open_case, row.label), text=text,
                          help=row.status)
