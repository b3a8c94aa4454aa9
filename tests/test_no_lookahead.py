"""No-lookahead proof for every example strategy, on its real data.

(a) Feeding events one by one (each call sees an array holding only its own event, as a live feed would) over the
    first N events gives exactly the intents, records and logs of the first N steps of a backtest-style run over the
    whole history (each call sees the whole array and its index), and ends in exactly the same state.
(b) Perturbing a future event (its close, high and low scaled), or that event and every later one, never changes an
    intent, record, log or state value before it; and the perturbations do change something from that event on in
    some trials, so the check has teeth.

Each example is compiled once per worker process and reused across runs. Every run is repeated flat and with an
open long position, so that the exit branches (which read `position(...)`) run too.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import example_data as ed
import nts

CONTEXTS = ("flat", "long")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """name -> the compiled example, compiled on first use."""
    cache = {}

    def get(name: str):
        if name not in cache:
            example = ed.EXAMPLE_SPECS[name]
            cache[name] = nts.compile(example.path, tmp_path_factory.mktemp("no_lookahead") / name)
        return cache[name]

    return get


def _rng(name: str, salt: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{name}/{salt}".encode()))


def _offset(strategy) -> int:
    """Steps observed before the first market event (`on start`)."""
    return int("on:start" in strategy.manifest.entry_points)


def _intent_count(obs: ed.Observation) -> int:
    return sum(len(s.intents) for s in obs.steps)


@pytest.mark.parametrize("name", list(ed.EXAMPLE_SPECS))
def test_feeding_events_one_by_one_matches_the_full_history(compiled, name):
    """For several cut points N (first events, random ones, the last), a fresh run fed the first N events one at a
    time observes exactly what the full-history run observed in its first N steps, and ends in the same state."""
    strategy, example = compiled(name), ed.EXAMPLE_SPECS[name]
    events = ed.merge(strategy, example.streams(example.sources()))
    n = len(events)
    rng = _rng(name, "cuts")
    cuts = sorted({1, 2, 30, n - 1, n} | set(int(c) for c in rng.integers(3, n - 1, 3)))
    offset = _offset(strategy)
    for ctx_name in CONTEXTS:
        ctx = ed.contexts(strategy)[ctx_name]
        full = ed.replay(strategy, events, ctx=ctx, snapshots_after=cuts)
        assert _intent_count(full) > 0 or ctx_name != "flat", f"{name} never trades flat: this proves little"
        for cut in cuts:
            part = ed.replay(strategy, events[:cut], ctx=ctx, one_by_one=True, stop=False)
            found = ed.first_step_difference(part.steps, full.steps[:offset + cut])
            assert found is None, f"{name} ({ctx_name}), first {cut} events fed one by one: step {found}"
            why = ed.state_difference(part.final_state, full.snapshots[cut])
            assert why is None, f"{name} ({ctx_name}), state after the first {cut} events: {why}"


def _perturbed_sources(sources: dict[str, np.ndarray], entry: str, j: int, later_too: bool,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {e: bars.copy() for e, bars in sources.items()}
    for k in range(j, len(out[entry]) if later_too else j + 1):
        factor = 1.0 + rng.choice([-1.0, 1.0]) * rng.uniform(0.01, 0.2)
        ed.perturb(out[entry], k, factor)
    return out


@pytest.mark.parametrize("name", list(ed.EXAMPLE_SPECS))
def test_perturbing_the_future_never_changes_the_past(compiled, name):
    """For positions p near the start, at random and near the end of the merged event sequence, scaling event p's
    prices (alone, or with every later event of its stream) leaves every step before p, and the state after the
    first p events, exactly as in the unperturbed run. The perturbed event stays in the arrays the handlers are
    given, so reading ahead of the current index would show here. Derived streams (hourly bars) are rebuilt from
    the perturbed data."""
    strategy, example = compiled(name), ed.EXAMPLE_SPECS[name]
    sources = example.sources()
    events = ed.merge(strategy, example.streams(sources))
    perturbable = [p for p, (entry, _, _) in enumerate(events) if entry in sources]
    rng = _rng(name, "positions")
    positions = sorted({perturbable[0], perturbable[1], perturbable[10], perturbable[-2], perturbable[-1]}
                       | set(int(p) for p in rng.choice(perturbable, 3, replace=False)))
    offset = _offset(strategy)
    changed_after = changed_intents = trials = 0
    for ctx_name in CONTEXTS:
        ctx = ed.contexts(strategy)[ctx_name]
        base = ed.replay(strategy, events, ctx=ctx, snapshots_after=positions + [p + 1 for p in positions])
        for p in positions:
            entry, _, j = events[p]
            for later_too in (False, True):
                changed = _perturbed_sources(sources, entry, j, later_too, _rng(name, f"{ctx_name}/{p}/{later_too}"))
                changed_events = ed.merge(strategy, example.streams(changed))
                assert [(e, j2) for e, _, j2 in changed_events] == [(e, j2) for e, _, j2 in events]
                run = ed.replay(strategy, changed_events, ctx=ctx, snapshots_after=[p, p + 1])
                what = f"{name} ({ctx_name}), {entry} #{j} (event {p}) perturbed{' with all later ones' * later_too}"
                found = ed.first_step_difference(run.steps[:offset + p], base.steps[:offset + p])
                assert found is None, f"{what}: an earlier step changed: {found}"
                why = ed.state_difference(run.snapshots[p], base.snapshots[p])
                assert why is None, f"{what}: the state before it changed: {why}"
                trials += 1
                later = ed.first_step_difference(run.steps[offset + p:], base.steps[offset + p:])
                changed_after += (later is not None
                                  or ed.state_difference(run.snapshots[p + 1], base.snapshots[p + 1]) is not None)
                changed_intents += any(ed.array_difference(a.intents, b.intents)
                                       for a, b in zip(run.steps[offset + p:], base.steps[offset + p:]))
    # The perturbations are seen from the perturbed event on (in the state it leaves, or in a later step): the
    # check above could have failed.
    assert changed_after >= trials // 2, f"{name}: only {changed_after} of {trials} perturbations changed anything"
    assert changed_intents > 0, f"{name}: no perturbation changed an intent"
