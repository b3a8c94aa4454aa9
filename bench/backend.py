"""Time the back end: cold compiles, warm loads from the artifact cache, and the compiled step's throughput.

    .venv/bin/python bench/backend.py [--bars 10000000] [--repeat 3] [--quick]

1. Cold compile of every example (`examples/*.nts`, `examples/*.nts.yaml`): `nts.compile(path, fresh_dir)`, each in a
   fresh process whose NUMBA_CACHE_DIR is a new empty folder. "fully cold": no Numba cache at all (the runtime ops and
   stdlib kernels JIT too); "strategy cold": the same cache folder again with a new artifact folder, so only the
   strategy's own functions JIT (the usual case after a first compile). Timed inside the process around the call (its
   lazy imports included), split into front end + codegen (`write_artifact`) and import + JIT (`load`), and as the
   process's wall time (Python start-up and imports included). Target: under 5 s.
2. Warm load: `nts.load(dir)` of an artifact built before, in a fresh process with the same cache folder; it must not
   JIT (`jit_stats()` misses == 0). Timed without and with `import numba` + `import nts`. Target: under 0.5 s.
3. Throughput: examples/ema_cross.nts's `step:spy.bars` called per bar from an `@njit` driver loop (the step is a
   global of the loop, so it inlines, as in the engine's loop) over `--bars` synthetic bars, against two hand-written
   `@njit` loops: the crossover (two EMAs seeded with the SMA as TA-Lib, crossover / crossunder, a target intent of
   `floor(equity * risk / close)` on each cross), and the whole strategy (the same, plus what its text asks for on
   every bar: the size and two records). Best of `--repeat` after a warm-up call. Target: compiled / hand-written
   speed >= 0.5.

`--quick` is a smoke run: only ema_cross.nts, 200,000 bars. Everything is built in temporary folders (the Numba
caches too), so the repository's __pycache__ folders and `.ntc/` are not touched.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAMS = {"fast": 20, "slow": 100, "risk": 0.95}
EQUITY = 1e6
COMPILE_TARGET_S = 5.0
LOAD_TARGET_S = 0.5
RATIO_TARGET = 0.5


# ==================================================================== child processes
def _imports():
    """Imports numba and nts, then what nts.compile and nts.load import lazily (counted in their time); returns
    nts, nts.runtime.strategy and the two import times."""
    t0 = time.perf_counter()
    import numba  # noqa: F401
    import nts
    t_imports = time.perf_counter() - t0
    t1 = time.perf_counter()
    import nts.runtime.strategy as rs
    return nts, rs, t_imports, time.perf_counter() - t1


def child_compile(path: str, directory: str) -> dict:
    nts, rs, t_imports, t_lazy = _imports()
    phases = {}
    _time_calls(rs, "write_artifact", phases)
    _time_calls(rs, "load", phases)
    t2 = time.perf_counter()
    strategy = nts.compile(path, directory)
    t_call = time.perf_counter() - t2
    hits, misses = strategy.jit_stats()
    return {"imports": t_imports, "compile": t_lazy + t_call, "lazy_imports": t_lazy,
            "front": phases.get("write_artifact", math.nan), "jit": phases.get("load", math.nan),
            "hits": hits, "misses": misses}


def child_load(directory: str) -> dict:
    t0 = time.perf_counter()
    nts, rs, t_imports, t_lazy = _imports()
    phases = {}
    _time_calls(rs, "read_manifest", phases)
    _time_calls(rs, "_import", phases)
    _time_calls(rs.CompiledStrategy, "compile_all", phases)
    t2 = time.perf_counter()
    strategy = nts.load(directory)
    t_call = time.perf_counter() - t2
    hits, misses = strategy.jit_stats()
    return {"imports": t_imports, "load": t_lazy + t_call, "lazy_imports": t_lazy,
            "manifest": phases.get("read_manifest", math.nan), "module": phases.get("_import", math.nan),
            "compile_all": phases.get("compile_all", math.nan), "total": time.perf_counter() - t0,
            "hits": hits, "misses": misses}


def _time_calls(owner, name: str, phases: dict) -> None:
    """Wraps `owner.name` so that the time spent in it adds up in phases[name]."""
    fn = getattr(owner, name)

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - t

    setattr(owner, name, timed)


def run_child(args: list[str], cache_dir: Path) -> tuple[dict, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


# ==================================================================== 1 and 2: compile and load
def bench_compile_and_load(examples: list[Path], tmp: Path) -> Path:
    """Returns the Numba cache folder of ema_cross.nts's runs (warm for its kernels), for the throughput part."""
    ema_cache = None
    rows = []
    for path in examples:
        rel = str(path.relative_to(REPO))
        name = path.name.split(".")[0]
        cache = tmp / f"numba-{name}"
        cache.mkdir()
        full, full_wall = run_child(["compile", rel, str(tmp / f"{name}-cold")], cache)
        warm_art = tmp / f"{name}-strategy-cold"
        strat, strat_wall = run_child(["compile", rel, str(warm_art)], cache)
        load, load_wall = run_child(["load", str(warm_art)], cache)
        rows.append((rel, full, full_wall, strat, strat_wall, load, load_wall))
        if name == "ema_cross":
            ema_cache = cache
        print(f"  done {rel}", flush=True)

    w = max(len(r[0]) for r in rows)
    print()
    print("1. Cold compile: nts.compile(path, fresh_dir) in a fresh process (seconds; target < "
          f"{COMPILE_TARGET_S:g} s inside the process)")
    print("   nts.compile = its lazy imports + front end & codegen (write_artifact) + import module & JIT (load);")
    print("   wall = the whole process: Python start-up, `import numba, nts`, nts.compile, exit")
    print(f"   {'example':<{w}}  {'kind':<14} {'nts.compile':>11} {'(imports':>9} {'front':>7} {'JIT)':>7} "
          f"{'wall':>7} {'misses':>7}  target")
    for rel, full, full_wall, strat, strat_wall, _, _ in rows:
        for kind, r, wall in (("fully cold", full, full_wall), ("strategy cold", strat, strat_wall)):
            ok = "ok" if r["compile"] < COMPILE_TARGET_S else "MISSED"
            print(f"   {rel:<{w}}  {kind:<14} {r['compile']:>11.3f} {r['lazy_imports']:>9.3f} {r['front']:>7.3f} "
                  f"{r['jit']:>7.3f} {wall:>7.3f} {r['misses']:>7}  {ok}")
    print()
    print("2. Warm load: nts.load(artifact) in a fresh process, same Numba cache folder (seconds; target < "
          f"{LOAD_TARGET_S:g} s)")
    print("   nts.load = its lazy imports (nts.runtime.strategy and what it pulls in) + manifest + module import + "
          "compile_all (cache loads);")
    print("   +imports adds `import numba` + `import nts` before it; wall = the whole process")
    print(f"   {'example':<{w}}  {'nts.load':>8} {'(imports':>9} {'manifest':>8} {'module':>7} {'compile_all)':>12} "
          f"{'+imports':>8} {'wall':>7} {'hits':>5} {'misses':>6}  target")
    for rel, _, _, _, _, load, load_wall in rows:
        ok = "ok" if load["load"] < LOAD_TARGET_S and load["misses"] == 0 else "MISSED"
        print(f"   {rel:<{w}}  {load['load']:>8.3f} {load['lazy_imports']:>9.3f} {load['manifest']:>8.3f} "
              f"{load['module']:>7.3f} {load['compile_all']:>12.3f} {load['imports'] + load['load']:>8.3f} "
              f"{load_wall:>7.3f} {load['hits']:>5} {load['misses']:>6}  {ok}")
    return ema_cache


