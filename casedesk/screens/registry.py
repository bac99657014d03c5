"""The workstation's screens: mode name → screen class, title and key.

The App builds its modes from this table and the command palette offers "Go to …" from it.
A screen's module is imported when the screen is first shown, so the first screen appears
without loading the other five (the case and knowledge screens pull in Markdown and
Pygments).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from casedesk.i18n import N_
from casedesk.screens.base import DeskScreen


@dataclass(frozen=True)
class ScreenEntry:
    """Where a mode's screen class lives ("module:Class"), its title (in English, marked
    for the catalogue: translate it with ``_()`` where it is shown) and its key."""

    where: str
    title: str
    key: str


#: Mode name → its screen. The order is the order of the keys (F2 … F7).
SCREENS: dict[str, ScreenEntry] = {
    "log": ScreenEntry("casedesk.screens.interactions:InteractionLogScreen",
                       N_("Interaction log"), "f2"),
    "inbox": ScreenEntry("casedesk.screens.inbox:InboxScreen", N_("Queue inbox"), "f3"),
    "wip": ScreenEntry("casedesk.screens.wip:WipScreen", N_("My WIP bin"), "f4"),
    "case": ScreenEntry("casedesk.screens.case:CaseScreen", N_("Case"), "f5"),
    "knowledge": ScreenEntry("casedesk.screens.knowledge:KnowledgeScreen", N_("Knowledge"), "f6"),
    "supervisor": ScreenEntry("casedesk.screens.supervisor:SupervisorScreen", N_("Supervisor"),
                              "f7"),
    "rules": ScreenEntry("casedesk.screens.rules:RulesScreen", N_("Routing rules"), "f7 r"),
    "reports": ScreenEntry("casedesk.screens.reports:ReportsScreen", N_("Reports"), "f7 o"),
    # the customer at a glance: ctrl+g on the interaction log, r on the case screen
    "customer": ScreenEntry("casedesk.screens.customer:CustomerScreen", N_("Customer"),
                            "f2 ctrl+g"),
}

#: Modes that only supervisors (and admins) may open.
SUPERVISOR_ONLY = frozenset({"supervisor", "rules", "reports"})


def screen_class(mode: str) -> type[DeskScreen]:
    """The screen class of a mode (imports its module the first time)."""
    module, _, name = SCREENS[mode].where.partition(":")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, DeskScreen)
    return cls


def screen_factory(mode: str) -> Callable[[], DeskScreen]:
    """What Textual's ``MODES`` calls to build the mode's screen."""
    return lambda: screen_class(mode)()
