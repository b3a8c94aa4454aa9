"""Lowering of expressions: every name to its place in the state arrays, every operator to the operation with the
language's semantics (docs/compiler.md, "Run-time semantics"). `lower.Lowering` builds the program on top."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..dsl import ast
from ..runtime.context import CASH, CTX_HEADER, EQUITY, INSTRUMENT_SLOTS, QUERIES
from ..runtime.events import ORDER_REASONS
from ..runtime.ops import zone_table
from ..stdlib import REGISTRY
from . import ir
from .frontend import CheckResult
from .layout import StateLayout
from .static_eval import Duration, NotStatic, const_value
from .types import SCALARS, Type

KIND = {"int": "f", "float": "f", "bool": "b", "timestamp": "t", "duration": "t", "string": "s", "instrument": "s",
        "error": "f"}
NAN = float("nan")


class LoweringError(Exception):
    """A construct the back end cannot compile, reported at its place in the source."""

    def __init__(self, message: str, loc: ir.Loc):
        super().__init__(f"{loc}: {message}")
        self.loc = loc


def lit(value, kind="f") -> ir.Lit:
    return ir.Lit(value, kind)


def loc_of(node: ast.Node) -> ir.Loc:
    return ir.Loc(node.span.path, node.span.line, node.span.col)


@dataclass
class Ctx:
    """Where an expression is lowered."""

    where: str  # "node" (a series or call update in a step), "handler", "function", "init"
    pending: set[str] = field(default_factory=set)  # rings not yet pushed in this step
    locals: dict[str, str] = field(default_factory=dict)  # user name -> kind
    temps: dict[str, str] = field(default_factory=dict)  # the lowering's own locals (c3_0) -> kind
    loops: set[str] = field(default_factory=set)
    stream: str | None = None  # the handler's stream (bar_index)
    event: str | None = None  # "bar", "fill", ... ; None in init
    returns: str = "f"  # a user function's result kind


class ExpressionLowering:
    """Expressions, and the tables they fill: strings, warning sites, zone tables, kernels used."""

    def __init__(self, result: CheckResult, layout: StateLayout):
        self.r = result
        self.s = result.symbols
        self.facts = result.facts
        self.layout = layout
        self.types: dict[int, Type] = result.checker.types
        self.stream_of: dict[int, str] = result.checker.stream_of
        self.lookup_const = result.checker.collector.lookup_const
        self.strings: list[str] = list(ORDER_REASONS)
        for name in self.facts.tags:
            self.string_id(name)
        self.oco: list[str] = []
        self.sites: list[ir.Loc] = []
        self.templates: list[list] = []
        self.globals: dict[str, object] = {}
        self.kernels: dict[str, str] = {}
        self.instruments = [i.name for i in self.facts.instruments]
        self.call_index = {(c.path, c.line, c.col): n for n, c in enumerate(self.facts.indicator_calls)}
        self.call_ast: dict[int, ast.Call] = {}
        self.timezone = self.facts.timezone

    def string_id(self, text: str) -> int:
        if text not in self.strings:
            self.strings.append(text)
        return self.strings.index(text)

    def site(self, node: ast.Node) -> ir.Lit:
        """A run-time warning site: index into the manifest's `sites` (0 is 'no site')."""
        loc = loc_of(node)
        if loc not in self.sites:
            self.sites.append(loc)
        return lit(self.sites.index(loc) + 1)

    def slot(self, table: str, name: str):
        return self.layout.slot(table, name)

    def _latest(self, key: str, fname: str) -> ir.Expr:
        slot = self.slot("data", f"{key}.{fname}")
        if fname == "time":
            return ir.Load("data_i64", lit(slot.offset), "t")
        return ir.Load("data", lit(slot.offset), "f")

    def _call_of(self, call: ast.Call) -> int | None:
        return self.call_index.get((call.span.path, call.span.line, call.span.col))

    def _local_type(self, name: str, ctx: Ctx) -> Type:
        kind = ctx.locals[name]
        return {"f": SCALARS["float"], "b": SCALARS["bool"], "t": SCALARS["duration"], "s": SCALARS["string"]}[kind]

    def expr(self, e: ast.Expr, ctx: Ctx) -> ir.Expr:
        return getattr(self, "_e_" + e.kind)(e, ctx)

    def _e_int(self, e, ctx):
        return lit(float(e.value))

    def _e_float(self, e, ctx):
        return lit(float(e.value))

    def _e_duration(self, e, ctx):
        return lit(e.nanos, "t")

    def _e_string(self, e, ctx):
        return lit(float(self.string_id(e.value)), "s")

    def _e_bool(self, e, ctx):
        return lit(bool(e.value), "b")

    def _e_na(self, e, ctx):
        return lit(NAN)

    def _e_name(self, e: ast.Name, ctx: Ctx) -> ir.Expr:
        name = e.id
        if name in ctx.loops:
            return ir.Call("float", [ir.Local(_local(name), "i")], "f")
        if name in ctx.locals:
            return ir.Local(_local(name), ctx.locals[name])
        if name in self.s.params:
            return self._param(name)
        if name in self.s.consts:
            return self._const(self.r.checker.collector.const_value_of(name), e)
        if name in self.s.instruments:
            return lit(float(self.instruments.index(name)), "s")
        if name in self.s.series:
            return self._ring_read(name, 0, ctx, self.s.series_types[name].name, e)
        if name in self.s.vars:
            return self._var_read(name, None, ctx, e)
        if name == "equity":
            return ir.Load("ctx", lit(EQUITY), "f")
        if name == "cash":
            return ir.Load("ctx", lit(CASH), "f")
        if name == "time":
            return ir.EventField("ts_event", "t") if ctx.where != "init" else lit(0, "t")
        if name == "bar_index":
            count = self.slot("data", f"{ctx.stream}.count")
            return ir.Call("float", [ir.Op("-", [ir.Load("data_i64", lit(count.offset), "t"), lit(1, "t")], "t")],
                           "f")
        raise LoweringError(f"cannot compile the name `{name}`", loc_of(e))

    def _param(self, name: str) -> ir.Expr:
        p = self.s.params[name]
        value = ir.Load("params", lit(self.slot("params", name).offset), "f")
        if p.type == "bool":
            return ir.Op("==", [value, lit(1.0)], "b")
        if p.type == "duration":
            return ir.Call("np.int64", [value], "t")
        if p.type == "choice":
            table = f"CHOICES_{_ident(name)}"
            self.globals[table] = np.array([float(self.string_id(c)) for c in p.choices])
            return ir.Load(table, ir.Call("int", [value], "i"), "s")
        return value

    def _const(self, value, node) -> ir.Expr:
        if isinstance(value, bool):
            return lit(value, "b")
        if isinstance(value, Duration):
            return lit(int(value), "t")
        if isinstance(value, (int, float)):
            return lit(float(value))
        if isinstance(value, str):
            return lit(float(self.string_id(value)), "s")
        raise LoweringError(f"cannot compile the constant {value!r}", loc_of(node))

    def _var_read(self, name: str, index, ctx: Ctx, node) -> ir.Expr:
        slot = self.slot("vars", name)
        t = self.r.checker.var_types[name]
        kind = KIND[t.name]
        if index is None:
            raw = ir.Load(slot.array, lit(slot.offset), kind)
        else:
            missing = lit(NAN) if t.name == "float" else lit(0, "t") if kind == "t" else lit(0.0)
            raw = ir.Call("ops.element", [ir.Local(slot.array, "a"), lit(slot.offset), lit(slot.size),
                                          self.expr(index, ctx), missing, ir.Local("counters", "a"), self.site(node)],
                          kind)
        return ir.Op("==", [raw, lit(1.0)], "b") if kind == "b" else raw

    def _ring_read(self, ring: str, k, ctx: Ctx, type_name: str, node) -> ir.Expr:
        """`ring[k]`: k updates back (an int, or an IR expression computed at run time)."""
        slot = self.slot("series", ring)
        r = lit(self.layout.rings[ring])
        pending = ring in ctx.pending
        if isinstance(k, int):
            k = k - 1 if pending else k
            if slot.size == 1:
                index = lit(slot.offset)
            elif k == 0:
                index = ir.Op("+", [lit(slot.offset), ir.Load("ring_pos", r, "t")], "t")
            else:
                index = ir.Op("+", [lit(slot.offset), ir.Op("%", [ir.Op("-", [ir.Load("ring_pos", r, "t"), lit(k)], "t"),
                                                                   lit(slot.size)], "t")], "t")
            raw = ir.Load(slot.array, index, "t" if slot.array == "series_i64" else "f")
        else:
            if pending:
                k = ir.Op("-", [k, lit(1.0)], "f")
            missing = lit(0, "t") if slot.array == "series_i64" else lit(NAN)
            raw = ir.Call("ops.ring_get", [ir.Local(slot.array, "a"), ir.Local("ring_pos", "a"), r, lit(slot.offset),
                                           lit(slot.size), k, missing, ir.Local("counters", "a"), self.site(node)],
                          "t" if slot.array == "series_i64" else "f")
        return self._from_store(raw, type_name)

    def _from_store(self, raw: ir.Expr, type_name: str) -> ir.Expr:
        """A value read back from a float64 state slot that may not be written yet."""
        if type_name == "bool":
            return ir.Op("==", [raw, lit(1.0)], "b")
        if type_name == "int":
            return ir.Call("ops.int_or_zero", [raw], "f")
        if type_name in ("string", "instrument"):
            return ir.Op("ifelse", [ir.Op("==", [raw, raw], "b"), raw, lit(-1.0)], "s")
        return raw

    def _store_value(self, value: ir.Expr) -> ir.Expr:
        """A value as it is stored in a float64 slot (bools as 1.0/0.0)."""
        if value.kind == "b":
            if isinstance(value, ir.Lit):
                return lit(1.0 if value.value else 0.0)
            return ir.Op("ifelse", [value, lit(1.0), lit(0.0)], "f")
        return value

    def _as_kind(self, value: ir.Expr, kind: str) -> ir.Expr:
        if value.kind == kind or kind in ("f", "s") and value.kind in ("f", "s"):
            return value
        if kind == "f" and value.kind == "i":
            return ir.Call("float", [value], "f")
        return value

    def _as_int(self, value: ir.Expr) -> ir.Expr:
        if isinstance(value, ir.Lit):
            return lit(int(value.value), "i")
        return ir.Call("int", [value], "i")

    def _e_attr(self, e: ast.Attr, ctx: Ctx) -> ir.Expr:
        obj = e.obj
        if isinstance(obj, ast.Name) and obj.id in ("fill", "order") and obj.id not in ctx.locals \
                and self.s.kind_of(obj.id) is None:
            return self._event_field(obj.id, e.name)
        if id(e) in self.stream_of:
            return self._latest(self.stream_of[id(e)], e.name)
        if isinstance(obj, ast.Name) and obj.id in self.s.series:
            t = self.types[id(e)]
            return self._ring_read(f"{obj.id}.{e.name}", 0, ctx, t.name, e)
        if isinstance(obj, ast.Call):
            idx = self._call_of(obj)
            sig = REGISTRY[obj.func.id]
            j = list(sig.outputs).index(e.name)
            raw = ir.Load("calls", lit(self.layout.calls[idx].offset + j), "f")
            return self._from_store(raw, sig.outputs[e.name])
        raise LoweringError(f"cannot compile the field `{e.name}`", loc_of(e))

    def _event_field(self, event: str, name: str) -> ir.Expr:
        if name == "time":
            return ir.EventField("ts_event", "t")
        kind = {"tag": "s", "instrument": "s", "reason": "s", "is_maker": "b"}.get(name, "f")
        return ir.EventField(name, kind)

    def _e_index(self, e: ast.Index, ctx: Ctx) -> ir.Expr:
        obj = e.obj
        if isinstance(obj, ast.Name) and obj.id in self.s.vars and obj.id not in ctx.locals:
            return self._var_read(obj.id, e.index, ctx, e)
        type_name = self.types[id(e)].name
        if isinstance(obj, ast.Name):
            ring = obj.id
        elif id(obj) in self.stream_of:
            ring = f"{self.stream_of[id(obj)]}.{obj.name}"
        else:
            ring = f"{obj.obj.id}.{obj.name}"
        try:
            k = const_value(e.index, self.lookup_const)
            k = int(k)
        except NotStatic:
            k = self.expr(e.index, ctx)
        return self._ring_read(ring, k, ctx, type_name, e)

    def _e_unary(self, e: ast.Unary, ctx: Ctx) -> ir.Expr:
        v = self.expr(e.operand, ctx)
        return v if e.op == "+" else ir.Op("-", [v], v.kind)

    def _e_not(self, e: ast.Not, ctx: Ctx) -> ir.Expr:
        return ir.Op("not", [self.expr(e.operand, ctx)], "b")

    def _e_binary(self, e: ast.Binary, ctx: Ctx) -> ir.Expr:
        return self._binary(e.op, self.expr(e.left, ctx), self.types[id(e.left)], self.expr(e.right, ctx),
                            self.types[id(e.right)], e)

    def _binary(self, op: str, a: ir.Expr, ta: Type, b: ir.Expr, tb: Type, node) -> ir.Expr:
        time_types = ("duration", "timestamp")
        counters = ir.Local("counters", "a")
        if ta.name in time_types or tb.name in time_types:
            if op in ("+", "-"):
                return ir.Op(op, [a, b], "t") if ta.name in time_types and tb.name in time_types else \
                    ir.Op(op, [a, b], "t")
            if op == "*":
                d, x = (a, b) if ta.name == "duration" else (b, a)
                return ir.Call("ops.dur_scale", [d, x], "t")
            if op == "/" and tb.name == "duration":
                return ir.Call("ops.dur_ratio", [a, b, counters, self.site(node)], "f")
            if op == "/":
                return ir.Call("ops.dur_div", [a, b, counters, self.site(node)], "t")
            if op == "//":
                return ir.Call("ops.dur_floordiv", [a, b, counters, self.site(node)], "f")
            if op == "%":
                return ir.Call("ops.dur_mod", [a, b, counters, self.site(node)], "t")
        is_int = ta.name == "int" and tb.name == "int"
        if op in ("+", "-", "*"):
            return ir.Op(op, [a, b], "f")
        if op == "/":
            return ir.Call("ops.div", [a, b, counters, self.site(node)], "f")
        if op == "//":
            return ir.Call("ops.floordiv_int" if is_int else "ops.floordiv", [a, b, counters, self.site(node)], "f")
        if op == "%":
            return ir.Call("ops.mod_int" if is_int else "ops.mod", [a, b, counters, self.site(node)], "f")
        if op == "**":
            power = ir.Call("ops.power", [a, b], "f")
            return ir.Call("ops.trunc", [power, counters, self.site(node)], "f") if is_int else power
        raise LoweringError(f"cannot compile `{op}`", loc_of(node))

    def _e_compare(self, e: ast.Compare, ctx: Ctx) -> ir.Expr:
        return ir.Op(e.op, [self.expr(e.left, ctx), self.expr(e.right, ctx)], "b")

    def _e_boolop(self, e: ast.BoolOp, ctx: Ctx) -> ir.Expr:
        return ir.Op(e.op, [self.expr(e.left, ctx), self.expr(e.right, ctx)], "b")

    def _e_ternary(self, e: ast.Ternary, ctx: Ctx) -> ir.Expr:
        kind = KIND.get(self.types[id(e)].name, "f")
        then, other = self._as_kind(self.expr(e.then, ctx), kind), self._as_kind(self.expr(e.other, ctx), kind)
        return ir.Op("ifelse", [self.expr(e.cond, ctx), then, other], kind)

    def _e_call(self, e: ast.Call, ctx: Ctx) -> ir.Expr:
        func = e.func
        if isinstance(func, ast.Attr):
            return self._book_level(e, func, ctx)
        name = func.id
        if name in self.s.functions:
            fn = self.s.functions[name]
            bound = dict(zip([p.name for p in fn.params], e.args))
            bound.update({k.name: k.value for k in e.kwargs})
            args = [self._as_kind(self.expr(bound[p.name], ctx), KIND[p.type]) for p in fn.params]
            return ir.Call(f"fn_{name}", args + [ir.Local("params", "a"), ir.Local("counters", "a")],
                           KIND[fn.returns])
        sig = REGISTRY[name]
        if sig.stateful:
            idx = self._call_of(e)
            return self._from_store(ir.Load("calls", lit(self.layout.calls[idx].offset), "f"),
                                    self.types[id(e)].name)
        bound = dict(zip([a.name for a in sig.args], e.args))
        bound.update({k.name: k.value for k in e.kwargs})
        if sig.module == "context":
            inst = self.expr(bound["instrument"], ctx)
            base = CTX_HEADER + QUERIES[name]
            if isinstance(inst, ir.Lit):
                index = lit(base + INSTRUMENT_SLOTS * int(inst.value), "i")
            else:
                index = ir.Op("+", [lit(base, "i"), ir.Op("*", [lit(INSTRUMENT_SLOTS, "i"), self._as_int(inst)], "i")],
                              "i")
            return ir.Load("ctx", index, "f")
        if sig.module == "calendar":
            return self._calendar(name, bound, ctx)
        return self._math(name, sig, bound, e, ctx)

    def _math(self, name: str, sig, bound: dict, e: ast.Call, ctx: Ctx) -> ir.Expr:
        args = {a.name: self.expr(bound[a.name], ctx) for a in sig.args if a.name in bound}
        counters, site = ir.Local("counters", "a"), None
        x = args.get("x")
        if name in ("floor", "ceil", "int"):
            site = self.site(e)
            return ir.Call({"int": "ops.trunc"}.get(name, f"ops.{name}"), [x, counters, site], "f")
        if name == "float":
            return x
        if name == "abs":
            return ir.Call("abs", [x], "f")
        if name == "na":
            return ir.Op("!=", [x, x], "b")
        if name == "nz":
            return ir.Call("ops.nz", [x, args.get("replacement", lit(0.0))], "f")
        if name == "round":
            decimals = args.get("decimals", lit(0.0))
            return ir.Call("ops.round_half_away", [x, decimals], "f")
        simple = {"min": "ops.minimum", "max": "ops.maximum", "clamp": "ops.clamp", "sign": "ops.sign",
                  "sqrt": "ops.sqrt", "log": "ops.ln", "log10": "ops.log10", "exp": "ops.exp",
                  "round_to": "ops.round_to"}
        if name in simple:
            return ir.Call(simple[name], [args[a.name] for a in sig.args], "f")
        raise LoweringError(f"cannot compile `{name}`", loc_of(e))

    def _calendar(self, name: str, bound: dict, ctx: Ctx) -> ir.Expr:
        t = self.expr(bound["t"], ctx)
        zone = self.timezone
        if "tz" in bound:
            zone = const_value(bound["tz"], self.lookup_const) or zone
        return ir.Call(f"ops.{name}", [self.in_zone(t, zone)], "t" if name == "time_of_day" else "f")

    def in_zone(self, t: ir.Expr, zone: str) -> ir.Expr:
        """`t` (UTC ns) as the wall-clock time of `zone`, in ns."""
        if zone in ("UTC", "Etc/UTC"):
            return t
        ident = _ident(zone)
        transitions, offsets = zone_table(zone)
        self.globals[f"TZ_{ident}_AT"] = transitions
        self.globals[f"TZ_{ident}_OFFSET"] = offsets
        return ir.Call("ops.local_time", [t, ir.Local(f"TZ_{ident}_AT", "a"), ir.Local(f"TZ_{ident}_OFFSET", "a")], "t")

    def _book_level(self, e: ast.Call, func: ast.Attr, ctx: Ctx) -> ir.Expr:
        key = self.stream_of[id(func)]
        slot = self.slot("data", f"{key}.{func.name}")
        try:
            k = int(const_value(e.args[0], self.lookup_const))
            return ir.Load("data", lit(slot.offset + k), "f")
        except NotStatic:
            return ir.Call("ops.level", [ir.Local("data", "a"), lit(slot.offset), lit(slot.size),
                                         self.expr(e.args[0], ctx), ir.Local("counters", "a"), self.site(e)], "f")


def _ident(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def _local(name: str) -> str:
    """User names get a trailing underscore: they can never clash with the generated code's own names."""
    return name + "_"
