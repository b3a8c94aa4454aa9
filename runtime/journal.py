"""The live journal: every input the live scheduler fed the engine and every order and cancel the engine sent, in
order, so that `ntc replay` can run the inputs through the same compiled code and check the decisions.

A journal is a directory:
- `journal.json`: how the run was set up (strategy file and source hash, params, cash, instruments, risk, venue
  models, paper or live, start time): what a replay needs to build the same engine.
- `segment-000001.arrow`, ...: Arrow IPC streams of rows (n, kind, stream, t, data). `n` numbers the inputs; an
  output row carries the number of the input that caused it. `data` holds the raw bytes of the record (a market
  event in its stream's dtype, a venue report, an order row, a cancel or a modify event), so a replay feeds back
  exactly what the engine saw, bit for bit.

Rows are written to the file as they come (an OS write per flush) and fsync'd every `fsync_interval` seconds
(the scheduler calls `flush`): a crash of the process loses nothing written; a crash of the machine loses at most
that interval. A new segment starts every `segment_rows` rows. A segment cut short by a crash is read up to its
last whole batch.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from .events import ORDER_DTYPE
from .engine_state import ORDER_ROW_DTYPE

MARKET, CLOCK, REPORT, ORDER_SENT, CANCEL_SENT, STOP, MODIFY_SENT = 0, 1, 2, 3, 4, 5, 6
KIND_NAMES = ("market", "clock", "report", "order", "cancel", "stop", "modify")
REPORT_DTYPE = np.dtype([("kind", np.int64), ("seq", np.int64), ("a", np.float64), ("b", np.float64),
                         ("c", np.float64), ("d", np.float64), ("trade", np.int64)])  # trade: the fill's key
SCHEMA = pa.schema([("n", pa.int64()), ("kind", pa.int8()), ("stream", pa.int16()), ("t", pa.int64()),
                    ("data", pa.binary())])
HEADER = "journal.json"
FORMAT = 1


class JournalError(RuntimeError):
    """A journal that cannot be read (missing, of another format)."""


def _warm_up() -> None:
    """pyarrow sets up its IPC writing on first use (0.2 s here): done at start, not on the first order's path."""
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, SCHEMA) as writer:
        writer.write_batch(pa.record_batch([pa.array([0], pa.int64()), pa.array([0], pa.int8()),
                                            pa.array([0], pa.int16()), pa.array([0], pa.int64()),
                                            pa.array([b""], pa.binary())], schema=SCHEMA))


class JournalWriter:
    def __init__(self, directory: str | Path, header: dict, fsync_interval: float = 1.0,
                 segment_rows: int = 1_000_000):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fsync_interval = fsync_interval
        self.segment_rows = segment_rows
        existing = sorted(self.directory.glob("segment-*.arrow"))
        self.segment = int(existing[-1].stem.split("-")[1]) if existing else 0
        header_path = self.directory / HEADER
        if not header_path.exists():  # a restarted run appends to its journal, under the header it started with
            tmp = header_path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"format": FORMAT, **header}, indent=1))
            os.replace(tmp, header_path)
        self._rows: list[tuple] = []
        self._file = self._writer = None
        self._in_segment = 0
        self._synced = time.monotonic()
        _warm_up()

    def market(self, n: int, stream: int, record: np.ndarray) -> None:
        self._rows.append((n, MARKET, stream, int(record["ts_event"]), record.tobytes()))

    def clock(self, n: int, t: int) -> None:
        self._rows.append((n, CLOCK, -1, t, b""))

    def stop(self, n: int, t: int) -> None:
        self._rows.append((n, STOP, -1, t, b""))

    def report(self, n: int, t: int, kind: int, seq: int, a: float, b: float, c: float, d: float,
               trade: int = 0) -> None:
        self._rows.append((n, REPORT, -1, t, np.array((kind, seq, a, b, c, d, trade), REPORT_DTYPE).tobytes()))

    def outputs(self, n: int, t: int, orders: np.ndarray, cancels: np.ndarray, modifies: np.ndarray = ()) -> None:
        for row in orders:
            self._rows.append((n, ORDER_SENT, -1, t, row.tobytes()))
        for event in cancels:
            self._rows.append((n, CANCEL_SENT, -1, t, event.tobytes()))
        for event in modifies:
            self._rows.append((n, MODIFY_SENT, -1, t, event.tobytes()))

    def flush(self, sync: bool | None = None) -> None:
        """Writes the rows held so far; fsyncs when `sync`, or when the interval has passed (sync=None)."""
        if self._rows:
            if self._writer is None or self._in_segment >= self.segment_rows:
                self._open_segment()
            n, kind, stream, t, data = zip(*self._rows)
            self._writer.write_batch(pa.record_batch([pa.array(n, pa.int64()), pa.array(kind, pa.int8()),
                                                      pa.array(stream, pa.int16()), pa.array(t, pa.int64()),
                                                      pa.array(data, pa.binary())], schema=SCHEMA))
            self._in_segment += len(self._rows)
            self._rows.clear()
            self._file.flush()
        if self._file is not None and (sync or (sync is None and
                                                time.monotonic() - self._synced >= self.fsync_interval)):
            os.fsync(self._file.fileno())
            self._synced = time.monotonic()

    def close(self) -> None:
        self.flush(sync=True)
        if self._writer is not None:
            self._writer.close()
            self._file.close()
            self._writer = self._file = None

    def _open_segment(self) -> None:
        if self._writer is not None:
            self._writer.close()
            os.fsync(self._file.fileno())
            self._file.close()
        self.segment += 1
        self._file = open(self.directory / f"segment-{self.segment:06d}.arrow", "wb")
        self._writer = ipc.new_stream(self._file, SCHEMA)
        self._in_segment = 0


def read_header(directory: str | Path) -> dict:
    path = Path(directory) / HEADER
    try:
        header = json.loads(path.read_text())
    except FileNotFoundError:
        raise JournalError(f"{directory}: not a journal (no {HEADER})") from None
    if header.get("format") != FORMAT:
        raise JournalError(f"{path}: journal format {header.get('format')}, this ntc reads {FORMAT}")
    return header


def read_rows(directory: str | Path):
    """Every row of the journal in order: (n, kind, stream, t, data bytes)."""
    for path in sorted(Path(directory).glob("segment-*.arrow")):
        with open(path, "rb") as f:
            try:
                reader = ipc.open_stream(f)
            except pa.ArrowInvalid:
                continue  # created, killed before its first batch
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowInvalid, OSError):
                    break  # the batch a crash cut short
                cols = [batch.column(i).to_pylist() for i in range(5)]
                yield from zip(*cols)


def order_row(data: bytes) -> np.void:
    return np.frombuffer(data, ORDER_ROW_DTYPE)[0]


def cancel_event(data: bytes) -> np.void:
    return np.frombuffer(data, ORDER_DTYPE)[0]


def report_fields(data: bytes) -> np.void:
    return np.frombuffer(data, REPORT_DTYPE)[0]


def trade_key(trade_id: str) -> int:
    """A venue's trade id as the journal keeps it: the id itself when it is a number, else a stable hash."""
    if trade_id.isdigit() and len(trade_id) < 19:
        return int(trade_id)
    import hashlib
    return int.from_bytes(hashlib.sha256(trade_id.encode()).digest()[:7], "little") | (1 << 62)