# ==================================================================== 3: throughput
def synthetic_bars(n: int, seed: int = 7):
    import numpy as np
    from nts.runtime.events import BAR_DTYPE

    rng = np.random.default_rng(seed)
    bars = np.zeros(n, BAR_DTYPE)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))  # a geometric random walk: positive prices
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1]
    spread = np.abs(rng.normal(0.0, 0.0005, n))
    bars["close"] = close
    bars["open"] = open_
    bars["high"] = np.maximum(open_, close) * (1.0 + spread)
    bars["low"] = np.minimum(open_, close) * (1.0 - spread)
    bars["volume"] = rng.integers(100, 10_000, n).astype(np.float64)
    bars["ts_event"] = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 60_000_000_000
    bars["ts_recv"] = bars["ts_event"]
    bars["instrument"] = 0
    return bars


def make_driver(step):
    """A compiled loop over the bars calling the strategy's step, as the backtest engine's loop will: the step is a
    global of the loop (not an argument), so LLVM can inline it, and like all per-event code the loop runs without
    reference counting (nts.runtime.jit)."""
    import numba

    @numba.njit(_nrt=False)
    def drive(bars, n, state, ctx, out):
        total = 0
        for i in range(n):
            k = step(bars, i, state, ctx, out)
            total += k
        return total
    return drive


