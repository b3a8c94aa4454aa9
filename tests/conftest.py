"""Fixtures of the live tests (test_live_venue.py, test_live_examples.py)."""

from __future__ import annotations

import pytest

from live_sim import STARTED, Simulator


@pytest.fixture
def sim():
    s = Simulator()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def no_process_left():
    """A test that fails half-way leaves no `ntc live` running behind it."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
