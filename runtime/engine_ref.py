"""The engine passed by reference between its compiled functions.

The engine is a tuple of some twenty arrays (runtime/engine_state.py), and Numba passes a tuple by value, each
array as its seven or nine fields: a call that is not inlined copied some 170 words, about 40 ns, whatever the
function did. Matching, filling and logging one order took a dozen such calls (bench/backtest.py: 0.8 us an order,
most of an EMA-cross run). So the engine's functions pass its address instead (`ep`, one word): an entry point
takes `ep = by_ref(eng)` once, and a function reads the arrays it uses with `eng = load(ep)`, which compiles to
loads of just those fields.

`ep` points into the entry point's stack frame: it is valid while that call runs, and is never stored. Functions
inlined into the backtest driver (runtime/loop.py's per-event helpers) keep taking `eng` itself, which costs nothing
there. Without the JIT (NUMBA_DISABLE_JIT=1) the reference is the tuple itself.
"""

from numba import config
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def _by_ref(typingctx, tup):
    def codegen(context, builder, sig, args):
        model = context.data_model_manager[sig.args[0]]
        slot = cgutils.alloca_once(builder, model.get_data_type())
        builder.store(model.as_data(builder, args[0]), slot)
        return slot

    return types.CPointer(tup)(tup), codegen


@intrinsic
def _load(typingctx, ptr):
    def codegen(context, builder, sig, args):
        return context.data_model_manager[sig.return_type].from_data(builder, builder.load(args[0]))

    return ptr.dtype(ptr), codegen


if config.DISABLE_JIT:
    def by_ref(eng):
        return eng

    def load(ep):
        return ep
else:
    by_ref = _by_ref
    load = _load
