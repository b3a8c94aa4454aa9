"""The clean-ups of compiler/optimize.py change no result.

- On hand-made IR: a read after a store reads the kept local, unless something in between may have written the
  slot (a branch, a loop, a call handed the array, a handler handed the whole state).
- On random programs (test_differential's generator) and on every example with its data: compiled with and
  without store forwarding, runs observe exactly the same intents, records, logs and warnings, and end in the same
  state (but for the `calls` and `data` slots whose stores forwarding made unnecessary).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import example_data as ed
import nts
from harness import bars, compile_text, run
from nts.compiler import ir
from nts.compiler import lower as lowering
from nts.compiler.optimize import drop_unread_stores, forward_stores
from test_differential import runs, synthetic_bars

F = "f"


def slot(array: str, index: int) -> ir.Load:
    return ir.Load(array, ir.Lit(index, "i"), F)


def step(*body) -> ir.Function:
    return ir.Function(name="step_x", kind="step", params=["ev", "i", "state", "ctx", "out"], locals={},
                       body=list(body))


def optimize(fn: ir.Function) -> None:
    forward_stores(fn)
    drop_unread_stores([fn])


def reads(fn: ir.Function) -> list[str]:
    """What each `records[k] = ...` store reads, as text."""
    return [ir.show_expr(st.value) for st in fn.body if isinstance(st, ir.Assign) and isinstance(st.target, ir.Load)
            and st.target.array == "records"]


def test_a_read_after_a_store_reads_the_kept_value():
    fn = step(ir.Assign(slot("series", 0), ir.EventField("close", F)),
              ir.Assign(slot("records", 0), ir.Op("+", [slot("series", 0), ir.Lit(1.0, F)], F)))
    optimize(fn)
    assert reads(fn) == ["(kept_series_0 + 1.0)"]
    assert fn.body[1] == ir.Assign(slot("series", 0), ir.Local("kept_series_0", F))  # the store stays


@pytest.mark.parametrize("writer", [
    ir.If(ir.Lit(True, "b"), [ir.Assign(slot("series", 0), ir.Lit(2.0, F))]),
    ir.Loop("j", ir.Lit(0, "i"), ir.Lit(3, "i"), [ir.Assign(slot("series", 0), ir.Lit(2.0, F))]),
    ir.Do(ir.Call("ops.ring_push", [ir.Local("series", "a"), ir.Lit(0, "i")], F)),
    ir.Do(ir.Call("on_bar_x", [ir.Local("state", "a")], F)),
    ir.Assign(ir.Load("series", ir.Local("j", "i"), F), ir.Lit(2.0, F)),
], ids=["branch", "loop", "call given the array", "call given the state", "store at a computed index"])
def test_a_read_after_something_that_may_write_the_slot_goes_to_memory(writer):
    fn = step(ir.Assign(slot("series", 0), ir.EventField("close", F)), writer,
              ir.Assign(slot("records", 0), slot("series", 0)))
    optimize(fn)
    assert reads(fn)[-1] == "series[0]"


def test_indicator_updates_keep_their_value_and_unread_stores_go():
    update = ir.If(ir.Op("==", [slot("data", 3), slot("data", 3)], "b"),
                   [ir.Assign(slot("calls", 0), ir.Call("ema_update", [ir.Local("ind", "a"), slot("data", 3)], F))],
                   [ir.Assign(slot("calls", 0), ir.Lit(float("nan"), F))])
    fn = step(ir.Assign(slot("data", 3), ir.EventField("close", F), copy=True),
              ir.Assign(slot("data", 1), ir.EventField("open", F), copy=True),
              update,
              ir.Assign(slot("records", 0), slot("calls", 0)))
    optimize(fn)
    text = "\n".join(ir.show_expr(st.value) if isinstance(st, ir.Assign) else type(st).__name__ for st in fn.body)
    assert "calls[0]" not in text and "data[3]" not in text, text  # read from locals only
    assert not any(isinstance(st, ir.Assign) and isinstance(st.target, ir.Load) and st.target.array in ("calls", "data")
                   for st in fn.body), "stores nothing reads were kept"
    assert reads(fn) == ["kept_calls_0"]
    assert "kept_data_1" not in fn.locals  # the open is neither stored nor kept


def test_writes_in_branches_and_loops_are_seen_by_later_reads(tmp_path):
    s = compile_text("""strategy T
instrument btc = "BTCUSD.COINBASE"
data btc bars 1m
var v: float = 0
var n: int = 0
on bar btc:
    v = btc.close
    if btc.close > 2:
        v = -1
    record after_branch = v
    n = 0
    for j in 1..3:
        n += j
    record after_loop = n
    v = v * 10
    record twice = v
""", tmp_path)
    r = run(s, {"step:btc.bars": bars([1, 2, 3])})
    assert r.series("after_branch") == [1, 2, -1]
    assert r.series("after_loop") == [6, 6, 6]
    assert r.series("twice") == [10, 20, -10]


# ---------------------------------------------------------------- whole programs, with and without forwarding
def _compile(path, directory, forward: bool):
    if forward:
        return nts.compile(path, directory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lowering, "forward_stores", lambda fn: None)
        return nts.compile(path, directory)


def _difference(a: ed.Observation, b: ed.Observation) -> str | None:
    found = ed.first_step_difference(a.steps, b.steps)
    if found:
        return f"step {found[0]}: {found[1]}"
    kept = {name: value for name, value in a.final_state.items() if name not in ("calls", "data", "data_i64")}
    why = ed.state_difference(kept, b.final_state)
    if why:
        return why
    return None if a.warnings == b.warnings else f"warnings: {a.warnings} != {b.warnings}"


def _compare(path, workdir, streams, params, contexts_of) -> list[str]:
    fast, plain = _compile(path, workdir / "forwarded", True), _compile(path, workdir / "plain", False)
    assert "kept_" in (fast.directory / "strategy.py").read_text()
    assert "kept_" not in (plain.directory / "strategy.py").read_text()
    out = []
    for ctx_fast, ctx_plain in zip(contexts_of(fast), contexts_of(plain)):
        a = ed.replay(fast, ed.merge(fast, streams), params=params, ctx=ctx_fast)
        b = ed.replay(plain, ed.merge(plain, streams), params=params, ctx=ctx_plain)
        if why := _difference(a, b):
            out.append(why)
    return out


@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                 HealthCheck.filter_too_much])
@given(run=runs(), n=st.integers(0, 10**9))
def test_random_programs_give_the_same_results_with_and_without_forwarding(run, n, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("forwarding")
    source = workdir / f"gen{n}.nts"
    source.write_text(run["text"])

    def contexts(strategy):
        out = []
        for pos in run["positions"]:
            ctx = strategy.context(equity=100_000.0, cash=90_000.0)
            ctx[2] = pos
            out.append(ctx)
        return out

    streams = {"step:btc.bars": synthetic_bars(run["seed"], gaps=run["gaps"])}
    diffs = _compare(source, workdir, streams, run["params"], contexts)
    assert not diffs, "\n".join(diffs) + "\n--- program ---\n" + run["text"]


@pytest.mark.parametrize("name", list(ed.EXAMPLE_SPECS))
def test_examples_give_the_same_results_with_and_without_forwarding(name, tmp_path):
    example = ed.EXAMPLE_SPECS[name]
    diffs = _compare(example.path, tmp_path, example.streams(example.sources()), None,
                     lambda strategy: list(ed.contexts(strategy).values()))
    assert not diffs, "\n".join(diffs)
