"""Incremental stdlib kernels: O(1) per update, over an explicit state block.

Convention, shared with the code generator (issue 4): the strategy's indicator state is one float64 array `st`.
Each stateful call site owns the slots `st[o : o + <name>_size(static args)]`. Its kernel is
`<name>_update(st, o, inputs..., static args...)`; it advances the state by one update and returns the current
value (na, as NaN, during warm-up). `<name>_reset(st, o, ...)` puts a fresh block in place (NaN where a value is not
known yet, 0 for counters). No kernel allocates.

The kernels live here, apart from the signatures in `nts.stdlib.<family>`, so that checking a strategy never
imports Numba.
"""
