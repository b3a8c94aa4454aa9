"""Time parsing and checking a large strategy: the front end's part of the user's wait.

    .venv/bin/python bench/parse_check.py [--lines 2000] [--repeat 5]

Generates a realistic strategy of about `--lines` lines (params, series over several streams, functions,
handlers with branches, loops and orders), then reports the time of `check_text` (parse + check) for the
first run in this process (includes loading the cached Lark tables) and the best of `--repeat` further runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(lines: int) -> str:
    out = ["strategy Big", '    "A generated strategy for benchmarking the front end."', ""]
    out += ["instrument btc = \"BTCUSDT.BINANCE\"", "instrument eth = \"ETHUSDT.BINANCE\"",
            "data btc bars 1m", "data btc bars 1h as btc_h", "data eth bars 1m", "data btc quotes", ""]
    i = 0
    while len(out) < lines * 0.25:
        out.append(f"param p{i}: int = {10 + i % 50} in 2..200 step 1 \"length {i}\"")
        out.append(f"param w{i}: float = 0.{i % 9 + 1} in 0.0..1.0")
        out.append(f"series s{i} = ema(btc.close, p{i}) - sma(eth.close, p{i}) * w{i}")
        out.append(f"series r{i} = rsi(btc_h.close, 14) + nz(s{i}[{i % 20 + 1}])")
        i += 1
    n_series = i
    j = 0
    while len(out) < lines * 0.45:
        out += [f"def f{j}(a: float, b: float, n: int) -> float:", f'    "helper {j}"', "    acc = 0.0",
                "    for k in 0..9:", "        if a > b:", "            acc += a * k - b",
                "        elif a < b:", "            acc -= (b - a) / (k + 1)", "        else:",
                "            acc += 1", "    return acc if n > 0 else -acc", ""]
        j += 1
    n_funcs = j
    out += ["var count: int = 0", "var buf: float[32] = 0", ""]
    h = 0
    handlers = ["on bar btc:", "on bar btc_h:", "on bar eth:", "on quote btc:"]
    while len(out) < lines - 2:
        out.append(handlers[h % len(handlers)])
        h += 1
        for k in range(min(60, lines - 2 - len(out)) // 6):
            a = (h * 7 + k) % n_series
            fn = (h + k) % n_funcs
            out += [f"    x{k} = f{fn}(s{a}, r{a}, p{a})",
                    f"    if x{k} > w{a} and crossover(s{a}, r{a}):",
                    f"        buy btc 1 limit btc.close[1] - 0.5 tag \"t{k}\" tif gtd(30m)",
                    f"    elif x{k} < -w{a}:",
                    "        count += 1",
                    f"        buf[{k % 32}] = x{k}"]
        out.append("")
        if h >= len(handlers):
            break
    # pad with records in the last handler to reach the requested size
    while len(out) < lines:
        out.insert(len(out) - 1, f"    record m{len(out)} = s{len(out) % n_series}")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    text = generate(args.lines)
    t0 = time.perf_counter()
    from nts.compiler.frontend import check_text
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = check_text(text, "big.nts")
    first = time.perf_counter() - t0
    errors = result.diagnostics.errors
    if errors:
        raise SystemExit(f"generated strategy has errors: {errors[0].message} at line {errors[0].span.line}")
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        check_text(text, "big.nts")
        best = min(best, time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.nts"
        path.write_text(text)
        ntc = Path(sys.executable).parent / "ntc"
        t0 = time.perf_counter()
        subprocess.run([str(ntc), "check", str(path)], capture_output=True)
        cli = time.perf_counter() - t0
    n = text.count("\n")
    print(f"`ntc check` end to end (process start, imports, parse, check, print): {cli:.3f}s")
    print(f"lines: {n}  import: {t_import:.3f}s  first parse+check in process: {first:.3f}s  best of {args.repeat}: {best:.3f}s "
          f"({n / best:,.0f} lines/s)  warnings: {len(result.diagnostics.items)}")


if __name__ == "__main__":
    main()
