"""Worker processes for the race tests (importable, so ``spawn`` can start them)."""

from __future__ import annotations

import random

from casedesk.db import make_engine
from casedesk.errors import CaseTaken, QueueEmpty
from casedesk.services.context import Desk
from casedesk.services.workflow import transitions


def take_until_empty(url: str, login: str, queue: str) -> dict[str, list]:
    """Call ``next`` until the queue is empty; report what was claimed and refused."""
    engine = make_engine(url)
    desk = Desk(engine)
    actor = desk.actor(login)
    claimed: list[int] = []
    refused: list[str] = []
    try:
        while True:
            try:
                claimed.append(transitions.next_case(desk, actor, queue).number)
            except QueueEmpty as exc:
                refused.append(f"empty: {exc}")
                break
    finally:
        engine.dispose()
    return {"claimed": claimed, "refused": refused}


def accept_all(url: str, login: str, numbers: list[int], seed: int) -> dict[str, list]:
    """Try to accept every case in a shuffled order; report wins and 'taken' answers."""
    engine = make_engine(url)
    desk = Desk(engine)
    actor = desk.actor(login)
    order = list(numbers)
    random.Random(seed).shuffle(order)
    claimed: list[int] = []
    refused: list[str] = []
    try:
        for number in order:
            try:
                claimed.append(transitions.accept(desk, actor, number).number)
            except CaseTaken as exc:
                refused.append(str(exc))
    finally:
        engine.dispose()
    return {"claimed": claimed, "refused": refused}


def add_notes(url: str, login: str, number: int, count: int) -> list[str]:
    """Add ``count`` notes to one case; report every refusal (there should be none)."""
    from casedesk.errors import CaseDeskError
    from casedesk.services.workflow import cases

    engine = make_engine(url)
    desk = Desk(engine)
    actor = desk.actor(login)
    refused: list[str] = []
    try:
        for i in range(count):
            try:
                cases.add_note(desk, actor, number, f"{login} note {i}")
            except CaseDeskError as exc:
                refused.append(str(exc))
    finally:
        engine.dispose()
    return refused
