"""The IR between the checked AST and the generated Python: explicit state, explicit schedule, explicit semantics.

Lowering (`lower.py`) resolves every name to a place in the state arrays, every operator to the operation with
the language's semantics (`ops.div` for `/`), and every stateful call to an update in the schedule of the streams
that advance it. Code generation (`codegen.py`) then only spells the IR as Python. `ntc compile --emit ir` prints it.

Value kinds (`Kind`): "f" a float64 number (floats, ints and bools-as-numbers), "b" a bool, "t" an int64 (timestamps
and durations), "s" an int id (tags, choices, reasons, instruments).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

Kind = str


@dataclass(frozen=True)
class Loc:
    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


# ---------------------------------------------------------------- expressions
@dataclass
class Lit:
    value: object
    kind: Kind


@dataclass
class Load:
    """`array[index]` of a state array."""

    array: str
    index: "Expr"
    kind: Kind


@dataclass
class EventField:
    """A field of the event record being handled: `ev[i].<name>`."""

    name: str
    kind: Kind
    sub: "Expr | None" = None  # a book level: `ev[i].bid_price[sub]`


@dataclass
class Local:
    name: str
    kind: Kind


@dataclass
class Op:
    """An operator whose Python meaning is the language's: + - * on floats and int64, comparisons, and/or/not,
    unary minus, `ifelse`."""

    op: str
    args: list["Expr"]
    kind: Kind


@dataclass
class Call:
    """A call of a runtime op (`ops.div`), a stdlib kernel, a zone table lookup or a user function."""

    func: str
    args: list["Expr"]
    kind: Kind


Expr = Union[Lit, Load, EventField, Local, Op, Call]


# ---------------------------------------------------------------- statements
@dataclass
class Assign:
    target: "Local | Load"
    value: Expr
    loc: Loc | None = None
    copy: bool = False  # a step's store of an event field, dropped when nothing reads it


@dataclass
class Unpack:
    """`a, b, c = call(...)` for a multi-output kernel."""

    targets: list[Local]
    value: Expr
    loc: Loc | None = None


@dataclass
class Do:
    """An expression evaluated for its effect (a ring push, a kernel reset, an element write)."""

    value: Expr
    loc: Loc | None = None


@dataclass
class If:
    cond: Expr
    then: list["Stmt"]
    orelse: list["Stmt"] = field(default_factory=list)
    loc: Loc | None = None


@dataclass
class Loop:
    """`for var in range(lo, hi + 1)`; `var` is an int64 loop counter."""

    var: str
    lo: Expr
    hi: Expr
    body: list["Stmt"]
    loc: Loc | None = None


@dataclass
class Jump:
    """break, continue, or return (with a value in functions; handlers return their intent count)."""

    what: str
    value: Expr | None = None
    loc: Loc | None = None


@dataclass
class Emit:
    """An order intent: `fields` maps INTENT_DTYPE field names to values (the rest take their defaults)."""

    fields: dict[str, Expr]
    loc: Loc | None = None


@dataclass
class LogMsg:
    template: int
    values: list[Expr]
    loc: Loc | None = None
    site: int = 0


@dataclass
class Comment:
    text: str
    loc: Loc | None = None


Stmt = Union[Assign, Unpack, Do, If, Loop, Jump, Emit, LogMsg, Comment]


# ---------------------------------------------------------------- functions and the program
@dataclass
class Function:
    """One generated function. `kind`: "handler" (ev, i, state, ctx, out) -> intents written; "step" (a stream's
    event: update its data, series and calls, then run its handler); "init"; "user" (a pure user function)."""

    name: str
    kind: str
    params: list[str]
    locals: dict[str, Kind]
    body: list[Stmt]
    arrays: list[str] = field(default_factory=list)  # the state arrays it reads or writes
    loc: Loc | None = None
    doc: str = ""
    inlined: bool = False  # a stream handler, compiled into its step


@dataclass
class Program:
    strategy: str
    functions: list[Function]
    globals: dict[str, object] = field(default_factory=dict)  # zone tables: name -> numpy array
    kernels: dict[str, str] = field(default_factory=dict)  # kernel function name -> module
    entry_points: dict[str, str] = field(default_factory=dict)  # "step:btc.bars", "on:fill", ... -> function


# ---------------------------------------------------------------- printing (--emit ir)
def show_expr(e: Expr) -> str:
    if isinstance(e, Lit):
        return repr(e.value) if not isinstance(e.value, float) or e.value == e.value else "na"
    if isinstance(e, Load):
        return f"{e.array}[{show_expr(e.index)}]"
    if isinstance(e, EventField):
        return f"event.{e.name}" + (f"[{show_expr(e.sub)}]" if e.sub is not None else "")
    if isinstance(e, Local):
        return e.name
    if isinstance(e, Op):
        if e.op == "ifelse":
            c, a, b = (show_expr(x) for x in e.args)
            return f"({a} if {c} else {b})"
        if len(e.args) == 1:
            return f"({e.op} {show_expr(e.args[0])})"
        return "(" + f" {e.op} ".join(show_expr(a) for a in e.args) + ")"
    if isinstance(e, Call):
        return f"{e.func}({', '.join(show_expr(a) for a in e.args)})"
    raise TypeError(e)


def show_program(program: Program) -> str:
    lines = [f"program {program.strategy}"]
    for name, fn in program.entry_points.items():
        lines.append(f"  entry {name} -> {fn}")
    for fn in program.functions:
        lines.append("")
        where = f"  ; {fn.loc}" if fn.loc else ""
        local_text = ", ".join(f"{k}:{v}" for k, v in fn.locals.items())
        lines.append(f"{fn.kind} {fn.name}({', '.join(fn.params)}){where}")
        if local_text:
            lines.append(f"  locals {local_text}")
        _show_block(fn.body, 1, lines)
    return "\n".join(lines) + "\n"


def _show_block(stmts: list, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    for st in stmts:
        at = f"  ; {st.loc.line}:{st.loc.col}" if getattr(st, "loc", None) else ""
        if isinstance(st, Assign):
            lines.append(f"{pad}{show_expr(st.target)} = {show_expr(st.value)}{at}")
        elif isinstance(st, Unpack):
            lines.append(f"{pad}{', '.join(t.name for t in st.targets)} = {show_expr(st.value)}{at}")
        elif isinstance(st, Do):
            lines.append(f"{pad}{show_expr(st.value)}{at}")
        elif isinstance(st, If):
            lines.append(f"{pad}if {show_expr(st.cond)}:{at}")
            _show_block(st.then or [], depth + 1, lines)
            if st.orelse:
                lines.append(f"{pad}else:")
                _show_block(st.orelse, depth + 1, lines)
        elif isinstance(st, Loop):
            lines.append(f"{pad}for {st.var} in {show_expr(st.lo)}..{show_expr(st.hi)}:{at}")
            _show_block(st.body, depth + 1, lines)
        elif isinstance(st, Jump):
            lines.append(f"{pad}{st.what}" + (f" {show_expr(st.value)}" if st.value is not None else "") + at)
        elif isinstance(st, Emit):
            args = ", ".join(f"{k}={show_expr(v)}" for k, v in st.fields.items())
            lines.append(f"{pad}emit({args}){at}")
        elif isinstance(st, LogMsg):
            lines.append(f"{pad}log #{st.template}({', '.join(show_expr(v) for v in st.values)}){at}")
        elif isinstance(st, Comment):
            lines.append(f"{pad}# {st.text}")
