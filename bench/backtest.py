"""The backtest engine's figures (issue: backtest engine, performance): throughput of the full engine on the EMA-cross
example over 1M one-minute bars and over 1M quote ticks, against vectorbt's `Portfolio.from_signals` on the same data
when vectorbt is installed (`pip install -e ".[bench]"`); load time (Parquet -> arrays); compile times (a new
strategy with the engine cached, a re-run); peak memory of a 1M and a 10M run, each in a fresh process.

    .venv/bin/python bench/backtest.py            # everything (a few minutes)
    .venv/bin/python bench/backtest.py --quick    # 200k events, no memory runs

The data is a seeded random walk (the same in every run): EMA 10/30 reversing on every cross makes ~37,000 fills
per million bars, the reference workload of the issue.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MINUTE = 60 * 10**9
START = 1_600_000_000 * 10**9
QUOTE_STRATEGY = """strategy EmaCrossQuotes
param fast: int = 10 in 2..100
param slow: int = 30 in 3..400
instrument spy = "SPY.ARCA"
data spy quotes
series f = ema(spy.mid, fast)
series s = ema(spy.mid, slow)
on quote spy:
    size = floor(equity * 0.95 / spy.mid)
    if crossover(f, s):
        target spy size
    elif crossunder(f, s):
        target spy -size
