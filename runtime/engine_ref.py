"""The engine passed by reference between its compiled functions.

The engine is a tuple of some twenty arrays (runtime/engine_state.py), and Numba passes a tuple by value, each
array as its seven or nine fields: a call that is not inlined copied some 170 words, about 40 ns, whatever the
function did. Matching, filling and logging one order took a dozen such calls (bench/backtest.py: 0.8 us an order,
most of an EMA-cross run). So the engine's functions pass its address instead (`ep`, one word): an entry point
takes `ep = by_ref(eng)` once, and a function reads the arrays it uses with `eng = load(ep)`, which compiles to
loads of just those fields.

`ep` points into the entry point's stack frame: it is valid while that call runs, and is never stored. What `load`
returns is borrowed, not owned: its arrays carry no memory-info pointer, so Numba's reference counting (which
decrements every variable it owns when the variable dies) leaves the entry point's references alone. An array
loaded this way must not outlive the call (returned, or stored in a structure that does). Functions
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


def _borrowed(context, builder, ty, value):
    """`value` with every array's memory-info pointer set to null: NRT's incref and decref skip a null one."""
    if isinstance(ty, types.Array):
        ary = context.make_array(ty)(context, builder, value=value)
        ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
        ary.parent = cgutils.get_null_value(ary.parent.type)
        return ary._getvalue()
    if isinstance(ty, types.BaseTuple):
        for i, item in enumerate(ty):
            value = builder.insert_value(value, _borrowed(context, builder, item, builder.extract_value(value, i)), i)
        return value
    if context.data_model_manager[ty].has_nrt_meminfo():
        raise TypeError(f"engine_ref.load cannot borrow a {ty}")
    return value


@intrinsic
def _load(typingctx, ptr):
    def codegen(context, builder, sig, args):
        value = context.data_model_manager[sig.return_type].from_data(builder, builder.load(args[0]))
        return _borrowed(context, builder, sig.return_type, value)

    return ptr.dtype(ptr), codegen


if config.DISABLE_JIT:
    def by_ref(eng):
        return eng

    def load(ep):
        return ep
else:
    by_ref = _by_ref
    load = _load
