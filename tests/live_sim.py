"""Running `ntc live` against the local Binance simulator (adapters/binance_sim.py) in tests: the simulator in its
own process, `ntc live` runs with planted credentials, their logs, and `ntc replay` of their journals. Shared by
test_live_venue.py (the recorded BTCUSDT feed) and test_live_examples.py (the examples on bars)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from example_data import EXAMPLES

STRATEGY = EXAMPLES / "btc_quotes.nts"
KEY, SECRET = "test-key-d41d8cd98f00b204", "PLANTED-SECRET-e9800998ecf8427e"
STARTED: list[subprocess.Popen] = []  # the `ntc live` processes started; conftest.no_process_left kills those left


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Simulator:
    def __init__(self, *args: str, speed: float = 30.0, loop: bool = False):
        """`args`: more of the simulator's options (bar mode: `--bars`, ...)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "nts.adapters.binance_sim", "--port", str(self.port),
                                      "--speed", str(speed), "--key", KEY, "--secret", SECRET,
                                      *(["--loop"] if loop else []), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert "binance simulator on" in self.proc.stdout.readline()

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/sim/state", timeout=30) as r:
            state = json.load(r)
        assert not state["error"], state["error"]
        return state

    def control(self, **body) -> None:
        req = urllib.request.Request(f"{self.url}/sim/control", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).read()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def live(sim, folder: Path, *extra, paper=False, wait=True, duration=None, strategy: Path = STRATEGY):
    env = dict(os.environ, NTS_API_KEY=KEY, NTS_API_SECRET=SECRET)
    args = [sys.executable, "-m", "nts.compiler.cli", "live", str(strategy), "--url", sim.url,
            "--journal", str(folder), *(["--paper"] if paper else []),
            *(["--duration", str(duration)] if duration else []), *extra]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def wait_done(sim, timeout=60.0) -> None:
    end = time.time() + timeout
    while not sim.state()["done"]:
        assert time.time() < end, "the simulator's feed did not end"
        time.sleep(0.2)


def settle(sim, folder: Path, timeout: float = 20.0) -> None:
    """Waits until every fill the venue made has reached the engine: on a busy machine the last reports of a run
    may still be on their way when the feed ends."""
    end = time.time() + timeout
    while sum(1 for e in log_events(folder) if e["event"] == "fill") < len(sim.state()["trades"]):
        if time.time() > end:
            return  # the assertions that follow say what is missing
        time.sleep(0.2)


def stop_when_done(sim, folder: Path, proc: subprocess.Popen, linger: float = 1.0) -> list[dict]:
    """Lets the run see the whole feed and the venue's last reports, stops it (SIGTERM, exit 0) and returns its log."""
    wait_done(sim)
    settle(sim, folder)
    time.sleep(linger)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    return log_events(folder)


def log_events(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "live.log").read_text().splitlines()]


def replay(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nts.compiler.cli", "replay", str(folder / "journal")],
                          capture_output=True, text=True, timeout=120)