"""


CHUNK = 1 << 16  # the data is made a chunk at a time: the memory figures are the engine's, not this harness's


def random_walk(out: np.ndarray, seed: int = 0) -> None:
    """A geometric random walk from 100 (0.05% steps), written into `out` (a field of the event array)."""
    rng = np.random.default_rng(seed)
    level = 0.0
    for i in range(0, len(out), CHUNK):
        walk = rng.normal(0.0, 0.0005, min(CHUNK, len(out) - i))
        np.cumsum(walk, out=walk)
        walk += level
        level = walk[-1]
        np.exp(walk, out=walk)
        out[i:i + len(walk)] = 100.0 * walk


def clock(out: np.ndarray, step: int) -> None:
    """Event times START + step, START + 2 step, ... into `out`."""
    for i in range(0, len(out), CHUNK):
        out[i:i + CHUNK] = START + step * np.arange(i + 1, min(i + CHUNK, len(out)) + 1)


def minute_bars(n: int):
    from nts.runtime.events import BAR_DTYPE
    bars = np.zeros(n, BAR_DTYPE)
    random_walk(bars["close"])
    clock(bars["ts_event"], MINUTE)
    bars["ts_recv"] = bars["ts_event"]
    bars["open"][1:] = bars["close"][:-1]
    bars["open"][0] = bars["close"][0]
    high, low = bars["high"], bars["low"]  # views: filled in place, with no temporaries
    np.maximum(bars["open"], bars["close"], out=high)
    high *= 1.0002
    np.minimum(bars["open"], bars["close"], out=low)
    low *= 0.9998
    bars["volume"] = 1000.0
    return bars


def quote_ticks(n: int):
    from nts.runtime.events import QUOTE_DTYPE
    quotes = np.zeros(n, QUOTE_DTYPE)
    clock(quotes["ts_event"], 10**8)
    quotes["ts_recv"] = quotes["ts_event"]
    random_walk(quotes["bid"], seed=1)  # the mid, then the spread around it
    quotes["ask"] = quotes["bid"]
    quotes["bid"] -= 0.005
    quotes["ask"] += 0.005
    quotes["bid_size"] = quotes["ask_size"] = 1e6
    return quotes


def timed_runs(strategy, data, params, repeats=5):
    from nts.runtime.backtest import run_engine
    best = None
    for _ in range(repeats):
        raw = run_engine(strategy, data, params=params, cash=1e6)
        if best is None or raw.timings["loop_s"] < best.timings["loop_s"]:
            best = raw
    return best


def vectorbt_ratio(prices: np.ndarray, nts_seconds: float, label: str) -> None:
    try:
        import pandas as pd
        import vectorbt as vbt
    except ImportError:
        print(f"   vectorbt: not installed (pip install -e \".[bench]\"): no ratio for {label}")
        return
    close = pd.Series(prices)
    fast = vbt.MA.run(close, 10, ewm=True).ma
    slow = vbt.MA.run(close, 30, ewm=True).ma
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    kwargs = dict(init_cash=1e6, direction="both", freq="1min")  # all-in, reversing on each signal
    vbt.Portfolio.from_signals(close.iloc[:1000], entries.iloc[:1000], exits.iloc[:1000], **kwargs)  # JIT warm-up
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        pf = vbt.Portfolio.from_signals(close, entries, exits, **kwargs)
        best = min(best, time.perf_counter() - start)
    n = len(prices)
    print(f"   vectorbt from_signals:     {best:8.3f} s  {n / best / 1e6:8.1f} M/s  trades {pf.trades.count()}")
    print(f"   NTS / vectorbt speed:      {best / nts_seconds:8.2f}x")


def throughput(n: int) -> None:
    import nts
    print(f"1. Throughput, EMA 10/30 reversing, {n:,} one-minute bars (full engine: orders, matching, risk, "
          "portfolio, equity sampling)")
    bars = minute_bars(n)
    strategy = nts.compile(ROOT / "examples" / "ema_cross.nts")
    params = {"fast": 10, "slow": 30, "allow_short": True, "risk": 0.95}
    raw = timed_runs(strategy, {"spy": bars}, params)
    loop = raw.timings["loop_s"]
    print(f"   NTS loop:                  {loop:8.3f} s  {n / loop / 1e6:8.1f} M bars/s  fills {len(raw.fills):,} "
          f"(run with collection {raw.timings['run_s']:.3f} s)")
    vectorbt_ratio(bars["close"], loop, "bars")

    print(f"2. Throughput, the same on {n:,} quote ticks (L1 fills at the touch)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ema_quotes.nts"
        path.write_text(QUOTE_STRATEGY)
        quoted = nts.compile(path)
        quotes = quote_ticks(n)
        raw = timed_runs(quoted, {"spy": quotes}, {"fast": 10, "slow": 30})
        loop = raw.timings["loop_s"]
        print(f"   NTS loop:                  {loop:8.3f} s  {n / loop / 1e6:8.1f} M quotes/s  fills {len(raw.fills):,}")
        vectorbt_ratio(0.5 * (quotes["bid"] + quotes["ask"]), loop, "quotes")


def load_time(n: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nts.adapters.files import read_events
    print(f"3. Load time: {n:,} bars Parquet -> validated event array")
    bars = minute_bars(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bars.parquet"
        pq.write_table(pa.table({"ts_event": bars["ts_event"], **{f: bars[f] for f in
                                                                   ("open", "high", "low", "close", "volume")}}), path)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            read_events(path, "bars")
            times.append(time.perf_counter() - start)
        print(f"   {min(times):.3f} s (best of 3; the first, loading the compiled validation too: {times[0]:.3f} s)")


def compile_times() -> None:
    print("4. Compile: a new strategy (the engine already cached) and a re-run, each in a fresh process")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ema_{os.getpid()}.nts"
        shutil.copy(ROOT / "examples" / "ema_cross.nts", path)
        spy = ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / "spy.zip"
        for label in ("first run of a new strategy", "re-run"):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nts.compiler.cli", "run", str(path), "--data", f"spy={spy}", "-q"],
                           check=True)
            print(f"   {label}: {time.perf_counter() - start:.2f} s end to end (ntc run on SPY daily)")


def peak_memory(n: int) -> dict:
    """Peak RSS of a run of n bars in a fresh process, and its baseline: the process after loading the compiled
    strategy and engine (a 1,000-bar run), before the data is made. Read from /proc (VmHWM, the peak of this
    process image): getrusage's ru_maxrss keeps the parent's peak across fork and exec."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import backtest as b, nts, json;"
            "import numpy as np;"
            "hwm = lambda: next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024;"
            f"s = nts.compile({str(ROOT / 'examples' / 'ema_cross.nts')!r});"
            "from nts.runtime.backtest import run_engine;"
            "p = {'fast': 10, 'slow': 30, 'allow_short': True};"
            "run_engine(s, {'spy': b.minute_bars(1000)}, params=p, cash=1e6);"
            "base = hwm();"
            f"bars = b.minute_bars({n});"
            "r = run_engine(s, {'spy': bars}, params=p, cash=1e6);"
            "out = sum(a.nbytes for a in (r.fills, r.events, r.orders, r.equity_ts, r.equity, r.records, r.price,"
            " r.log_ts, r.log_rows) if not np.may_share_memory(a, bars));"  # times and prices from the bars: views
            "print(json.dumps({'rss_mb': hwm(), 'base_mb': base,"
            " 'data_mb': bars.nbytes / 2**20, 'results_mb': out / 2**20, 'scipy': 'scipy' in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 200_000 if args.quick else 1_000_000
    throughput(n)
    load_time(n)
    compile_times()
    if not args.quick:
        print("5. Peak RSS of a whole run (data, loading the compiled strategy, run, results), fresh processes")
        peak_memory(1_000_000)  # compiles whatever the steps above left uncompiled: its memory is not the run's
        for size in (1_000_000, 10_000_000):
            m = peak_memory(size)
            print(f"   {size:>10,} bars: {m['rss_mb']:7.0f} MB peak RSS = {m['base_mb']:.0f} MB before the data "
                  f"(Python, Numba{' with SciPy' if m['scipy'] else ''}, the compiled code) + the bars "
                  f"{m['data_mb']:.0f} MB + results {m['results_mb']:.0f} MB (equity and record samples, orders, "
                  f"fills, events) + {m['rss_mb'] - m['base_mb'] - m['data_mb'] - m['results_mb']:.0f} MB else")


if __name__ == "__main__":
    main()
