"""Two clean-ups of the lowered program that make the per-event code cheaper without changing what it computes.

- `forward_stores`: a value a function stores into a state slot is also kept in a local, and later reads of that
  slot in the same function read the local. Numba cannot tell the state arrays apart (any store may change any of
  them), so without this every read after a store goes back to memory: the EMA a step just computed is loaded again
  by the series that copies it, by the crossover that compares it, and so on. The store itself always stays, so the
  state arrays hold what they held before; only reads change.
- `drop_unread_stores`: a step stores only what something reads from memory: the event fields nothing reads (a
  bar's open, high, low and volume when the strategy reads the close) and the values of indicator calls read only
  through their locals.
"""

from __future__ import annotations

from . import ir
from .manifest import STATE_ARRAYS

# The arrays whose slots are forwarded: the ones a step or handler writes whole values into.
FORWARDED = ("data", "data_i64", "series", "series_i64", "calls", "vars", "vars_i64", "records")
KEPT = "kept_"  # the locals' prefix: lowering's own locals are `name_` and `c<n>_<m>`


def forward_stores(fn: ir.Function) -> None:
    """Rewrites `fn` so that reads of a slot it stored at its top level read the stored value's local."""
    known: dict[tuple[str, int], ir.Local] = {}
    body = []
    for st in fn.body:
        body += _forward(st, known, fn)
    fn.body = body


def _slot(target) -> tuple[str, int] | None:
    if isinstance(target, ir.Load) and target.array in FORWARDED and isinstance(target.index, ir.Lit):
        return target.array, target.index.value
    return None


def _keep(fn: ir.Function, target: ir.Load) -> ir.Local:
    name = f"{KEPT}{target.array}_{target.index.value}"
    fn.locals[name] = target.kind
    return ir.Local(name, target.kind)


def _forward(st, known: dict, fn: ir.Function) -> list:
    slot = _slot(st.target) if isinstance(st, ir.Assign) else None
    # Reads of a slot the statement may write (in a branch, a loop, through a call given the array) go to memory;
    # a store's own slot is read before it is written.
    _forget(known, _written(st.value) if slot is not None else _written_by(st))
    if slot is not None:
        local = _keep(fn, st.target)
        out = [ir.Assign(local, _subst(st.value, known), st.loc, st.copy),
               ir.Assign(st.target, local, st.loc, st.copy)]
        known[slot] = local
        return out
    stores = _branch_stores(st)
    if stores is not None:
        # An indicator update: `if inputs are not na: slot = update(...) else: slot = na`, both branches ending in
        # stores to the same slots. The branches set the locals; the stores follow the `if`.
        locals_ = [_keep(fn, t) for t in stores]
        n = len(stores)

        def to_locals(branch):
            head = [_subst_stmt(s, known) for s in branch[:len(branch) - n]]
            return head + [ir.Assign(local, _subst(s.value, known), s.loc)
                           for local, s in zip(locals_, branch[len(branch) - n:])]

        out = [ir.If(_subst(st.cond, known), to_locals(st.then), to_locals(st.orelse), st.loc)]
        for target, local in zip(stores, locals_):
            out.append(ir.Assign(target, local, st.loc))
            known[_slot(target)] = local
        return out
    return [_subst_stmt(st, known)]


def _forget(known: dict, written: set) -> None:
    if ("*", None) in written:
        known.clear()
        return
    for key in list(known):
        if key in written or (key[0], None) in written:
            del known[key]


def _branch_stores(st) -> list | None:
    """The targets when `st` is an `if` whose `else` only stores into forwarded slots and whose `then` ends with
    stores into the same slots, in the same order."""
    if not isinstance(st, ir.If) or not st.orelse:
        return None
    tail = st.then[len(st.then) - len(st.orelse):]
    if len(st.then) < len(st.orelse) or not all(isinstance(s, ir.Assign) and _slot(s.target) is not None
                                                 for s in st.orelse + tail):
        return None
    targets = [s.target for s in st.orelse]
    if [_slot(s.target) for s in tail] != [_slot(t) for t in targets] or len(set(map(_slot, targets))) < len(targets):
        return None
    return targets


