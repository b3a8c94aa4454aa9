"""The typed AST of an .nts file: the public, pydantic form of a program.

Every node carries the `Span` of the source text it came from. `strip_spans` gives a position-free
form for comparing programs (the round-trip and formatter tests use it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from .source import Span


class Node(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")

    span: Span


# ---------------------------------------------------------------- expressions

class IntLit(Node):
    kind: Literal["int"] = "int"
    value: int


class FloatLit(Node):
    kind: Literal["float"] = "float"
    value: float


class DurationLit(Node):
    """A duration literal such as `500ms` or `1h30m`, held in nanoseconds."""

    kind: Literal["duration"] = "duration"
    nanos: int
    text: str


class StringLit(Node):
    kind: Literal["string"] = "string"
    value: str


class BoolLit(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class NaLit(Node):
    kind: Literal["na"] = "na"


class Name(Node):
    kind: Literal["name"] = "name"
    id: str


class Attr(Node):
    """`obj.name`: a data field (`btc.close`), an event field (`fill.price`) or an indicator output."""

    kind: Literal["attr"] = "attr"
    obj: Expr
    name: str
    name_span: Span


class Index(Node):
    """`obj[index]`: a history reference on a series, or an element of a `var` array."""

    kind: Literal["index"] = "index"
    obj: Expr
    index: Expr


class KwArg(Node):
    name: str
    value: Expr


class Call(Node):
    kind: Literal["call"] = "call"
    func: Expr
    args: list[Expr] = []
    kwargs: list[KwArg] = []


class Unary(Node):
    kind: Literal["unary"] = "unary"
    op: Literal["-", "+"]
    operand: Expr


class Not(Node):
    kind: Literal["not"] = "not"
    operand: Expr


class Binary(Node):
    kind: Literal["binary"] = "binary"
    op: Literal["+", "-", "*", "/", "//", "%", "**"]
    left: Expr
    right: Expr


class Compare(Node):
    kind: Literal["compare"] = "compare"
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr


class BoolOp(Node):
    kind: Literal["boolop"] = "boolop"
    op: Literal["and", "or"]
    left: Expr
    right: Expr


class Ternary(Node):
    """`then if cond else other`."""

    kind: Literal["ternary"] = "ternary"
    cond: Expr
    then: Expr
    other: Expr


Expr = Annotated[
    Union[IntLit, FloatLit, DurationLit, StringLit, BoolLit, NaLit, Name, Attr, Index, Call,
          Unary, Not, Binary, Compare, BoolOp, Ternary],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- statements

class LValue(Node):
    name: str
    index: Expr | None = None


class Assign(Node):
    kind: Literal["assign"] = "assign"
    target: LValue
    value: Expr


class AugAssign(Node):
    kind: Literal["aug_assign"] = "aug_assign"
    op: Literal["+", "-", "*", "/"]
    target: LValue
    value: Expr


class Branch(Node):
    cond: Expr
    body: list[Stmt]


class If(Node):
    kind: Literal["if"] = "if"
    branches: list[Branch]
    orelse: list[Stmt] | None = None


class For(Node):
    """`for i in start..stop:` with both bounds inclusive."""

    kind: Literal["for"] = "for"
    var: str
    var_span: Span
    start: Expr
    stop: Expr
    body: list[Stmt]


class Return(Node):
    kind: Literal["return"] = "return"
    value: Expr | None = None


class Break(Node):
    kind: Literal["break"] = "break"


class Continue(Node):
    kind: Literal["continue"] = "continue"


class Pass(Node):
    kind: Literal["pass"] = "pass"


ClauseKind = Literal["limit", "stop", "stop_limit", "market_if_touched", "limit_if_touched", "trailing", "tif",
                     "post_only", "reduce_only", "tag", "stop_loss", "take_profit", "oco", "qty"]


class Clause(Node):
    """One order clause: `limit P`, `tif gtd(30m)`, `tag "entry"`, ...

    `word` holds the clause's keyword argument where it has one: the trailing unit (`ticks`, `price`,
    `percent`), the time in force (`gtc`, `ioc`, `fok`, `day`, `gtd`), or the tag / OCO group name.
    """

    kind: ClauseKind
    args: list[Expr] = []
    word: str | None = None


class Order(Node):
    """`buy X qty ...` / `sell X qty ...`."""

    kind: Literal["order"] = "order"
    side: Literal["buy", "sell"]
    instrument: str
    instrument_span: Span
    qty: Expr
    clauses: list[Clause] = []


class Target(Node):
    """`target X qty`: trade towards a signed position."""

    kind: Literal["target"] = "target"
    instrument: str
    instrument_span: Span
    qty: Expr
    clauses: list[Clause] = []


class Modify(Node):
    kind: Literal["modify"] = "modify"
    tag: str
    clauses: list[Clause] = []


class Close(Node):
    """`close X` flattens one instrument, `close all` every one (instrument is None)."""

    kind: Literal["close"] = "close"
    instrument: str | None
    instrument_span: Span | None = None
    clauses: list[Clause] = []


class Cancel(Node):
    """`cancel all`, `cancel X` (an instrument's orders) or `cancel "tag"`."""

    kind: Literal["cancel"] = "cancel"
    scope: Literal["all", "instrument", "tag"]
    name: str | None = None


class Record(Node):
    kind: Literal["record"] = "record"
    name: str
    value: Expr


class LogPart(Node):
    """A piece of a log message: literal text, or an interpolated `{expr}` / `{expr:.N}`."""

    text: str | None = None
    expr: Expr | None = None
    decimals: int | None = None


class Log(Node):
    kind: Literal["log"] = "log"
    parts: list[LogPart]


Stmt = Annotated[
    Union[Assign, AugAssign, If, For, Return, Break, Continue, Pass, Order, Target, Modify, Close, Cancel,
          Record, Log],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- declarations

class Header(Node):
    kind: Literal["header"] = "header"
    name: str
    doc: str | None = None


class Import(Node):
    kind: Literal["import"] = "import"
    path: str


class Timezone(Node):
    kind: Literal["timezone"] = "timezone"
    name: str


ParamType = Literal["int", "float", "bool", "duration", "choice"]
TypeName = Literal["int", "float", "bool", "duration", "timestamp", "string"]


class Param(Node):
    kind: Literal["param"] = "param"
    name: str
    name_span: Span | None = None
    type: ParamType
    default: Expr
    lo: Expr | None = None
    hi: Expr | None = None
    step: Expr | None = None
    choices: list[str] | None = None
    doc: str | None = None


class Instrument(Node):
    kind: Literal["instrument"] = "instrument"
    name: str
    name_span: Span | None = None
    symbol: str


class Data(Node):
    """A data subscription. `stream` is the name its fields are read through: the alias, else the instrument."""

    kind: Literal["data"] = "data"
    instrument: str
    instrument_span: Span
    data: Literal["bars", "quotes", "trades", "book"]
    timeframe: DurationLit | None = None
    depth: int | None = None
    mbo: bool = False
    alias: str | None = None


class Const(Node):
    kind: Literal["const"] = "const"
    name: str
    name_span: Span | None = None
    type: TypeName | None = None
    value: Expr


class Series(Node):
    kind: Literal["series"] = "series"
    name: str
    name_span: Span | None = None
    value: Expr


class Var(Node):
    kind: Literal["var"] = "var"
    name: str
    name_span: Span | None = None
    type: TypeName | None = None
    size: Expr | None = None
    init: Expr | None = None


class FuncParam(Node):
    name: str
    type: TypeName


class Function(Node):
    kind: Literal["def"] = "def"
    name: str
    name_span: Span | None = None
    params: list[FuncParam]
    returns: TypeName
    doc: str | None = None
    body: list[Stmt]


EventKind = Literal["bar", "quote", "trade", "book", "fill", "order", "timer", "start", "stop"]


class Handler(Node):
    kind: Literal["handler"] = "handler"
    event: EventKind
    target: str | None = None
    target_span: Span | None = None
    order_event: Literal["rejected", "canceled", "expired", "denied", "accepted"] | None = None
    interval: Expr | None = None
    body: list[Stmt]


Decl = Annotated[
    Union[Header, Import, Timezone, Param, Instrument, Data, Const, Series, Var, Function, Handler],
    Field(discriminator="kind"),
]


class Module(BaseModel):
    """One parsed file: a strategy, or a library of `def`s and `const`s brought in by `import`."""

    path: str
    items: list[Decl]

    @property
    def header(self) -> Header | None:
        return next((d for d in self.items if isinstance(d, Header)), None)


for _model in list(globals().values()):
    if isinstance(_model, type) and issubclass(_model, BaseModel) and _model is not BaseModel:
        _model.model_rebuild()


def strip_spans(value: Any) -> Any:
    """A plain, position-free form of an AST (or any part of one) for equality checks."""
    if isinstance(value, Module):
        return {"items": strip_spans(value.items)}
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: strip_spans(v) for k, v in value.items() if not k.endswith("span")}
    if isinstance(value, list):
        return [strip_spans(v) for v in value]
    return value
