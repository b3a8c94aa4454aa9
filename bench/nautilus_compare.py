"""Validation, not in CI: the EMA-cross example in NTS and in NautilusTrader on the same events, and their fill
sequences compared (count, side, quantity, price, time, and fee to the cent: Nautilus rounds commissions to the
currency's precision). They must be identical.

    python bench/nautilus_compare.py [--venv DIR] [--fast 10 --slow 30]

- bars: examples/ema_cross.nts on SPY daily bars (examples/data, Lean); NTS with `fill_on_close` (Nautilus fills
  a market order placed in `on_bar` at that bar's close) and SPY's prices to 1e-4 (Lean's fractions), no fees;
- quotes: bench/ema_cross_quotes.nts on 167,466 EUR/USD quote ticks (../shared/data/lean/forex/fxcm/tick, Lean,
  Apache-2.0) less the crossed ones, which NTS refuses; no sizes, so both sides show 1e9; lots of 1,000 and
  Nautilus's FX fees (0.002%).

NautilusTrader runs in its own virtual environment (DIR, default `.venv-nautilus` at the repository root: made and
filled with `nautilus_trader==1.221.0` on first use), from bench/nautilus_side.py, which restates the strategies by
hand. The events pass between the two as .npy files, so both run on the same numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

import nts
from nts.adapters.files import read_events
from nts.runtime.backtest import Venue, run_engine
from nts.runtime.events import QUOTE_DTYPE
from nts.runtime.instruments import Instrument

ROOT = Path(__file__).resolve().parent.parent
SPY = ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / "spy.zip"
EURUSD = ROOT.parent / "shared" / "data" / "lean" / "forex" / "fxcm" / "tick" / "eurusd" / "20140508_quote.zip"
NAUTILUS = "nautilus_trader==1.221.0"
SHOWN_SIZE = 1e9


def eurusd_quotes() -> np.ndarray:
    """Lean FXCM ticks: `ms since midnight, bid, ask`, the day in UTC-5."""
    with zipfile.ZipFile(EURUSD) as z:
        rows = list(csv.reader(io.TextIOWrapper(z.open(z.namelist()[0]), "ascii")))
    midnight = datetime(2014, 5, 8, tzinfo=timezone(timedelta(hours=-5)))
    out = np.zeros(len(rows), QUOTE_DTYPE)
    out["ts_event"] = int(midnight.timestamp()) * 10**9 + np.array([int(r[0]) for r in rows], np.int64) * 10**6
    out["ts_recv"] = out["ts_event"]
    out["bid"] = [float(r[1]) for r in rows]
    out["ask"] = [float(r[2]) for r in rows]
    out["bid_size"] = out["ask_size"] = SHOWN_SIZE
    crossed = out["bid"] > out["ask"]  # NTS refuses them (a `crossed quote` error); both sides run without them
    print(f"EUR/USD: {len(out):,} quote ticks, {int(crossed.sum())} crossed ones left out", file=sys.stderr)
    return out[~crossed]


def nts_fills(raw) -> list[dict]:
    f = raw.fills
    return [{"ts": int(t), "side": int(s), "qty": float(q), "price": float(p), "fee": float(fee)}
            for t, s, q, p, fee in zip(f["ts_event"], f["side"], f["qty"], f["price"], f["fee"])]


def nautilus_venv(folder: Path) -> Path:
    python = folder / "bin" / "python"
    if not python.exists():
        print(f"making {folder} with {NAUTILUS} (once) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", NAUTILUS], check=True)
    return python


def compare(name: str, ours: list[dict], theirs: list[dict]) -> bool:
    same = len(ours) == len(theirs)
    first = None
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if (a["ts"], a["side"], a["qty"]) != (b["ts"], b["side"], b["qty"]) or abs(a["price"] - b["price"]) > 1e-9 \
                or abs(a["fee"] - b["fee"]) > 0.005:  # Nautilus rounds a commission to the cent; NTS does not
            same, first = False, i
            break
    print(f"{name}: NTS {len(ours)} fills, NautilusTrader {len(theirs)} fills: "
          + ("identical (time, side, quantity, price; fee to the cent)" if same else "DIFFERENT"))
    if first is not None:
        print(f"  first difference at fill {first}: NTS {ours[first]} vs NautilusTrader {theirs[first]}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-nautilus")
    parser.add_argument("--fast", type=int, default=10)
    parser.add_argument("--slow", type=int, default=30)
    args = parser.parse_args()
    python = nautilus_venv(args.venv)
    bars, quotes = read_events(SPY, "bars"), eurusd_quotes()
    ema = {"fast": args.fast, "slow": args.slow}
    params = {"bars": {"cash": 100_000.0, "ema": {**ema, "risk": 0.95}},
              "quotes": {"cash": 10_000_000.0, "ema": {**ema, "qty": 100_000.0}}}

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.save(folder / "spy_bars.npy", bars)
        np.save(folder / "eurusd_quotes.npy", quotes)
        (folder / "params.json").write_text(json.dumps(params))
        subprocess.run([str(python), str(ROOT / "bench" / "nautilus_side.py"), str(folder)], check=True)
        theirs = json.loads((folder / "nautilus_fills.json").read_text())

        on_bars = run_engine(nts.compile(ROOT / "examples" / "ema_cross.nts", folder / "ema_cross"), {"spy": bars},
                             params={**ema, "risk": 0.95}, cash=params["bars"]["cash"],
                             venue=Venue(fill_on_close=True),
                             instruments={"spy": Instrument(symbol="SPY.ARCA", tick_size=0.0001, lot_size=1.0)})
        fx = Instrument(symbol="EURUSD.FXCM", kind="fx", tick_size=1e-5, lot_size=1000.0, maker_fee=0.00002,
                        taker_fee=0.00002)
        on_quotes = run_engine(nts.compile(ROOT / "bench" / "ema_cross_quotes.nts", folder / "ema_quotes"),
                               {"fx": quotes}, params={**ema, "qty": 100_000.0}, cash=params["quotes"]["cash"],
                               instruments={"fx": fx})
    ok = compare(f"SPY daily bars ({len(bars):,})", nts_fills(on_bars), theirs["bars"])
    ok &= compare(f"EUR/USD quote ticks ({len(quotes):,})", nts_fills(on_quotes), theirs["quotes"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
