"""Lowering: the checked AST and its state layout become the IR (`ir.py`).

What the generated code does, per event (docs/compiler.md):
- A market-data event of stream S runs `step_S`: it stores the event's fields as S's latest values, pushes the
  fields S keeps history of, then updates, in dependency order, every series and stateful call whose clock holds S,
  then runs S's handler. A series or call whose clock does not hold S keeps its value.
- A stateful call (`sma(...)`) is an update in that schedule wherever it is written, handlers included; the place
  where it is written reads its current value. An na series input skips the update: the call's value is na for
  that update and its state does not move.
- `x[k]` reads `k` updates back. While a step is updating `x` (or a series after it in the schedule), `x`'s ring
  does not yet hold this update's value, so the read is one slot nearer.
- Fill, order, timer, start and stop events run their handler only.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from ..dsl import ast
from ..dsl.durations import duration_nanos
from ..runtime import intents as I
from ..stdlib import REGISTRY
from ..stdlib.kernels.registry import kernel_for
from . import ir
from .frontend import CheckResult
from .layout import BOOK_ARRAYS, StateLayout
from .lower_expr import KIND, NAN, Ctx, ExpressionLowering, LoweringError, _ident, _local, lit, loc_of
from .optimize import drop_unread_stores, forward_stores

ORDER_TYPE = {"limit": I.TYPE_LIMIT, "stop": I.TYPE_STOP, "stop_limit": I.TYPE_STOP_LIMIT,
              "market_if_touched": I.TYPE_MARKET_IF_TOUCHED, "limit_if_touched": I.TYPE_LIMIT_IF_TOUCHED,
              "trailing": I.TYPE_TRAILING}
TIF = {"gtc": I.TIF_GTC, "ioc": I.TIF_IOC, "fok": I.TIF_FOK, "day": I.TIF_DAY, "gtd": I.TIF_GTD}
TRAIL_UNIT = {"ticks": I.TRAIL_TICKS, "price": I.TRAIL_PRICE, "percent": I.TRAIL_PERCENT}
# emit()'s `need` bits: the values an intent must have (not na) to be sent.
NEED_QTY, NEED_PRICE, NEED_TRIGGER, NEED_TRAIL, NEED_STOP_LOSS, NEED_TAKE_PROFIT = 1, 2, 4, 8, 16, 32


@dataclass
class Lowered:
    program: ir.Program
    strings: list[str]
    oco_groups: list[str]
    sites: list[ir.Loc]
    log_templates: list[list]  # per template: parts, each ["text", str] or ["value", kind, decimals or None]


class Lowering(ExpressionLowering):
    """The program: schedule, steps, init, handlers, statements and actions."""

    # ================================================================ the program
    def lower(self) -> Lowered:
        self._find_calls()
        order = self._schedule()
        functions: list[ir.Function] = []
        entry: dict[str, str] = {}
        for fn in self.s.functions.values():
            functions.append(self._user_function(fn))
        handlers = {}
        for h in self.s.handlers:
            f = self._handler(h)
            functions.append(f)
            handlers[self._handler_key(h)] = f.name
        functions.append(self._init(order))
        entry["init"] = "init"
        for f in functions:
            f.inlined = f.kind == "handler" and f.name in {handlers.get(("stream", st.key)) for st in self.facts.streams}
        for st in self.facts.streams:
            handler = handlers.pop(("stream", st.key), None)
            functions.append(self._step(st, order, handler))
            entry[f"step:{st.key}"] = functions[-1].name
        for key, name in handlers.items():
            entry[":".join(str(k) for k in key)] = name
        for f in functions:
            if f.kind != "user":
                forward_stores(f)
        drop_unread_stores(functions)
        program = ir.Program(strategy=self.facts.strategy or "strategy", functions=functions, globals=self.globals,
                             kernels=self.kernels, entry_points=entry)
        return Lowered(program, self.strings, self.oco, self.sites, self.templates)

    def _handler_key(self, h: ast.Handler) -> tuple:
        fact = next(f for f in self.facts.handlers if f.line == h.span.line and f.event == h.event)
        if h.event in ("bar", "quote", "trade", "book"):
            return ("stream", fact.stream)
        if h.event == "order":
            return ("on", "order", h.order_event)
        if h.event == "timer":
            return ("on", "timer", fact.interval_ns)
        return ("on", h.event)

    # ================================================================ schedule
    def _find_calls(self) -> None:
        def visit(node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                key = (node.span.path, node.span.line, node.span.col)
                sig = REGISTRY.get(node.func.id)
                if sig is not None and sig.stateful and node.func.id not in self.s.functions and key in self.call_index:
                    self.call_ast[self.call_index[key]] = node
            for child in _children(node):
                visit(child)
        for s in self.s.series.values():
            visit(s.value)
        for h in self.s.handlers:
            for st in h.body:
                visit(st)

    def _deps(self, expr) -> set:
        """The schedule nodes `expr` reads the current value of: ("series", name) and ("call", index)."""
        found = set()

        def visit(node):
            if isinstance(node, ast.Index):
                visit(node.index)
                return
            if isinstance(node, ast.Name) and node.id in self.s.series:
                found.add(("series", node.id))
                return
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                key = (node.span.path, node.span.line, node.span.col)
                if key in self.call_index and self.call_index[key] in self.call_ast:
                    found.add(("call", self.call_index[key]))
                    return
            for child in _children(node):
                visit(child)
        visit(expr)
        return found

    def _schedule(self) -> list[tuple]:
        """All series and calls in an order where each comes after what it reads now."""
        nodes = [("series", n) for n in self.s.series] + [("call", i) for i in sorted(self.call_ast)]
        deps = {}
        for kind, key in nodes:
            if kind == "series":
                deps[(kind, key)] = self._deps(self.s.series[key].value)
            else:
                call = self.call_ast[key]
                found = set()
                for a in [*call.args, *(k.value for k in call.kwargs)]:
                    found |= self._deps(a)
                deps[(kind, key)] = found
        order, done = [], set()

        def place(node, stack=()):
            if node in done:
                return
            for d in sorted(deps.get(node, ()), key=str):
                if d not in stack:
                    place(d, stack + (node,))
            done.add(node)
            order.append(node)
        for node in nodes:
            place(node)
        return order

    def _clock(self, node) -> list[str]:
        kind, key = node
        if kind == "series":
            return next(s.clock for s in self.facts.series if s.name == key)
        return self.facts.indicator_calls[key].clock

    def _rings_of(self, node) -> list[str]:
        kind, key = node
        if kind != "series":
            return []
        t = self.s.series_types[key]
        return [f"{key}.{k}" for k, _ in t.fields] if t.name == "record" else [key]

    def _update_nodes(self, nodes: list, ctx: Ctx) -> list:
        body = []
        for node in nodes:
            ctx.pending = {r for n in nodes[nodes.index(node):] for r in self._rings_of(n)}
            if node[0] == "series":
                body += self._series_update(node[1], ctx)
            else:
                body += self._call_update(node[1], ctx)
        ctx.pending = set()
        return body

    # ================================================================ steps, init, handlers
    def _step(self, st, order: list, handler: str | None) -> ir.Function:
        key = st.key
        ctx = Ctx(where="node", stream=key, event=_EVENT_OF_DATA[st.data])
        decl = loc_of(next(s.decl for s in self.s.streams if s.key == key))
        body: list = [ir.Comment(f"{key}: the event's fields become the stream's latest values")]
        first_copy = len(body)
        data = self.layout.data
        for slot in data:
            if not slot.name.startswith(key + "."):
                continue
            name = slot.name[len(key) + 1:]
            if name == "time":
                body.append(ir.Assign(ir.Load("data_i64", lit(slot.offset), "t"), ir.EventField("ts_event", "t")))
            elif name == "count":
                count = ir.Load("data_i64", lit(slot.offset), "t")
                body.append(ir.Assign(count, ir.Op("+", [count, lit(1, "t")], "t")))
            elif name in ("mid", "spread"):
                bid, ask = ir.EventField("bid", "f"), ir.EventField("ask", "f")
                value = ir.Op("/", [ir.Op("+", [bid, ask], "f"), lit(2.0)], "f") if name == "mid" else \
                    ir.Op("-", [ask, bid], "f")
                body.append(ir.Assign(ir.Load("data", lit(slot.offset), "f"), value))
            elif st.data == "book" and name in BOOK_ARRAYS:
                body.append(ir.Do(ir.Call("ops.copy_levels", [ir.Local("data", "a"), lit(slot.offset), lit(slot.size),
                                                              ir.EventField(name, "a"), ir.EventField("levels", "f")],
                                          "f")))
            else:
                body.append(ir.Assign(ir.Load("data", lit(slot.offset), "f"), ir.EventField(name, "f")))
        for st_ in body[first_copy:]:
            st_.copy = True
        pushes = [name for name in self.layout.rings if name.startswith(key + ".") and name not in self.s.series
                  and name.split(".")[0] not in self.s.series]
        for name in pushes:
            fname = name[len(key) + 1:]
            value = ir.EventField("ts_event", "t") if fname == "time" else self._latest(key, fname)
            body.append(self._push(name, value))  # reads the copy: keeps it
        for st_ in body[first_copy:]:
            st_.loc = decl  # the copies and pushes come from the `data` declaration
        nodes = [n for n in order if key in self._clock(n)]
        if nodes:
            body.append(ir.Comment(f"series and indicators clocked by {key}"))
            body += self._update_nodes(nodes, ctx)
        if handler:
            body.append(ir.Jump("return", ir.Call(handler, [ir.Local("ev", "a"), ir.Local("i", "a"),
                                                            ir.Local("state", "a"), ir.Local("ctx", "a"),
                                                            ir.Local("out", "a")], "f")))
        else:
            body.append(ir.Jump("return", lit(0, "i")))
        return ir.Function(name=f"step_{_ident(key)}", kind="step", params=["ev", "i", "state", "ctx", "out"],
                           locals=_function_locals(ctx), body=body, loc=decl,
                           doc=f"One event of `{key}`: store it, advance what it clocks, run its handler.")

    def _init(self, order: list) -> ir.Function:
        ctx = Ctx(where="init")
        body: list = [ir.Comment("vars take their initial values")]
        for name, var in self.s.vars.items():
            slot = self.slot("vars", name)
            t = self.r.checker.var_types.get(name)
            kind = KIND.get(t.name, "f")
            if var.init is not None:
                value = self._as_kind(self.expr(var.init, ctx), kind)
            else:
                value = {"f": lit(NAN) if t.name == "float" else lit(0.0), "b": lit(False, "b"),
                         "t": lit(0, "t"), "s": lit(-1.0, "s")}[kind]
            stored = self._store_value(value)
            if slot.size == 1:
                body.append(ir.Assign(ir.Load(slot.array, lit(slot.offset), kind), stored, loc_of(var)))
            else:
                body.append(ir.Do(ir.Call("ops.fill", [ir.Local(slot.array, "a"), lit(slot.offset), lit(slot.size),
                                                       stored], "f"), loc_of(var)))
        if self.call_ast:
            body.append(ir.Comment("each indicator starts from a fresh state block"))
        for idx in sorted(self.call_ast):
            call = self.call_ast[idx]
            block = self.layout.indicators[idx]
            kernel = kernel_for(block.function)
            name = f"{block.function}_reset"
            self.kernels[name] = kernel.module
            statics = [a for a in self._kernel_args(idx, ctx)[1] if a[0] == "static"]
            body.append(ir.Do(ir.Call(name, [ir.Local("ind", "a"), lit(block.offset)] + [a[1] for a in statics], "f"),
                              loc_of(call)))
        constant = [n for n in order if not self._clock(n)]
        if constant:
            body.append(ir.Comment("series that read no stream: computed once"))
            body += self._update_nodes(constant, ctx)
        return ir.Function(name="init", kind="init", params=["state"], locals=_function_locals(ctx), body=body,
                           doc="Start of a run: var initial values, fresh indicator state, constant series.")

    def _handler(self, h: ast.Handler) -> ir.Function:
        key = self._handler_key(h)
        stream = key[1] if key[0] == "stream" else None
        ctx = Ctx(where="handler", stream=stream, event=h.event)
        self._declare_locals(h.body, ctx)
        body = self.block(h.body, ctx)
        body.append(ir.Jump("return", ir.Local("k", "i")))
        if key[0] == "stream":
            name = f"on_{h.event}_{_ident(stream)}"
        else:
            name = "on_" + "_".join(str(k) for k in key[1:] if k is not None)
        return ir.Function(name=name, kind="handler", params=["ev", "i", "state", "ctx", "out"],
                           locals=_function_locals(ctx), body=body, loc=loc_of(h),
                           doc=f"`on {h.event}{' ' + (h.target or h.order_event or '') if (h.target or h.order_event) else ''}`"
                               f" at line {h.span.line}.")

    def _user_function(self, fn: ast.Function) -> ir.Function:
        ctx = Ctx(where="function")
        for p in fn.params:
            ctx.locals[p.name] = KIND[p.type]
        # Functions are pure: besides their arguments they read only params (consts are inlined).
        params = [_local(p.name) for p in fn.params] + ["params", "counters"]
        self._declare_locals(fn.body, ctx)
        ctx.returns = KIND[fn.returns]
        body = self.block(fn.body, ctx)
        declared = {k: v for k, v in _function_locals(ctx).items() if k not in params}
        return ir.Function(name=f"fn_{fn.name}", kind="user", params=params, locals=declared, body=body,
                           loc=loc_of(fn), doc=fn.doc or f"`def {fn.name}` at line {fn.span.line}.")

    def _declare_locals(self, stmts: list, ctx: Ctx) -> None:
        for st in _walk_stmts(stmts):
            if isinstance(st, ast.Assign) and st.target.name not in self.s.vars and st.target.index is None \
                    and st.target.name not in ctx.locals:
                t = self.types.get(id(st.value))
                ctx.locals[st.target.name] = KIND.get(t.name if t else "float", "f")

    # ================================================================ updates
    def _series_update(self, name: str, ctx: Ctx) -> list:
        decl = self.s.series[name]
        t = self.s.series_types[name]
        at = loc_of(decl)
        out: list = [ir.Comment(f"series {name}", at)]
        if t.name == "record":
            value = decl.value
            if isinstance(value, ast.Call) and self._call_of(value) is not None:
                slot = self.layout.calls[self._call_of(value)]
                for j, (out_name, _) in enumerate(t.fields):
                    out.append(self._push(f"{name}.{out_name}", ir.Load("calls", lit(slot.offset + j), "f"), at))
                return out
            if isinstance(value, ast.Name) and value.id in self.s.series:
                for out_name, _ in t.fields:
                    out.append(self._push(f"{name}.{out_name}", self._ring_read(f"{value.id}.{out_name}", 0, ctx,
                                                                                "float", value), at))
                return out
            raise LoweringError("a series with several outputs must be an indicator call or another such series",
                                loc_of(value))
        value = self._store_value(self.expr(decl.value, ctx))
        out.append(self._push(name, value, at))
        return out

    def _push(self, ring: str, value: ir.Expr, at: ir.Loc | None = None):
        slot = self.slot("series", ring)
        if slot.size == 1:
            return ir.Assign(ir.Load(slot.array, lit(slot.offset), value.kind), value, at)
        return ir.Do(ir.Call("ops.ring_push", [ir.Local(slot.array, "a"), ir.Local("ring_pos", "a"),
                                               lit(self.layout.rings[ring]), lit(slot.offset), lit(slot.size), value],
                             "f"), at)

    def _kernel_args(self, idx: int, ctx: Ctx) -> tuple[list, list]:
        """The kernel's run-time inputs and arguments: (checks, [(role, expr)]) in kernel order: inputs (series
        values, or the bars' fields), static arguments, then value arguments."""
        call = self.call_ast[idx]
        sig = REGISTRY[call.func.id]
        kernel = kernel_for(sig.name)
        names = [a.name for a in sig.args]
        bound = dict(zip(names, call.args))
        bound.update({k.name: k.value for k in call.kwargs})
        params = list(inspect.signature(getattr(kernel.update, "py_func", kernel.update)).parameters)[2:]
        args: list[tuple[str, ir.Expr]] = []
        checks: list[ir.Expr] = []
        n_fixed = sum(1 for a in sig.args if a.role in ("series", "static", "value"))
        bars_fields = params[:len(params) - n_fixed]
        for a in sig.args:
            if a.role == "bars":
                key = self.stream_of[id(bound[a.name])]
                # Times reach kernels as wall-clock times of the strategy's zone: vwap's sessions start at its
                # midnight.
                args += [("input", self.in_zone(self._latest(key, f), self.timezone) if f == "time"
                          else self._latest(key, f)) for f in bars_fields]
            elif a.role == "series":
                value = self._store_value(self.expr(bound[a.name], ctx))
                args.append(("input", value))
                if self.types[id(bound[a.name])].name in ("float", "int"):
                    checks.append(value)
        for role in ("static", "value"):
            for a in sig.args:
                if a.role != role:
                    continue
                expr = bound.get(a.name)
                if expr is None:
                    value = lit(duration_nanos(a.default), "t") if a.type == "duration" else \
                        lit(float(a.default) if a.type == "float" else a.default, "f")
                else:
                    value = self.expr(expr, ctx)
                    if role == "static" and a.type == "int":
                        value = ir.Call("int", [value], "i") if not isinstance(value, ir.Lit) else \
                            lit(int(value.value), "i")
                args.append((role, value))
        return checks, args

    def _call_update(self, idx: int, ctx: Ctx) -> list:
        call = self.call_ast[idx]
        block = self.layout.indicators[idx]
        slot = self.layout.calls[idx]
        name = f"{block.function}_update"
        self.kernels[name] = kernel_for(block.function).module
        at = loc_of(call)
        out: list = [ir.Comment(f"{block.function}(...) at line {call.span.line}", at)]
        checks, args = self._kernel_args(idx, ctx)
        # Inputs into temporaries, so that an na input can skip the update.
        values = []
        for n, (role, value) in enumerate(args):
            if role == "input" and not isinstance(value, (ir.Lit, ir.Load)):
                tmp = ir.Local(f"c{idx}_{n}", value.kind)
                ctx.temps[tmp.name] = value.kind
                out.append(ir.Assign(tmp, value, at))
                value = tmp
                checks = [tmp if c is args[n][1] else c for c in checks]
            values.append(value)
        kernel_call = ir.Call(name, [ir.Local("ind", "a"), lit(block.offset)] + values, "f")
        targets = [ir.Load("calls", lit(slot.offset + j), "f") for j in range(slot.size)]
        if slot.size == 1:
            update = [ir.Assign(targets[0], kernel_call, at)]
        else:
            temps = [ir.Local(f"c{idx}_out{j}", "f") for j in range(slot.size)]
            for tmp in temps:
                ctx.temps[tmp.name] = "f"
            update = [ir.Unpack(temps, kernel_call, at)] + [ir.Assign(t, v) for t, v in zip(targets, temps)]
        if not checks:
            return out + update
        cond = checks[0] if len(checks) == 1 else None
        conds = [ir.Op("==", [c, c], "b") for c in checks]
        cond = conds[0]
        for c in conds[1:]:
            cond = ir.Op("and", [cond, c], "b")
        skipped = [ir.Assign(t, lit(NAN)) for t in targets]
        return out + [ir.If(cond, update, skipped, at)]

    # ================================================================ statements
    def block(self, stmts: list, ctx: Ctx) -> list:
        out = []
        for st in stmts:
            out += self.stmt(st, ctx)
        return out

    def stmt(self, st, ctx: Ctx) -> list:
        at = loc_of(st)
        if isinstance(st, ast.Assign):
            return self._assign(st.target, self.expr(st.value, ctx), ctx, at, st)
        if isinstance(st, ast.AugAssign):
            current, current_type = self._read_target(st.target, ctx)
            value = self._binary(st.op, current, current_type, self.expr(st.value, ctx), self.types[id(st.value)], st)
            return self._assign(st.target, value, ctx, at, st)
        if isinstance(st, ast.If):
            return [self._if(st.branches, st.orelse, ctx)]
        if isinstance(st, ast.For):
            lo = self._as_int(self.expr(st.start, ctx))
            hi = self._as_int(self.expr(st.stop, ctx))
            ctx.loops.add(st.var)
            body = self.block(st.body, ctx)
            ctx.loops.discard(st.var)
            return [ir.Loop(_local(st.var), lo, hi, body, at)]
        if isinstance(st, ast.Return):
            if ctx.where == "function":
                return [ir.Jump("return", self._as_kind(self.expr(st.value, ctx), ctx.returns), at)]
            return [ir.Jump("return", ir.Local("k", "i"), at)]
        if isinstance(st, (ast.Break, ast.Continue)):
            return [ir.Jump(st.kind, None, at)]
        if isinstance(st, ast.Pass):
            return []
        if isinstance(st, ast.Record):
            slot = self.slot("records", st.name)
            return [ir.Assign(ir.Load("records", lit(slot.offset), "f"), self._store_value(self.expr(st.value, ctx)),
                              at)]
        if isinstance(st, ast.Log):
            return [self._log(st, ctx)]
        return [self._action(st, ctx)]

    def _if(self, branches: list, orelse, ctx: Ctx) -> ir.If:
        first = branches[0]
        rest = self._if(branches[1:], orelse, ctx) if len(branches) > 1 else None
        other = [rest] if rest is not None else (self.block(orelse, ctx) if orelse else [])
        return ir.If(self.expr(first.cond, ctx), self.block(first.body, ctx), other, loc_of(first))

    def _read_target(self, target: ast.LValue, ctx: Ctx):
        name = target.name
        if name in ctx.locals:
            return ir.Local(_local(name), ctx.locals[name]), self._local_type(name, ctx)
        t = self.r.checker.var_types[name]
        return self._var_read(name, target.index, ctx, target), t

    def _assign(self, target: ast.LValue, value: ir.Expr, ctx: Ctx, at: ir.Loc, st) -> list:
        name = target.name
        if name in ctx.locals and name not in self.s.vars or name in ctx.locals and ctx.where == "function":
            return [ir.Assign(ir.Local(_local(name), ctx.locals[name]), self._as_kind(value, ctx.locals[name]), at)]
        slot = self.slot("vars", name)
        kind = KIND[self.r.checker.var_types[name].name]
        stored = self._store_value(self._as_kind(value, kind))
        if target.index is None:
            return [ir.Assign(ir.Load(slot.array, lit(slot.offset), kind), stored, at)]
        index = self.expr(target.index, ctx)
        return [ir.Do(ir.Call("ops.set_element", [ir.Local(slot.array, "a"), lit(slot.offset), lit(slot.size), index,
                                                   stored, ir.Local("counters", "a"), self.site(target)], "f"), at)]

    def _log(self, st: ast.Log, ctx: Ctx) -> ir.LogMsg:
        parts, values = [], []
        for p in st.parts:
            if p.expr is None:
                parts.append(["text", p.text])
                continue
            value = self.expr(p.expr, ctx)
            parts.append(["value", self.types[id(p.expr)].name, p.decimals])
            values.append(self._store_value(value) if value.kind != "t" else ir.Call("float", [value], "f"))
        self.templates.append(parts)
        return ir.LogMsg(len(self.templates) - 1, values, loc_of(st), int(self.site(st).value))

    # ---------------------------------------------------------------- actions
    def _action(self, st, ctx: Ctx) -> ir.Emit:
        f: dict[str, ir.Expr] = {}
        need = 0
        clauses = {c.kind: c for c in getattr(st, "clauses", [])}
        if isinstance(st, (ast.Order, ast.Target)):
            f["action"] = lit(I.ACTION_ORDER if isinstance(st, ast.Order) else I.ACTION_TARGET, "i")
            f["instrument"] = lit(self.instruments.index(st.instrument), "i")
            f["side"] = lit((I.SIDE_BUY if st.side == "buy" else I.SIDE_SELL) if isinstance(st, ast.Order) else 0, "i")
            f["qty"] = self._num(st.qty, ctx)
            need |= NEED_QTY
        elif isinstance(st, ast.Close):
            f["action"] = lit(I.ACTION_CLOSE, "i")
            f["instrument"] = lit(self.instruments.index(st.instrument) if st.instrument else I.NO_ID, "i")
        elif isinstance(st, ast.Cancel):
            f["action"] = lit(I.ACTION_CANCEL, "i")
            if st.scope == "instrument":
                f["instrument"] = lit(self.instruments.index(st.name), "i")
            elif st.scope == "tag":
                f["tag"] = lit(self.string_id(st.name), "i")
        elif isinstance(st, ast.Modify):
            f["action"] = lit(I.ACTION_MODIFY, "i")
            f["tag"] = lit(self.string_id(st.tag), "i")
            if "qty" in clauses:
                f["qty"] = self._num(clauses["qty"].args[0], ctx)
        for kind, c in clauses.items():
            if kind in ORDER_TYPE:
                f["order_type"] = lit(ORDER_TYPE[kind], "i")
                if kind in ("limit",):
                    f["price"] = self._num(c.args[0], ctx)
                    need |= NEED_PRICE
                elif kind in ("stop", "market_if_touched"):
                    f["trigger"] = self._num(c.args[0], ctx)
                    need |= NEED_TRIGGER
                elif kind in ("stop_limit", "limit_if_touched"):
                    f["trigger"] = self._num(c.args[0], ctx)
                    f["price"] = self._num(c.args[1], ctx)
                    need |= NEED_TRIGGER | NEED_PRICE
                elif kind == "trailing":
                    f["trail_unit"] = lit(TRAIL_UNIT[c.word or "price"], "i")
                    f["trail"] = self._num(c.args[0], ctx)
                    need |= NEED_TRAIL
            elif kind == "tif":
                f["tif"] = lit(TIF[c.word], "i")
                if c.word == "gtd":
                    f["expire_after"] = self.expr(c.args[0], ctx)
            elif kind == "stop_loss":
                f["stop_loss"] = self._num(c.args[0], ctx)
                need |= NEED_STOP_LOSS
            elif kind == "take_profit":
                f["take_profit"] = self._num(c.args[0], ctx)
                need |= NEED_TAKE_PROFIT
            elif kind == "tag":
                f["tag"] = lit(self.string_id(c.word), "i")
            elif kind == "oco":
                if c.word not in self.oco:
                    self.oco.append(c.word)
                f["oco"] = lit(self.oco.index(c.word), "i")
        flags = (I.FLAG_POST_ONLY if "post_only" in clauses else 0) | (I.FLAG_REDUCE_ONLY if "reduce_only" in clauses
                                                                        else 0)
        if flags:
            f["flags"] = lit(flags, "i")
        if isinstance(st, ast.Modify):
            need = 0  # absent values mean "unchanged"
        f["need"] = lit(need, "i")
        f["line"] = lit(st.span.line, "i")
        f["site"] = self.site(st)
        return ir.Emit(f, loc_of(st))

    def _num(self, e: ast.Expr, ctx: Ctx) -> ir.Expr:
        return self._store_value(self.expr(e, ctx))
































_EVENT_OF_DATA = {"bars": "bar", "quotes": "quote", "trades": "trade", "book": "book"}


def _function_locals(ctx: Ctx) -> dict[str, str]:
    return {**{_local(k): v for k, v in ctx.locals.items()}, **ctx.temps}


def _children(node):
    if isinstance(node, list):
        yield from node
        return
    if not isinstance(node, ast.Node):
        return
    for name in type(node).model_fields:
        if name.endswith("span"):
            continue
        value = getattr(node, name)
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, ast.Node))


def _walk_stmts(stmts: list):
    for st in stmts:
        yield st
        if isinstance(st, ast.If):
            for b in st.branches:
                yield from _walk_stmts(b.body)
            yield from _walk_stmts(st.orelse or [])
        elif isinstance(st, ast.For):
            yield from _walk_stmts(st.body)


def lower(result: CheckResult, layout: StateLayout) -> Lowered:
    return Lowering(result, layout).lower()

