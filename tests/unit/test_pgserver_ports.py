"""The test servers' ports stay out of the kernel's ephemeral range (issue 17 point 4): a
port from that range can be taken by any outgoing connection while a server restarts."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import pgserver


@given(st.integers(1024, 65535), st.integers(0, 64511))
def test_the_stable_range_never_meets_the_ephemeral_one(low: int, width: int) -> None:
    high = min(65535, low + width)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pgserver, "_ephemeral_range", lambda: (low, high))
        first, last = pgserver._stable_range()
    assert 1024 <= first <= last <= 65535
    if (first, last) != pgserver._STABLE_PORTS:  # the fallback when nothing is left
        assert last < low or first > high


def test_a_free_port_is_outside_the_ephemeral_range_and_free() -> None:
    low, high = pgserver._ephemeral_range()
    port = pgserver._free_port()
    assert not low <= port <= high
    with socket.socket() as s:
        s.bind((pgserver.HOST, port))  # nobody holds it


def test_the_ephemeral_range_is_read_from_the_kernel() -> None:
    low, high = pgserver._ephemeral_range()
    assert 1024 <= low <= high <= 65535
