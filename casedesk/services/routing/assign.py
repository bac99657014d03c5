"""Queue strategies: which available agent under capacity gets a routed case.

``pick_agent`` is called inside the creating transaction (by ``rules.decide``) and answers
either a :class:`Pick` (the agent, and why them: "least loaded: 2 of 8") or a
:class:`NoPick` (why nobody: "manual: waits to be pulled", "no available member under
capacity"). Only members of the queue who are ``available``, active and under capacity
are considered; ties are broken deterministically (fewest open cases, then login).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from casedesk.models import Strategy


@dataclass(frozen=True)
class Pick:
    """The agent a strategy chose, and why (said on the case's timeline)."""

    agent_id: int
    login: str
    reason: str


@dataclass(frozen=True)
class NoPick:
    """Nobody was chosen: the case waits in its queue; ``reason`` says why."""

    reason: str


def pick_agent(
    session: Session,
    queue_id: int,
    strategy: str,
    *,
    area: str,
    contact_id: int | None,
    required_skills: Sequence[str] = (),
    now: datetime,
) -> Pick | NoPick:
    """Choose an agent of queue ``queue_id`` for a new case by ``strategy``."""
    if strategy == Strategy.manual:
        return NoPick("manual: waits to be pulled")
    raise NotImplementedError(f"strategy {strategy!r}")  # the assignment stream fills this