def make_kernels():
    import numba

    def make_reference(whole: bool):
        @numba.njit
        def reference(bars, n, fast, slow, risk, equity, out, records):
            """The crossover by hand: EMAs seeded with the SMA of their first `length` values (TA-Lib), crossover /
            crossunder of the two, and a target intent sized floor(equity * risk / close) on each cross. `whole` (a
            compile-time constant) does all the per-bar work the strategy's text asks for: the size on every bar,
            as `size = ...` at the top of the handler does, and the two records (spread, regime)."""
            af = 2.0 / (fast + 1)
            aslow = 2.0 / (slow + 1)
            nf = 0
            ns = 0
            sum_f = 0.0
            sum_s = 0.0
            ef = math.nan
            es = math.nan
            pf = math.nan
            ps = math.nan
            seq = 0
            total = 0
            for i in range(n):
                x = bars[i]["close"]
                if whole:
                    size = math.floor(equity * risk / x) if x != 0 else math.nan
                nf += 1
                if nf < fast:
                    sum_f += x
                elif nf == fast:
                    ef = (sum_f + x) / fast
                else:
                    ef += af * (x - ef)
                ns += 1
                if ns < slow:
                    sum_s += x
                elif ns == slow:
                    es = (sum_s + x) / slow
                else:
                    es += aslow * (x - es)
                if ef == ef and es == es:
                    up = ef > es and pf <= ps
                    down = ef < es and pf >= ps
                    pf = ef
                    ps = es
                    if up or down:
                        rec = out[0]
                        rec["action"] = 1  # target
                        rec["instrument"] = 0
                        if whole:
                            rec["qty"] = size if up else 0.0
                        else:
                            rec["qty"] = math.floor(equity * risk / x) if up else 0.0
                        rec["tag"] = 0
                        rec["seq"] = seq
                        rec["source_line"] = 20 if up else 22
                        seq += 1
                        total += 1
                if whole:
                    records[0] = (ef - es) / es if es != 0 else math.nan
                    records[1] = 1.0 if ef > es else -1.0
            return total, ef, es

        return reference

    return make_reference(False), make_reference(True)


