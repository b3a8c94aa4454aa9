"""The live runtime's figures (issue: live runtime, performance).

1. In-process tick-to-intent latency: a recorded Binance bookTicker message decoded (JSON -> quote record), fed to
   the engine (the strategy's handler, the risk engine, the order state machine) until its intents are ready, for
   each of 100,000 messages of examples/data/binance (repeated; after 1,000 not counted), in live mode: p50, p99,
   p99.9, max.
2. Tick-to-order against the local simulator on loopback: `ntc live` on examples/btc_quotes.nts; for each
   order, from the moment ccxt handed over the quote that caused it to the moment the order request was handed
   to ccxt to send (from the run's JSON log), and to the moment the request reached the venue (the simulator's
   record of its arrival; same machine, same clock), p50 and p99.
3. Soak (--soak MINUTES): `ntc live` against the simulator looping its feed at about 2,000 messages/s; the live
   process's RSS sampled every 10 s; growth after the first minute (warm-up).

    .venv/bin/python bench/live.py            # 1 and 2
    .venv/bin/python bench/live.py --soak 30  # also 3
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FEED = ROOT / "examples" / "data" / "binance" / "btcusdt_20240808.gz"
STRATEGY = ROOT / "examples" / "btc_quotes.nts"


def book_tickers() -> list[str]:
    with gzip.open(FEED, "rt") as f:
        return [line.partition(" ")[2] for line in f if "@bookTicker" in line]


def tick_to_intent(n: int = 100_000) -> None:
    import nts
    from nts.runtime.events import QUOTE_DTYPE
    from nts.runtime.execution import REPORT_ACCEPTED, REPORT_FILL
    from nts.runtime.instruments import Instrument
    from nts.runtime.live import LiveEngine

    strategy = nts.compile(STRATEGY)
    spec = Instrument(symbol="BTCUSDT.BINANCE", kind="spot", currency="USDT", tick_size=0.01, lot_size=1e-5)
    engine = LiveEngine(strategy, [spec], params={"fast": 20, "slow": 80}, cash=1e6, currency="USDT", start_ns=0)
    messages = book_tickers()
    record = np.zeros(1, QUOTE_DTYPE)[0]
    warm = 1_000  # the first calls load the compiled code: not counted
    times = np.zeros(n + warm, np.int64)
    orders = 0
    clock = time.perf_counter_ns
    for i in range(n + warm):
        text = messages[i % len(messages)]
        t0 = clock()
        data = json.loads(text)["data"]
        record["ts_event"] = record["ts_recv"] = (i + 1) * 10**6
        record["bid"], record["ask"] = float(data["b"]), float(data["a"])
        record["bid_size"], record["ask_size"] = float(data["B"]), float(data["A"])
        box = engine.market(0, record)
        times[i] = clock() - t0
        for o in box.orders:  # the venue's answers, outside the timed part
            orders += 1
            seq = int(o["seq"])
            engine.report(REPORT_ACCEPTED, seq, t=(i + 1) * 10**6)
            engine.report(REPORT_FILL, seq, float(o["qty"]), record["ask"] if o["side"] > 0 else record["bid"], 0.0,
                          0.0, (i + 1) * 10**6)
    us = times[warm:] / 1e3
    print(f"1. Tick to intent, in process, {n:,} bookTicker messages ({orders:,} orders): "
          f"p50 {np.percentile(us, 50):.1f} us  p99 {np.percentile(us, 99):.1f} us  "
          f"p99.9 {np.percentile(us, 99.9):.1f} us  max {us.max():.0f} us")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def simulator(port: int, speed: float, loop: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-m", "nts.adapters.binance_sim", "--port", str(port), "--speed", str(speed),
            "--key", "bench-key", "--secret", "bench-secret"] + (["--loop"] if loop else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proc.stdout.readline()
    return proc


def live(port: int, folder: Path, duration: float) -> subprocess.Popen:
    env = dict(os.environ, NTS_API_KEY="bench-key", NTS_API_SECRET="bench-secret")
    return subprocess.Popen([sys.executable, "-m", "nts.compiler.cli", "live", str(STRATEGY), "--url",
                             f"http://127.0.0.1:{port}", "--journal", str(folder), "--duration", str(duration),
                             "--param", "fast=20", "--param", "slow=80"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tick_to_order(duration: float = 25.0) -> None:
    port = free_port()
    sim = simulator(port, speed=5.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc = live(port, Path(tmp), duration)
            proc.wait(timeout=duration + 60)
            events = [json.loads(line) for line in (Path(tmp) / "live.log").read_text().splitlines()]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sim/state", timeout=30) as r:
                arrived = json.load(r)["received_ns"]
    finally:
        sim.kill()
    sent = [e for e in events if e["event"] == "order_sent" and e["client_id"] in arrived]
    if len(sent) < 2:
        print("2. Tick to order: fewer than two orders were sent")
        return
    for what, gaps in (("handed to ccxt", np.array([e["sent_ns"] - e["recv_ns"] for e in sent]) / 1e3),
                       ("at the venue", np.array([arrived[e["client_id"]] - e["recv_ns"] for e in sent]) / 1e3)):
        # The run's first order also pays for code paths used for the first time (Numba loading cached machine
        # code for them, the journal's and the state's first writes): shown apart.
        rest = gaps[1:]
        print(f"2. Tick to order {what}, ntc live against the simulator on loopback, {len(gaps)} orders: the first "
              f"{gaps[0]:.0f} us; the others p50 {np.percentile(rest, 50):.0f} us  p99 "
              f"{np.percentile(rest, 99):.0f} us  max {rest.max():.0f} us")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def soak(minutes: float) -> None:
    port = free_port()
    sim = simulator(port, speed=25.0, loop=True)  # the feed's ~81 bookTicker messages/s, 25 times faster
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc = live(port, Path(tmp), minutes * 60)
            samples = []
            start = time.time()
            while proc.poll() is None:
                time.sleep(10)
                if proc.poll() is None:
                    samples.append((time.time() - start, rss_mb(proc.pid)))
            warm = [m for t, m in samples if t >= 60]
            if not warm:
                print("3. Soak: too short to measure")
                return
            growth = (max(warm) - warm[0]) / warm[0] * 100
            print(f"3. Soak, {minutes:g} min: RSS after warm-up {warm[0]:.0f} MB, highest {max(warm):.0f} MB, last "
                  f"{warm[-1]:.0f} MB: growth {growth:.1f}%")
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--soak", type=float, default=0.0, metavar="MINUTES")
    args = parser.parse_args()
    tick_to_intent()
    tick_to_order()
    if args.soak:
        soak(args.soak)


if __name__ == "__main__":
    main()
