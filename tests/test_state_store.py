"""The live run's durable state (runtime/state_store.py) on SQLite and on the Redis server these machines run."""

from __future__ import annotations

import uuid

import pytest

from nts.runtime.state_store import open_store


def redis_url() -> str:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    return url


@pytest.fixture(params=["sqlite", "redis"])
def url(request, tmp_path):
    return str(tmp_path / "state.db") if request.param == "sqlite" else redis_url()


def test_orders_fills_and_snapshots_survive_reopening(url):
    sid = f"test-{uuid.uuid4().hex[:8]}"
    store = open_store(url, sid)
    store.save_order(f"{sid}-1", {"seq": 1, "status": "sent"})
    store.save_order(f"{sid}-1", {"seq": 1, "status": "filled", "venue_id": "77"})
    assert store.save_fill("t1", {"seq": 1, "qty": 2.0})
    assert not store.save_fill("t1", {"seq": 1, "qty": 2.0})  # the same trade reported again: booked once
    store.save_snapshot(41, b"\x00blob")
    store.save_snapshot(42, b"\x01blob")
    store.close()
    again = open_store(url, sid)
    assert again.orders() == {f"{sid}-1": {"seq": 1, "status": "filled", "venue_id": "77"}}
    assert again.fills() == {"t1": {"seq": 1, "qty": 2.0}}
    assert again.snapshot() == (42, b"\x01blob")
    assert open_store(url, sid + "-other").snapshot() is None  # each strategy id has its own state
    again.close()


def test_a_bad_store_url_is_a_clear_error():
    with pytest.raises(ValueError, match="state store"):
        open_store("mysql://x", "s")
