"""The stdlib kernels against TA-Lib, on real daily bars (SPY, 1998-2021, Lean data shipped in examples/data).

Each kernel runs one update per bar over its own state block, exactly as compiled strategy code calls it; after
warm-up it must equal TA-Lib to 1e-9 relative, and it must be na during the same warm-up.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import talib

from nts.stdlib.kernels import moving_average as ma
from nts.stdlib.kernels import volatility as vol

ROOT = Path(__file__).resolve().parent.parent


def load_daily(symbol: str):
    with zipfile.ZipFile(ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / f"{symbol}.zip") as z:
        raw = z.read(z.namelist()[0]).decode()
    rows = np.loadtxt(io.StringIO(raw), delimiter=",", usecols=(1, 2, 3, 4, 5))
    o, h, l, c = (rows[:, i] / 10_000.0 for i in range(4))
    return o, h, l, c, rows[:, 4]


O, H, L, C, V = load_daily("spy")


def run(size, reset, update, inputs, *static, outputs=1, sized_by=None):
    """Feed the kernel one bar at a time from Python, through a fresh state block at a non-zero offset.
    `sized_by`: how many of the leading static arguments size the block (default: all)."""
    offset = 3  # a block never starts at 0 in a real layout: catch kernels that ignore `o`
    block = static[:sized_by]
    st = np.full(offset + size(*block) + 2, -777.0)
    reset(st, offset, *block)
    out = np.full((len(inputs[0]), outputs), np.nan)
    for i in range(len(inputs[0])):
        value = update(st, offset, *(x[i] for x in inputs), *static)
        out[i] = value
    assert st[:offset].tolist() == [-777.0] * offset and st[-2:].tolist() == [-777.0] * 2, "wrote outside its block"
    return out[:, 0] if outputs == 1 else out


def assert_matches(ours, reference):
    ours, reference = np.asarray(ours), np.asarray(reference)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference), err_msg="warm-up (na) differs")
    ok = ~np.isnan(reference)
    np.testing.assert_allclose(ours[ok], reference[ok], rtol=1e-9, atol=1e-9)


AVERAGES = [("sma", talib.SMA), ("ema", talib.EMA), ("wma", talib.WMA), ("dema", talib.DEMA), ("tema", talib.TEMA)]


# TA-Lib refuses length 1 for DEMA and TEMA, so they start at 2.
@pytest.mark.parametrize("name, reference, length", [(n, f, length) for n, f in AVERAGES
                                                     for length in (1, 2, 14, 50, 200)
                                                     if length > 1 or n not in ("dema", "tema")])
def test_moving_averages(name, reference, length):
    kernel = [getattr(ma, f"{name}_{part}") for part in ("size", "reset", "update")]
    assert_matches(run(*kernel, [C], length), reference(C, timeperiod=length))


@pytest.mark.parametrize("length", [2, 14, 30])
def test_rma_is_wilders_average(length):
    # TA-Lib has no RMA of its own; its ATR is the RMA of TRANGE, seeded the same way.
    tr = talib.TRANGE(H, L, C)
    ours = run(ma.rma_size, ma.rma_reset, ma.rma_update, [tr[1:]], length)
    assert_matches(ours, talib.ATR(H, L, C, timeperiod=length)[1:])


@pytest.mark.parametrize("length", [1, 14, 30])
def test_atr_natr_true_range(length):
    assert_matches(run(vol.true_range_size, vol.true_range_reset, vol.true_range_update, [H, L, C]),
                   talib.TRANGE(H, L, C))
    assert_matches(run(vol.atr_size, vol.atr_reset, vol.atr_update, [H, L, C], length),
                   talib.ATR(H, L, C, timeperiod=length))
    natr = run(vol.natr_size, vol.natr_reset, vol.natr_update, [H, L, C], length)
    if length == 1:
        # TA-Lib's NATR with period 1 returns the raw true range, un-normalised (a quirk of its source); the
        # definition is 100 * atr / close.
        assert_matches(natr, 100 * talib.TRANGE(H, L, C) / C)
    else:
        assert_matches(natr, talib.NATR(H, L, C, timeperiod=length))


@pytest.mark.parametrize("length", [2, 20, 100])
def test_variance_stddev_bbands(length):
    assert_matches(run(vol.variance_size, vol.variance_reset, vol.variance_update, [C], length),
                   talib.VAR(C, timeperiod=length))
    assert_matches(run(vol.stddev_size, vol.stddev_reset, vol.stddev_update, [C], length),
                   talib.STDDEV(C, timeperiod=length))
    upper, middle, lower = talib.BBANDS(C, timeperiod=length, nbdevup=2.0, nbdevdn=2.0)
    ours = run(vol.bbands_size, vol.bbands_reset, vol.bbands_update, [C], length, 2.0, outputs=3, sized_by=1)
    for k, ref in enumerate((upper, middle, lower)):
        assert_matches(ours[:, k], ref)


@pytest.mark.parametrize("length", [1, 2, 14, 50])
def test_oscillators(length):
    from nts.stdlib.kernels import oscillator as osc
    if length > 1:  # TA-Lib refuses an RSI of length 1
        assert_matches(run(osc.rsi_size, osc.rsi_reset, osc.rsi_update, [C], length),
                       talib.RSI(C, timeperiod=length))
    assert_matches(run(osc.mom_size, osc.mom_reset, osc.mom_update, [C], length), talib.MOM(C, timeperiod=length))
    assert_matches(run(osc.roc_size, osc.roc_reset, osc.roc_update, [C], length), talib.ROC(C, timeperiod=length))
