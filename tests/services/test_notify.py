"""Pushed updates (issue 17 point 1): one desk's change reaches another desk's listener
within 300 ms p99 on PostgreSQL, on the channels of what changed."""

from __future__ import annotations

import queue
import time

import pytest

from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.queries import notify
from casedesk.services.workflow import cases, transitions
from tests.conftest import World

#: PostgreSQL only: SQLite has no NOTIFY, the workstation polls (tests/tui/test_live.py
#: covers that path)
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _listen(world: World, db_url: str, channels: list[str]):  # type: ignore[no-untyped-def]
    assert notify.supported(world.desk.engine)
    heard: queue.Queue[tuple[float, notify.Change]] = queue.Queue()
    other = Desk(make_engine(db_url), world.desk.clock)
    listener = notify.Listener(
        other.engine, channels, lambda c: heard.put((time.perf_counter(), c))
    ).start()
    assert listener.listening.wait(10)
    return other, listener, heard


def _drain(heard: queue.Queue, wait: float = 0.3) -> list[notify.Change]:  # type: ignore[type-arg]
    got = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            got.append(heard.get(timeout=0.05)[1])
        except queue.Empty:
            continue
    return got


def test_another_desk_hears_a_change_within_300_ms(world: World, db_url: str) -> None:
    queue_id = 1
    other, listener, heard = _listen(
        world, db_url, [notify.queue_channel(queue_id), notify.bin_channel(world.ana.id)]
    )
    try:
        delays: list[float] = []
        for i in range(9):  # Ana's bin holds 10
            made = cases.create_case(world.desk, world.admin, title=f"c{i}", queue="technical")
            done = time.perf_counter()
            at, change = heard.get(timeout=5)
            delays.append(max(0.0, at - done))
            assert change.case_id == made.id and change.kind == "create"
            transitions.accept(world.desk, world.ana, made.number)
            done = time.perf_counter()
            seen = {heard.get(timeout=5)[1].channel for _ in range(2)}
            delays.append(max(0.0, time.perf_counter() - done))
            assert seen == {notify.queue_channel(queue_id), notify.bin_channel(world.ana.id)}
            cases.add_note(world.desk, world.ana, made.number, "called back")
            done = time.perf_counter()
            at, change = heard.get(timeout=5)
            delays.append(max(0.0, at - done))
            assert change.channel == notify.bin_channel(world.ana.id)
        delays.sort()
        p99 = delays[int(0.99 * (len(delays) - 1))]
        assert p99 < 0.3, f"p99 {p99 * 1000:.0f} ms"
    finally:
        listener.stop()
        other.engine.dispose()


def test_only_the_concerned_channels_hear(world: World, db_url: str) -> None:
    made = cases.create_case(world.desk, world.admin, title="mine", queue="technical")
    transitions.accept(world.desk, world.ana, made.number)
    other, listener, heard = _listen(world, db_url, [
        notify.queue_channel(1), notify.bin_channel(world.ana.id),
        notify.bin_channel(world.luis.id), notify.case_channel(made.id), notify.FLOOR,
    ])
    try:
        cases.add_note(world.desk, world.ana, made.number, "called back")
        channels = sorted(c.channel for c in _drain(heard))
        # a note on a case in Ana's bin: her bin, the case, the floor; not the inbox
        assert channels == sorted([notify.bin_channel(world.ana.id),
                                   notify.case_channel(made.id), notify.FLOOR])
        transitions.assign(world.desk, world.sup, made.number, "luis")
        channels = sorted(c.channel for c in _drain(heard))
        assert channels == sorted([notify.bin_channel(world.ana.id),
                                   notify.bin_channel(world.luis.id), notify.queue_channel(1),
                                   notify.case_channel(made.id), notify.FLOOR])
    finally:
        listener.stop()
        other.engine.dispose()
