"""The JIT decorator of the per-event path: generated strategy code, `runtime.ops` and the stdlib kernels.

This code allocates nothing, so it is compiled without Numba's reference counting (`_nrt=False`, a Numba option that
has no public name). With it, every array argument and array local costs an atomic increment and decrement per call:
measured by bench/backend.py, that was 6x the work of a whole EMA-cross step. A function that would need reference
counting (one that allocates an array) fails to compile, so the tests catch any that slips in.

Called from compiled code, a plain Numba function is compiled once per set of argument types, and a constant
argument has a type of its own (`Literal[int](4)`): `ops.div(a, b, counters, 4)` and `ops.div(a, b, counters, 5)`
were two compilations, and a strategy paid one per call site of every op and kernel, offsets and warning sites
being constants. `hot` functions are typed with plain types (int64), so one compilation serves every call site and,
through the on-disk cache, every strategy.
"""

import numba as nb
from numba.core import types
from numba.core.registry import CPUDispatcher


class _HotDispatcher(CPUDispatcher):
    def get_call_template(self, args, kws):
        return super().get_call_template(tuple(types.unliteral(a) for a in args),
                                         {k: types.unliteral(v) for k, v in kws.items()})


class _BoundaryDispatcher(_HotDispatcher):
    """Callers reference the compiled function by its symbol instead of linking in a copy of its code.

    Numba links a callee's LLVM code into every caller and optimizes it again there: every strategy's backtest
    driver re-optimized the whole engine (10 s per strategy). The engine's entry points are compiled once per
    install; a caller's machine code calls them where the process loaded them, so they must be loaded
    (`dispatcher.compile(signature)`) before a cached caller is. A compilation names the function anew, so only
    callers cached under a key holding that name (the generated drivers, runtime/driver.py) may call it."""

    def add_overload(self, cres):
        super().add_overload(cres)
        for _, impl in self.targetctx._defns[cres.entry_point].versions:
            impl.libs = ()


def hot(fn=None, boundary=False, **options):
    """`@hot` or `@hot(inline="always")`: `numba.njit(cache=True)` without reference counting, typed without
    literal types. `boundary=True`: called by symbol, not linked into callers (see _BoundaryDispatcher)."""
    njit = nb.njit(cache=True, _nrt=False, **options)

    def decorate(f):
        dispatcher = njit(f)
        if isinstance(dispatcher, CPUDispatcher):  # not with NUMBA_DISABLE_JIT, where it is `f` itself
            dispatcher.__class__ = _BoundaryDispatcher if boundary else _HotDispatcher
        return dispatcher

    return decorate(fn) if fn is not None else decorate
