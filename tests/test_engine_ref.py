"""The engine passed by reference (runtime/engine_ref.py): a function that loads it borrows the arrays and must
leave their reference counts alone, however often it is called (a missing increment freed the engine's arrays
under a live run, which calls the engine thousands of times with the same tuple)."""

import numpy as np
import pytest
from numba import njit

from nts.runtime.engine_ref import by_ref, load


@njit(inline="never")
def _first(ep):
    eng = load(ep)
    return eng[0][0] + eng[1][1].shape[0]


@njit(inline="never")
def _write(ep, i):
    eng = load(ep)
    eng[0][i] = i


@njit
def _entry(n):
    a = np.zeros(8)
    b = np.ones(3)
    eng = (a, (b, np.empty(5)))
    ep = by_ref(eng)
    s = 0.0
    for i in range(n):
        s += _first(ep)
        _write(ep, i % 8)
    return a, b, s


@pytest.mark.parametrize("calls", [0, 1, 7, 1000])
def test_loading_the_engine_leaves_its_reference_counts_alone(calls):
    a, b, s = _entry(calls)
    assert a.base.refcount == 1 and b.base.refcount == 1
    assert s == calls * 5.0
    assert list(a) == [float(i) if i < calls else 0.0 for i in range(8)]


def test_arrays_passed_in_from_python_keep_their_owner():
    arrays = (np.arange(4.0), (np.ones(2), np.zeros(5)))

    @njit
    def entry(eng):
        ep = by_ref(eng)
        s = 0.0
        for _ in range(100):
            s += _first(ep)
        return s

    assert entry(arrays) == 100 * 5.0
    assert arrays[0].tolist() == [0.0, 1.0, 2.0, 3.0]
