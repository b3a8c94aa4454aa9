"""Validation's one pass over an event array (adapters/files.validate): the first row that breaks each rule.

The rules read columns of a structured array, each a strided view: numpy ran one pass (and a temporary) per rule and
column, reading the whole array each time (44 ms for a million bars, more than the run). Here one compiled pass
reads each row once.
"""

from __future__ import annotations

import numpy as np

from ..runtime.jit import hot

# first[...]: the checks, in the order validate raises them
BACK = 0       # a time before the previous row's
REPEAT = 1     # a time equal to the previous row's
# then, per column c of `cols` (prices first, then sizes): NONFINITE + c; per price column p: NONFINITE + n + p
# (not above zero); per size column s: NONFINITE + n + n_prices + s (below zero); then the row checks
NONFINITE = 2


@hot
def _scan(ts, cols, n_prices, ohlc, crossed, first):
    n_cols = len(cols)
    row_check = NONFINITE + 2 * n_cols
    for i in range(ts.shape[0]):
        if i > 0:
            if first[BACK] < 0 and ts[i] < ts[i - 1]:
                first[BACK] = i
            if first[REPEAT] < 0 and ts[i] == ts[i - 1]:
                first[REPEAT] = i
        v0 = v1 = v2 = v3 = 0.0  # the row's first columns: open, high, low, close of a bar; bid, ask of a quote
        for c in range(n_cols):
            x = cols[c][i]
            if c == 0:
                v0 = x
            elif c == 1:
                v1 = x
            elif c == 2:
                v2 = x
            elif c == 3:
                v3 = x
            if first[NONFINITE + c] < 0 and not np.isfinite(x):
                first[NONFINITE + c] = i
            at = NONFINITE + n_cols + c
            if first[at] < 0 and (x <= 0.0 if c < n_prices else x < 0.0):
                first[at] = i
        if first[row_check] < 0:
            if ohlc and (v1 < v2 or v1 < v0 or v1 < v3 or v2 > v0 or v2 > v3):
                first[row_check] = i
            elif crossed and v0 > v1:
                first[row_check] = i
    return 0


def first_bad_rows(ts: np.ndarray, columns: list[np.ndarray], n_prices: int, ohlc: bool = False,
                   crossed: bool = False) -> np.ndarray:
    """For each check (BACK, REPEAT, then per column as above, then the row check: bars' open/high/low/close when
    `ohlc`, a quote's bid above its ask when `crossed`), the first row that fails it, or -1."""
    cols = tuple(np.asarray(c, np.float64) for c in columns) or (np.zeros(len(ts)),)  # one that breaks no rule
    first = np.full(NONFINITE + 2 * len(cols) + 1, -1, np.int64)
    _scan(ts, cols, n_prices, ohlc, crossed, first)
    return first