def best_of(repeat: int, setup, run) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeat):
        args = setup()
        t0 = time.perf_counter()
        result = run(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def bench_throughput(n: int, repeat: int, tmp: Path) -> None:
    import re

    import numpy as np

    import nts
    from nts.runtime.intents import intent_buffer

    t0 = time.perf_counter()
    bars = synthetic_bars(n)
    t_bars = time.perf_counter() - t0
    strategy = nts.compile(REPO / "examples" / "ema_cross.nts", tmp / "ema_cross-throughput")
    step = strategy.entry("step:spy.bars")
    reference, reference_whole = make_kernels()
    drive = make_driver(step)
    capacity = strategy.manifest.intent_capacity

    def fresh():
        return strategy.new_state(PARAMS), strategy.context(equity=EQUITY, cash=EQUITY), strategy.intent_buffer()

    state, ctx, out = fresh()
    t0 = time.perf_counter()
    drive(bars, min(n, 1000), state, ctx, out)  # warm-up: JIT of the driver
    t_jit_drive = time.perf_counter() - t0
    last = {}

    def run_compiled(state, ctx, out):
        last.update(state=state, out=out)
        return drive(bars, n, state, ctx, out)

    t_comp, total_comp = best_of(repeat, fresh, run_compiled)
    seq_comp = int(strategy.array(last["state"], "counters")[0])
    ind = strategy.array(last["state"], "ind")
    ema_comp = (float(ind[2]), float(ind[7]))  # the ema blocks are [count, seed_sum, value, alpha, length], at 0 and 5
    qty_comp = float(last["out"][0]["qty"])
    rec_comp = strategy.array(last["state"], "records").copy()

    def ref_args(out, records):
        return bars, n, PARAMS["fast"], PARAMS["slow"], PARAMS["risk"], EQUITY, out, records

    t_jit_ref = 0.0
    for fn in (reference, reference_whole):
        t0 = time.perf_counter()
        fn(bars, min(n, 1000), PARAMS["fast"], PARAMS["slow"], PARAMS["risk"], EQUITY, intent_buffer(capacity),
           np.zeros(2))
        t_jit_ref += time.perf_counter() - t0
    ref_last = {}

    def fresh_ref():
        ref_last.update(out=intent_buffer(capacity), records=np.zeros(2))
        return ref_last["out"], ref_last["records"]

    t_ref, (total_ref, ef, es) = best_of(repeat, fresh_ref, lambda o, r: reference(*ref_args(o, r)))
    qty_ref = float(ref_last["out"][0]["qty"])
    t_rec, (total_rec, _, _) = best_of(repeat, fresh_ref, lambda o, r: reference_whole(*ref_args(o, r)))
    rec_ref = ref_last["records"]

    # What the driver's machine code holds: refcount operations and calls into the strategy's functions.
    ir = drive.inspect_llvm(drive.signatures[0])
    increfs, decrefs = ir.count("call void @NRT_incref"), ir.count("call void @NRT_decref")
    strategy_calls = len(re.findall(r"call \S+ @_ZN\d+nts_strategy_", ir))

    ratio = t_ref / t_comp  # (n / t_comp) / (n / t_ref)
    print()
    print(f"3. Throughput: examples/ema_cross.nts, fast={PARAMS['fast']} slow={PARAMS['slow']} risk={PARAMS['risk']}, "
          f"equity {EQUITY:g}, {n:,} synthetic bars (BAR_DTYPE, {bars.nbytes / 2**20:,.0f} MiB; "
          f"made in {t_bars:.2f} s)")
    print(f"   warm-up calls (JIT, excluded): driver {t_jit_drive:.2f} s, hand-written {t_jit_ref:.2f} s; "
          f"best of {repeat} timed runs each")
    print(f"   compiled step from an @njit driver: {t_comp:8.4f} s  {n / t_comp / 1e6:8.2f} M bars/s  "
          f"{t_comp / n * 1e9:7.2f} ns/bar  intents {total_comp:,} (seq counter {seq_comp:,})")
    print(f"   hand-written @njit reference:       {t_ref:8.4f} s  {n / t_ref / 1e6:8.2f} M bars/s  "
          f"{t_ref / n * 1e9:7.2f} ns/bar  intents {total_ref:,}")
    print(f"   hand-written, the strategy's whole: {t_rec:8.4f} s  {n / t_rec / 1e6:8.2f} M bars/s  "
          f"{t_rec / n * 1e9:7.2f} ns/bar  intents {total_rec:,}")
    print(f"   sanity: final EMAs compiled {ema_comp[0]:.10g} / {ema_comp[1]:.10g}, reference {ef:.10g} / {es:.10g};"
          " "
          f"last intent qty compiled {qty_comp:g}, reference {qty_ref:g}; records compiled "
          f"{rec_comp[0]:.6g} / {rec_comp[1]:g}, reference {rec_ref[0]:.6g} / {rec_ref[1]:g}")
    own = 3 + len(state)  # the driver increfs its array arguments once, outside its loop
    print(f"   driver's LLVM IR: {increfs} NRT_incref + {decrefs} NRT_decref call sites ({own} + {own} are the "
          f"driver's own, outside its loop; the rest are in the step and the handler it calls, run per bar); "
          f"{strategy_calls} call sites into the strategy's functions (0: all inlined)")
    for what, r in (("the crossover by hand", ratio), ("the whole strategy by hand (size and records every bar)",
                                                       t_rec / t_comp)):
        ok = "ok" if r >= RATIO_TARGET else "MISSED"
        print(f"   speed ratio compiled / {what}: {r:.3f}  (target >= {RATIO_TARGET})  {ok}")
    assert total_comp == total_ref == total_rec == seq_comp, (total_comp, total_ref, total_rec, seq_comp)
    assert ema_comp == (ef, es), (ema_comp, ef, es)
    assert qty_comp == qty_ref, (qty_comp, qty_ref)
    assert np.array_equal(rec_comp, rec_ref, equal_nan=True), (rec_comp, rec_ref)


# ==================================================================== main
def machine() -> str:
    import llvmlite
    import numba
    import numpy as np

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}); Python {platform.python_version()}, numba {numba.__version__}, "
            f"llvmlite {llvmlite.__version__}, numpy {np.__version__}; {platform.platform()}")


def _loadavg() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, rest = sys.argv[2], sys.argv[3:]
        result = child_compile(*rest) if kind == "compile" else child_load(*rest)
        print(json.dumps(result))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=None, help="bars for the throughput part (default 10,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each loop; the best counts")
    ap.add_argument("--quick", action="store_true", help="smoke run: ema_cross.nts only, 200,000 bars")
    args = ap.parse_args()
    n = args.bars if args.bars is not None else (200_000 if args.quick else 10_000_000)
    examples = sorted((REPO / "examples").glob("*.nts")) + sorted((REPO / "examples").glob("*.nts.yaml"))
    if args.quick:
        examples = [REPO / "examples" / "ema_cross.nts"]

    load_start = _loadavg()
    with tempfile.TemporaryDirectory(prefix="nts-bench-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"compiling {len(examples)} example(s), 3 fresh processes each ...", flush=True)
        ema_cache = bench_compile_and_load(examples, tmp)
        # The throughput part reuses ema_cross's Numba cache (its kernels are warm there), never the repository's.
        os.environ["NUMBA_CACHE_DIR"] = str(ema_cache)
        bench_throughput(n, args.repeat, tmp)
        print()
        print(f"machine: {machine()}")
        print(f"load average (1, 5, 15 min) at the start: {load_start}, at the end: {_loadavg()} "
              "(other work on the machine slows every figure)")


if __name__ == "__main__":
    main()
