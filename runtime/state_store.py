"""Durable state of a live run: SQLite by default (one file, no server), Redis as an option.

What is kept, per strategy id:
- orders: every order sent, by client order id (`<strategy id>-<seq>`): its fields, the venue's id and last status;
- fills: every fill the venue reported, by the venue's trade id (so a fill reported twice is booked once);
- the engine snapshot: every array of the engine (strategy state, context, order table, account, risk counters)
  and the input number of the journal it was taken after; a restart loads it and feeds the journal's later inputs.

`open_store("sqlite:///path/state.db")` or `open_store("redis://127.0.0.1:6379/0")`; a plain path means SQLite.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlparse


class StateStore:
    """The interface both stores implement."""

    def save_order(self, client_id: str, fields: dict) -> None: ...
    def orders(self) -> dict[str, dict]: ...
    def save_fill(self, trade_id: str, fields: dict) -> bool: ...  # False when that trade was already booked
    def fills(self) -> dict[str, dict]: ...
    def save_snapshot(self, n: int, blob: bytes) -> None: ...
    def snapshot(self) -> tuple[int, bytes] | None: ...
    def close(self) -> None: ...


class SqliteStore(StateStore):
    def __init__(self, path: str | Path, strategy_id: str):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed row survives a killed process
        self.sid = strategy_id
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS orders (sid TEXT, client_id TEXT, fields TEXT, PRIMARY KEY (sid, client_id));
            CREATE TABLE IF NOT EXISTS fills (sid TEXT, trade_id TEXT, fields TEXT, PRIMARY KEY (sid, trade_id));
            CREATE TABLE IF NOT EXISTS snapshots (sid TEXT PRIMARY KEY, n INTEGER, blob BLOB);
        """)

    def save_order(self, client_id: str, fields: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO orders VALUES (?, ?, ?)", (self.sid, client_id, json.dumps(fields)))

    def orders(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT client_id, fields FROM orders WHERE sid = ?", (self.sid,))
        return {c: json.loads(f) for c, f in rows}

    def save_fill(self, trade_id: str, fields: dict) -> bool:
        cur = self.db.execute("INSERT OR IGNORE INTO fills VALUES (?, ?, ?)", (self.sid, trade_id, json.dumps(fields)))
        return cur.rowcount == 1

    def fills(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT trade_id, fields FROM fills WHERE sid = ?", (self.sid,))
        return {t: json.loads(f) for t, f in rows}

    def save_snapshot(self, n: int, blob: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", (self.sid, n, blob))

    def snapshot(self) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT n, blob FROM snapshots WHERE sid = ?", (self.sid,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def close(self) -> None:
        self.db.close()


class RedisStore(StateStore):
    def __init__(self, url: str, strategy_id: str):
        import redis

        self.r = redis.Redis.from_url(url)
        self.r.ping()
        self.key = f"nts:{strategy_id}"

    def save_order(self, client_id: str, fields: dict) -> None:
        self.r.hset(f"{self.key}:orders", client_id, json.dumps(fields))

    def orders(self) -> dict[str, dict]:
        return {k.decode(): json.loads(v) for k, v in self.r.hgetall(f"{self.key}:orders").items()}

    def save_fill(self, trade_id: str, fields: dict) -> bool:
        return bool(self.r.hsetnx(f"{self.key}:fills", trade_id, json.dumps(fields)))

    def fills(self) -> dict[str, dict]:
        return {k.decode(): json.loads(v) for k, v in self.r.hgetall(f"{self.key}:fills").items()}

    def save_snapshot(self, n: int, blob: bytes) -> None:
        # one key holding both, so that a reader never sees a snapshot with another snapshot's input number
        self.r.set(f"{self.key}:snapshot", n.to_bytes(8, "little") + blob)

    def snapshot(self) -> tuple[int, bytes] | None:
        value = self.r.get(f"{self.key}:snapshot")
        return (int.from_bytes(value[:8], "little"), value[8:]) if value else None

    def close(self) -> None:
        self.r.close()


def open_store(url: str, strategy_id: str) -> StateStore:
    """`sqlite:///abs/path.db`, `sqlite://rel/path.db`, a plain file path, or `redis://host:port/db`."""
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss"):
        return RedisStore(url, strategy_id)
    if parsed.scheme == "sqlite":
        return SqliteStore(url[len("sqlite://"):], strategy_id)
    if parsed.scheme in ("", "file"):
        return SqliteStore(parsed.path if parsed.scheme else url, strategy_id)
    raise ValueError(f"state store {url!r}: use a file path, sqlite:///path.db or redis://host:port/db")