# ---------------------------------------------------------------- what a statement writes, what it reads
def _written(e) -> set[tuple]:
    """The slots an expression may write, as (array, index), (array, None) for any of its slots, ("*", None) for
    any slot at all: a call may write the arrays handed to it (`ops.ring_push(series, ...)`, a kernel's `ind`), and
    all of them when it is handed the whole state (a handler)."""
    found: set[tuple] = set()
    if isinstance(e, ir.Call):
        for a in e.args:
            if isinstance(a, ir.Local) and a.name == "state":
                found.add(("*", None))
            elif isinstance(a, ir.Local) and a.name in STATE_ARRAYS:
                found.add((a.name, None))
            else:
                found |= _written(a)
    elif isinstance(e, ir.Op):
        for a in e.args:
            found |= _written(a)
    elif isinstance(e, ir.Load):
        found |= _written(e.index)
    return found


def _written_by(st) -> set[tuple]:
    found: set[tuple] = set()
    for e in _exprs(st):
        found |= _written(e)
    targets = [st.target] if isinstance(st, ir.Assign) else st.targets if isinstance(st, ir.Unpack) else []
    for t in targets:
        if isinstance(t, ir.Load):
            found.add(_slot(t) or (t.array, None))
    for block in _blocks(st):
        for inner in block:
            found |= _written_by(inner)
    return found


def _exprs(st) -> list:
    if isinstance(st, ir.Assign):
        return [st.value] + ([st.target.index] if isinstance(st.target, ir.Load) else [])
    if isinstance(st, (ir.Unpack, ir.Do)):
        return [st.value]
    if isinstance(st, ir.If):
        return [st.cond]
    if isinstance(st, ir.Loop):
        return [st.lo, st.hi]
    if isinstance(st, ir.Jump):
        return [st.value] if st.value is not None else []
    if isinstance(st, ir.Emit):
        return list(st.fields.values())
    if isinstance(st, ir.LogMsg):
        return list(st.values)
    return []


def _blocks(st) -> list:
    if isinstance(st, ir.If):
        return [st.then, st.orelse]
    if isinstance(st, ir.Loop):
        return [st.body]
    return []


def _subst(e, known: dict):
    if not known:
        return e
    if isinstance(e, ir.Load):
        slot = _slot(e)
        if slot in known:
            return known[slot]
        return ir.Load(e.array, _subst(e.index, known), e.kind)
    if isinstance(e, ir.Op):
        return ir.Op(e.op, [_subst(a, known) for a in e.args], e.kind)
    if isinstance(e, ir.Call):
        return ir.Call(e.func, [_subst(a, known) for a in e.args], e.kind)
    if isinstance(e, ir.EventField) and e.sub is not None:
        return ir.EventField(e.name, e.kind, _subst(e.sub, known))
    return e


def _subst_stmt(st, known: dict):
    if not known:
        return st
    if isinstance(st, ir.Assign):
        target = st.target
        if isinstance(target, ir.Load):
            target = ir.Load(target.array, _subst(target.index, known), target.kind)
        return ir.Assign(target, _subst(st.value, known), st.loc, st.copy)
    if isinstance(st, ir.Unpack):
        return ir.Unpack(st.targets, _subst(st.value, known), st.loc)
    if isinstance(st, ir.Do):
        return ir.Do(_subst(st.value, known), st.loc)
    if isinstance(st, ir.If):
        return ir.If(_subst(st.cond, known), [_subst_stmt(s, known) for s in st.then],
                     [_subst_stmt(s, known) for s in st.orelse], st.loc)
    if isinstance(st, ir.Loop):
        return ir.Loop(st.var, _subst(st.lo, known), _subst(st.hi, known), [_subst_stmt(s, known) for s in st.body],
                       st.loc)
    if isinstance(st, ir.Jump):
        return ir.Jump(st.what, _subst(st.value, known) if st.value is not None else None, st.loc)
    if isinstance(st, ir.Emit):
        return ir.Emit({k: _subst(v, known) for k, v in st.fields.items()}, st.loc)
    if isinstance(st, ir.LogMsg):
        return ir.LogMsg(st.template, [_subst(v, known) for v in st.values], st.loc, st.site)
    return st


