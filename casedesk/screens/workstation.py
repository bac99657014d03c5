"""What a screen may read from the workstation it runs in: a small typed protocol.

Screens never import the app. What they share with it (the desk, the acting agent, the
clock, the agent's time zone, the SLA policies' targets, the live-refresh generation, the
connection state, the case last shown) they read through :class:`Workstation`, which the
App satisfies structurally. A test can mount a screen in any ``App`` that provides these
(see ``tests/tui/test_stub_workstation.py``). Everything a screen *asks* for goes the other
way, as a message (:mod:`casedesk.screens.messages`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from casedesk.services.context import Actor, Desk
    from casedesk.services.sla.clocks import PolicyTargets


class Workstation(Protocol):
    """The shared state screens read (all of it read-only to them)."""

    @property
    def desk(self) -> Desk:
        """The database and clock every service call gets."""
        ...

    @property
    def actor(self) -> Actor | None:
        """The signed-in agent (None only before sign-in, when no desk screen is open)."""
        ...

    @property
    def tz(self) -> ZoneInfo:
        """The agent's time zone: what times are shown in."""
        ...

    @property
    def generation(self) -> int:
        """Bumped whenever the data changed; a screen reloads when it has seen an older one."""
        ...

    @property
    def current_case(self) -> str | None:
        """The case last shown on the case screen (see ``messages.CaseShown``)."""
        ...

    @property
    def db_status(self) -> str:
        """What the status line says about the database ("" when all is well)."""
        ...

    @property
    def presence(self) -> str | None:
        """The signed-in agent's presence (available, away …), None until it is read."""
        ...

    def now(self) -> datetime:
        """The desk's clock (frozen in tests)."""
        ...

    def targets_for(self, policy: str | None) -> PolicyTargets | None:
        """An SLA policy's targets by name (None until loaded, or without a policy)."""
        ...
