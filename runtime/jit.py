"""The JIT decorator of the per-event path: generated strategy code, `runtime.ops` and the stdlib kernels.

This code allocates nothing, so it is compiled without Numba's reference counting (`_nrt=False`, a Numba option that
has no public name). With it, every array argument and array local costs an atomic increment and decrement per call:
measured by bench/backend.py, that was 6x the work of a whole EMA-cross step. A function that would need reference
counting (one that allocates an array) fails to compile, so the tests catch any that slips in.
"""

import numba as nb


def hot(fn=None, **options):
    """`@hot` or `@hot(inline="always")`: `numba.njit(cache=True)` without reference counting."""
    decorator = nb.njit(cache=True, _nrt=False, **options)
    return decorator(fn) if fn is not None else decorator
