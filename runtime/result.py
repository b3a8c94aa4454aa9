"""What `nts.backtest` returns: the run's orders, fills, positions and equity as pandas DataFrames, its statistics,
and the Parquet files `ntc run --out DIR` writes.

Ids become words here (instrument names, tags, order types, event kinds, reasons); the compiled loop only ever
handled small integers.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .backtest import RawResult
from .engine_state import EQ_CASH, EQ_EQUITY, EQ_EXPOSURE
from .events import ORDER_EVENT_NAMES, ORDER_REASONS
from .driver import primary_stream
from .report import Report, build_report
from .stats import drawdown, statistics

ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "market_if_touched", "limit_if_touched", "trailing")
TIFS = ("gtc", "ioc", "fok", "day", "gtd")
FINAL_KINDS = {"filled", "canceled", "expired", "rejected", "denied"}


def _time(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ns, dtype="int64"), unit="ns", utc=True)


class BacktestResult:
    def __init__(self, strategy, raw: RawResult, params: dict | None = None):
        self.strategy = strategy
        self.raw = raw
        self.params = dict(params or {})
        manifest = strategy.manifest
        self._instruments = [i.name for i in manifest.instruments]
        self._strings = manifest.strings

    def _tag(self, ids: np.ndarray) -> list[str | None]:
        return [self._strings[i] if 0 <= i < len(self._strings) else None for i in ids.tolist()]

    def _instrument(self, ids: np.ndarray) -> list[str]:
        return [self._instruments[i] for i in ids.tolist()]

    @cached_property
    def fills(self) -> pd.DataFrame:
        f = self.raw.fills
        return pd.DataFrame({
            "time": _time(f["ts_event"]), "instrument": self._instrument(f["instrument"]), "side": f["side"],
            "qty": f["qty"], "price": f["price"], "fee": f["fee"], "tag": self._tag(f["tag"]),
            "is_maker": f["is_maker"], "order_id": f["seq"],
            "currency": [self.raw.instruments[k].currency for k in f["instrument"].tolist()], "rate": f["rate"]})

    @cached_property
    def order_events(self) -> pd.DataFrame:
        e = self.raw.events
        return pd.DataFrame({
            "time": _time(e["ts_event"]), "order_id": e["seq"], "instrument": self._instrument(e["instrument"]),
            "event": [ORDER_EVENT_NAMES[k] for k in e["kind"].tolist()], "side": e["side"], "qty": e["qty"],
            "filled_qty": e["filled_qty"], "price": e["price"], "tag": self._tag(e["tag"]),
            "reason": [ORDER_REASONS[r] if r >= 0 else None for r in e["reason"].tolist()]})

    @cached_property
    def orders(self) -> pd.DataFrame:
        """One row per order sent: what was asked, and how it ended (status, filled quantity, average price)."""
        rows = self.raw.orders
        df = pd.DataFrame({
            "time": _time(rows["ts_event"]), "order_id": rows["seq"], "instrument": self._instrument(rows["instrument"]),
            "side": rows["side"], "type": [ORDER_TYPES[t] for t in rows["order_type"].tolist()],
            "tif": [TIFS[t] for t in rows["tif"].tolist()], "qty": rows["qty"], "price": rows["price"],
            "trigger": rows["trigger"], "tag": self._tag(rows["tag"]), "parent_id": rows["parent"],
            "source_line": rows["source_line"]})
        events = self.order_events
        final = events[events["event"].isin(FINAL_KINDS)].drop_duplicates("order_id", keep="last")
        df = df.merge(final[["order_id", "event", "reason"]].rename(columns={"event": "status"}), on="order_id",
                      how="left")
        df["status"] = df["status"].fillna("open")
        fills = self.fills
        if len(fills):
            value = (fills["qty"] * fills["price"]).groupby(fills["order_id"]).sum()
            filled = fills.groupby("order_id")["qty"].sum()
            df["filled_qty"] = df["order_id"].map(filled).fillna(0.0)
            df["avg_price"] = df["order_id"].map(value / filled)
        else:
            df["filled_qty"], df["avg_price"] = 0.0, np.nan
        return df

    @cached_property
    def positions(self) -> pd.DataFrame:
        """The position of each instrument after each fill."""
        fills = self.fills
        signed = fills["side"] * fills["qty"]
        return pd.DataFrame({"time": fills["time"], "instrument": fills["instrument"],
                             "position": signed.groupby(fills["instrument"]).cumsum(), "price": fills["price"]})

    @cached_property
    def equity(self) -> pd.DataFrame:
        """One row per sample: equity, cash, gross exposure, drawdown, the mark of the instrument the curve is
        sampled on (`price`) and each `record` series."""
        eq, ts = self.raw.equity, self.raw.equity_ts
        keep = np.r_[ts[1:] != ts[:-1], True] if len(ts) else np.zeros(0, bool)  # one sample per time
        eq, ts, price = eq[keep], ts[keep], self.raw.price[keep]
        df = pd.DataFrame({"equity": eq[:, EQ_EQUITY], "cash": eq[:, EQ_CASH], "exposure": eq[:, EQ_EXPOSURE],
                           "drawdown": drawdown(eq[:, EQ_EQUITY]), "price": price}, index=_time(ts))
        df.index.name = "time"
        records = self.raw.records[keep]
        for r, name in enumerate(self.strategy.manifest.records):
            df[name] = records[:, r]
        return df

    @cached_property
    def stats(self) -> dict[str, float]:
        eq, ts = self.raw.equity, self.raw.equity_ts
        multipliers = np.array([i.multiplier for i in self.raw.instruments])
        return statistics(ts, eq[:, EQ_EQUITY], eq[:, EQ_EXPOSURE], self.raw.fills, self.raw.start_equity,
                          multipliers)

    @property
    def primary_instrument(self) -> str:
        """The instrument of the stream the equity curve is sampled on (its `price` column)."""
        manifest = self.strategy.manifest
        return manifest.streams[primary_stream(manifest)].instrument

    def plot(self) -> Report:
        """The run's report: shown inline in a notebook, `.save("report.html")` for a self-contained file."""
        return build_report(self)

    @cached_property
    def logs(self) -> list[str]:
        return [f"{t.isoformat()} {self.strategy.format_log(row)}"
                for t, row in zip(_time(self.raw.log_ts), self.raw.log_rows)]

    def write(self, directory: str | Path) -> list[Path]:
        """orders.parquet, fills.parquet, positions.parquet, equity.parquet, order_events.parquet and
        report.html."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in ("orders", "fills", "positions", "equity", "order_events"):
            frame = getattr(self, name)
            path = out / f"{name}.parquet"
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=name == "equity"), path)
            written.append(path)
        written.append(self.plot().save(out / "report.html"))
        return written