# ---------------------------------------------------------------- unread stores
def drop_unread_stores(functions: list[ir.Function]) -> None:
    """Drops a step's stores of event fields (`copy`) and of indicator values (`calls`) that no function reads from
    memory, then tidies the kept locals: unread ones go, and one read only by the store right after it folds back
    into that store."""
    reads: set[tuple[str, int]] = set()
    for f in functions:
        for e in _all_exprs(f.body, skip_copies=True):
            _collect_loads(e, reads)
    for f in functions:
        if f.kind == "step":
            f.body = [st for st in f.body if not (isinstance(st, ir.Assign) and isinstance(st.target, ir.Load)
                                                  and (st.copy or st.target.array == "calls")
                                                  and _slot(st.target) is not None and _slot(st.target) not in reads)]
        _tidy(f)


def _tidy(f: ir.Function) -> None:
    uses: dict[str, int] = {}
    for e in _all_exprs(f.body):
        _count_locals(e, uses)
    body = []
    for st in f.body:
        kept = isinstance(st, ir.Assign) and isinstance(st.target, ir.Local) and st.target.name.startswith(KEPT)
        if kept and not uses.get(st.target.name) and not _has_call(st.value):
            continue
        prev = body[-1] if body else None
        if (isinstance(st, ir.Assign) and isinstance(st.value, ir.Local) and uses.get(st.value.name) == 1
                and isinstance(prev, ir.Assign) and isinstance(prev.target, ir.Local)
                and prev.target.name == st.value.name and st.value.name.startswith(KEPT)):
            body[-1] = ir.Assign(st.target, prev.value, st.loc, st.copy)
            continue
        body.append(st)
    f.body = body
    left: dict[str, int] = {}
    for e in _all_exprs(f.body):
        _count_locals(e, left)
    _count_assigned(f.body, left)
    f.locals = {name: kind for name, kind in f.locals.items() if not name.startswith(KEPT) or name in left}


def _all_exprs(body: list, skip_copies: bool = False):
    """Every expression `body` evaluates; `skip_copies` leaves out the values of a step's field copies, which read
    only the event and (a count) their own slot."""
    for st in body:
        if skip_copies and getattr(st, "copy", False):
            continue
        yield from _exprs(st)
        if isinstance(st, ir.Unpack):
            yield from (t.index for t in st.targets if isinstance(t, ir.Load))
        for block in _blocks(st):
            yield from _all_exprs(block, skip_copies)


def _count_assigned(body: list, names: dict) -> None:
    for st in body:
        targets = [st.target] if isinstance(st, ir.Assign) else st.targets if isinstance(st, ir.Unpack) else []
        for t in targets:
            if isinstance(t, ir.Local):
                names[t.name] = names.get(t.name, 0) + 1
        for block in _blocks(st):
            _count_assigned(block, names)


def _nodes(e):
    """`e` and every expression inside it."""
    yield e
    if isinstance(e, ir.Load):
        yield from _nodes(e.index)
    elif isinstance(e, (ir.Op, ir.Call)):
        for a in e.args:
            yield from _nodes(a)
    elif isinstance(e, ir.EventField) and e.sub is not None:
        yield from _nodes(e.sub)


def _collect_loads(e, reads: set) -> None:
    reads.update((n.array, n.index.value) for n in _nodes(e) if isinstance(n, ir.Load) and isinstance(n.index, ir.Lit))


def _count_locals(e, uses: dict) -> None:
    for n in _nodes(e):
        if isinstance(n, ir.Local):
            uses[n.name] = uses.get(n.name, 0) + 1


def _has_call(e) -> bool:
    return any(isinstance(n, ir.Call) for n in _nodes(e))
