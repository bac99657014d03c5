"""Long-running processes take their start-up out of the garbage collector's walk."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from casedesk import heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the next test's process starts as it would


def test_settle_freezes_what_is_alive(unfrozen: None) -> None:
    keep = [[i] for i in range(1000)]  # lists: always tracked by the collector
    frozen = heap.settle()
    assert frozen == gc.get_freeze_count() and frozen > len(keep)
    assert not any(keep[0] is obj for obj in gc.get_objects(generation=2))
    made_later = [["later"]]
    assert any(made_later[0] is obj for obj in gc.get_objects())  # still collected

