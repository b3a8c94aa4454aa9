"""Databento DBN files (DBN v1 to v3, zstd-compressed or not) as catalog series, read with the `databento` package.

    schema                      data type      note
    ohlcv-1s, -1m, -1h, -1d     bars-<tf>      Databento stamps a bar with its open, NTS with its close: + timeframe
    trades                      trades         side B (buyer aggressed) -> 1, A -> -1, N -> 0
    tbbo                        trades, quotes each trade, and the best bid and offer just before it
    mbp-1, bbo-1s, bbo-1m       quotes         the top level after each event (at each sample for bbo)
    mbp-10                      book-10        ten levels a side, with order counts
    mbo                         mbo            L3 order events, in receive-time order
    status                      status         trading status changes
    definition                  instruments    tick size, multiplier, lot, currency (runtime/instruments.py)

Prices are fixed-point int64 with a 1e-9 scale (an undefined price becomes NaN). A record's instrument comes from the
file's symbology (raw symbol and UTC day -> instrument_id) and is named `RAW.VENUE`, the venue being the first part
of the dataset (`ESU4.GLBX` for GLBX.MDP3); a record no mapping names is an `UnknownInstrument` error.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from ..runtime.events import BAR_DTYPE, MBO_DTYPE, QUOTE_DTYPE, STATUS_DTYPE, TRADE_DTYPE, book_dtype
from ..runtime.instruments import Instrument
from .files import DataError, UnknownInstrument, WrongSchema, validate

SCALE = 1e9  # fixed-point prices are integers of 1e-9: divided (not multiplied by 1e-9) for the nearest double
UNDEF_PRICE = 2**63 - 1
DAY_NS = 86_400 * 10**9
BAR_SCHEMAS = {"ohlcv-1s": 10**9, "ohlcv-1m": 60 * 10**9, "ohlcv-1h": 3600 * 10**9, "ohlcv-1d": DAY_NS}
QUOTE_SCHEMAS = ("mbp-1", "bbo-1s", "bbo-1m")
SCHEMAS = (*BAR_SCHEMAS, "trades", "tbbo", *QUOTE_SCHEMAS, "mbp-10", "mbo", "status", "definition")
_KINDS = {"F": "future", "K": "equity", "X": "fx"}  # Databento instrument_class -> Instrument.kind


def read_dbn(path: str | Path, symbol: str | None = None, repair: bool = False):
    """The series in a DBN file: ([(data type, symbol, events)], [Instrument]). `symbol` names the instrument of a
    file that holds one but whose symbology does not name it."""
    import databento

    from .catalog import bars_type
    source = str(path)
    try:
        store = databento.DBNStore.from_file(path)
        records = store.to_ndarray()
    except FileNotFoundError:
        raise WrongSchema(source, None, "no such file") from None
    except Exception as exc:  # noqa: BLE001 - the decoder's reason, with the file
        raise WrongSchema(source, None, f"not a readable DBN file: {str(exc).splitlines()[0]}") from None
    schema = str(store.schema)
    if schema not in SCHEMAS:
        raise WrongSchema(source, None, f"DBN schema {schema} is not imported; NTS reads {', '.join(SCHEMAS)}")
    venue = str(store.dataset).split(".")[0]
    names = _symbols(store, records, venue, symbol, source)
    if schema == "definition":
        last = {}
        for j, rec in enumerate(records):
            last[names[j]] = rec
        return [], [_instrument(sym, rec) for sym, rec in last.items() if rec["instrument_class"].decode() in _KINDS]
    out = []
    for sym in sorted(set(names)):
        rows = np.flatnonzero(names == sym)
        recs = records[rows]
        if schema in BAR_SCHEMAS:
            series = [(bars_type(BAR_SCHEMAS[schema]), "bars", _bars(recs, BAR_SCHEMAS[schema]))]
        elif schema == "trades":
            series = [("trades", "trades", _trades(recs))]
        elif schema == "tbbo":
            series = [("trades", "trades", _trades(recs)), ("quotes", "quotes", _quotes(recs))]
        elif schema in QUOTE_SCHEMAS:
            series = [("quotes", "quotes", _quotes(recs))]
        elif schema == "mbp-10":
            series = [("book-10", "book", _book(recs, 10))]
        elif schema == "mbo":
            series = [("mbo", "mbo", _mbo(recs))]
        else:
            series = [("status", "status", _status(recs))]
        for data_type, kind, events in series:
            try:
                events, _ = validate(events, kind, source, first_row=0, repair=repair)
            except DataError as exc:  # the row within this instrument's records -> the record's place in the file
                raise type(exc)(source, None if exc.row is None else int(rows[exc.row]) + 1, exc.message) from None
            out.append((data_type, sym, events))
    return out, []


def _symbols(store, records, venue: str, given: str | None, source: str) -> np.ndarray:
    """Each record's symbol, from the file's symbology (raw symbol -> instrument_id per day of the record's index
    time: `ts_recv` where the schema has it, as Databento's symbology is dated)."""
    ids = records["instrument_id"]
    day = records["ts_recv" if "ts_recv" in records.dtype.names else "ts_event"] // DAY_NS
    names = np.full(len(records), "", dtype=object)
    for raw, intervals in (store.mappings or {}).items():
        for iv in intervals:
            if not str(iv["symbol"]).isdigit():
                continue
            start = _epoch_day(iv["start_date"])
            end = _epoch_day(iv["end_date"])
            names[(ids == int(iv["symbol"])) & (day >= start) & (day < end)] = f"{raw}.{venue}"
    if "raw_symbol" in records.dtype.names:  # definitions name their own instrument
        names = np.array([f"{r.decode()}.{venue}" if not n else n for n, r in zip(names, records["raw_symbol"])],
                         dtype=object)
    missing = np.flatnonzero(names == "")
    if len(missing):
        if given and len(np.unique(ids)) == 1:
            names[:] = given
        else:
            j = int(missing[0])
            raise UnknownInstrument(source, j + 1, f"instrument_id {int(ids[j])} on {_iso_day(day[j])} has no symbol "
                                                   "in the file's symbology (name it with --symbol when the file "
                                                   "holds one instrument)")
    elif given:
        if len(set(names)) > 1:
            raise WrongSchema(source, None, f"--symbol {given}: the file holds several instruments "
                                            f"({', '.join(sorted(set(names)))})")
        names[:] = given
    return names


def _epoch_day(d) -> int:
    return (d if isinstance(d, date) else date.fromisoformat(str(d))).toordinal() - date(1970, 1, 1).toordinal()


def _iso_day(day) -> str:
    return date.fromordinal(int(day) + date(1970, 1, 1).toordinal()).isoformat()


def _price(values: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64) / SCALE
    out[values == UNDEF_PRICE] = np.nan
    return out


def _side(values: np.ndarray) -> np.ndarray:
    return np.where(values == b"B", 1, np.where(values == b"A", -1, 0)).astype(np.int8)


def _bars(recs, timeframe_ns: int) -> np.ndarray:
    out = np.zeros(len(recs), BAR_DTYPE)
    out["ts_event"] = recs["ts_event"].astype(np.int64) + timeframe_ns
    out["ts_recv"] = out["ts_event"]
    for f in ("open", "high", "low", "close"):
        out[f] = _price(recs[f])
    out["volume"] = recs["volume"]
    return out


def _head(recs, dtype) -> np.ndarray:
    out = np.zeros(len(recs), dtype)
    out["ts_event"] = recs["ts_event"]
    out["ts_recv"] = recs["ts_recv"]
    return out


def _trades(recs) -> np.ndarray:
    out = _head(recs, TRADE_DTYPE)
    out["price"], out["size"], out["aggressor"] = _price(recs["price"]), recs["size"], _side(recs["side"])
    return out


def _quotes(recs) -> np.ndarray:
    out = _head(recs, QUOTE_DTYPE)
    out["bid"], out["ask"] = _price(recs["bid_px_00"]), _price(recs["ask_px_00"])
    out["bid_size"], out["ask_size"] = recs["bid_sz_00"], recs["ask_sz_00"]
    return out


def _book(recs, depth: int) -> np.ndarray:
    out = _head(recs, book_dtype(depth))
    for side in ("bid", "ask"):
        for level in range(depth):
            out[f"{side}_price"][:, level] = _price(recs[f"{side}_px_{level:02d}"])
            out[f"{side}_size"][:, level] = recs[f"{side}_sz_{level:02d}"]
            out[f"{side}_orders"][:, level] = recs[f"{side}_ct_{level:02d}"]
    out["levels"] = np.maximum((out["bid_size"] > 0).sum(axis=1), (out["ask_size"] > 0).sum(axis=1))
    return out


def _mbo(recs) -> np.ndarray:
    out = _head(recs, MBO_DTYPE)
    out["order_id"], out["price"], out["size"] = recs["order_id"], _price(recs["price"]), recs["size"]
    out["action"] = recs["action"].view(np.uint8).astype(np.int8)
    out["side"], out["flags"] = _side(recs["side"]), recs["flags"]
    return out


def _status(recs) -> np.ndarray:
    out = _head(recs, STATUS_DTYPE)
    out["action"], out["reason"] = recs["action"], recs["reason"]
    out["is_trading"] = np.where(recs["is_trading"] == b"Y", 1, np.where(recs["is_trading"] == b"N", 0, -1))
    return out


def _instrument(symbol: str, rec) -> Instrument:
    """An instrument specification from a definition record."""
    def fixed(name):
        v = int(rec[name])
        return 0.0 if v in (UNDEF_PRICE, 0) else v / SCALE

    multiplier = fixed("unit_of_measure_qty") or (float(rec["contract_multiplier"])
                                                  if 0 < int(rec["contract_multiplier"]) < 2**31 - 1 else 1.0)
    kind = _KINDS[rec["instrument_class"].decode()]
    lot = float(rec["min_lot_size_round_lot"]) if int(rec["min_lot_size_round_lot"]) > 0 else 1.0
    min_qty = float(rec["min_trade_vol"]) if 0 < int(rec["min_trade_vol"]) < 2**31 - 1 else 0.0
    return Instrument(symbol=symbol, kind=kind, currency=rec["currency"].decode() or "USD",
                      tick_size=fixed("min_price_increment"), lot_size=lot, min_qty=min_qty,
                      multiplier=multiplier if kind == "future" else 1.0)
