"""Which case keys apply to a case, so footers offer only what can be done.

Mirrors the workflow's rules as far as the screen can see them (status, owner, queue,
role): a key that does not apply is hidden (``False``), one with no case selected is
shown dimmed (``None``); the service still decides (a case that changed meanwhile is
refused with the reason).
"""

from __future__ import annotations

from typing import Protocol

OPEN = ("new", "in_progress", "awaiting_customer")

#: action → the statuses it applies to (None: any status).
_STATUSES: dict[str, tuple[str, ...] | None] = {
    "start": ("new",),
    "wait": ("new", "in_progress"),
    "resume": ("awaiting_customer",),
    "resolve": OPEN,
    "close_case": ("resolved",),
    "reopen": ("resolved", "closed"),
    "cancel_case": OPEN,
    "dispatch": OPEN,
    "accept": OPEN,
    "note": None,
    "log_time": None,
}
#: Actions on a case in somebody's bin: its owner's (or a supervisor's).
_OWNERS = {"start", "wait", "resume", "resolve", "close_case", "dispatch"}


class CaseLike(Protocol):
    """What a list row and a case's detail both tell."""

    @property
    def status(self) -> str: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def queue(self) -> str | None: ...


def case_key_applies(
    action: str, case: CaseLike | None, login: str, supervisor: bool
) -> bool | None:
    """True when ``action`` applies to ``case`` for the agent ``login``; False when it does
    not (hidden); None when no case is selected (shown dimmed). Actions this module does
    not know about are left alone (True)."""
    if action not in _STATUSES:
        return True
    if case is None:
        return None
    statuses = _STATUSES[action]
    if statuses is not None and case.status not in statuses:
        return False
    if action == "accept":
        return case.owner is None and case.queue is not None
    if action == "reopen" and case.status == "closed" and not supervisor:
        return False
    if action in _OWNERS:
        return case.owner == login or (supervisor and case.owner is not None)
    return True
