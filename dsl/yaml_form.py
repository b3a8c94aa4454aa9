"""The YAML form of a strategy (`*.nts.yaml`), for strategies that other tools generate.

It maps onto the same AST as the .nts text form: a YAML file and the .nts file it stands for give equal ASTs
under `ast.strip_spans`, and every span and diagnostic points at the YAML file's own line and column.

    strategy: RsiReversion                       # `strategy RsiReversion`
    doc: "Buys oversold dips, sells overbought rips."
    timezone: "America/New_York"                 # optional
    imports: ["lib/signals.nts"]                 # optional
    params:
      length: {type: int, default: 14, range: [2, 100], step: 1, doc: "RSI length"}
      mode: {type: choice, default: "fast", choices: ["fast", "slow"]}
    instruments:
      spy: "SPY.ARCA"
    data:
      - {instrument: spy, bars: 1d}
      - {instrument: spy, bars: 1w, as: weekly}
      - {instrument: spy, quotes: true}          # also `trades: true`, `book: {depth: 10}`, `book: mbo`
    consts:
      oversold: 30                               # or {type: float, value: 30}
    series:
      r: "rsi(spy.close, length)"
    vars:
      entries: {type: int, init: 0}              # also `size: 20` for an array; `count: 0` is `var count = 0`
    rules:
      - on: "bar spy"                            # the event, as after `on` in .nts: "fill", "timer 1h", ...
        when: "r < oversold and position(spy) == 0"
        do: "buy spy 10 tag \\"entry\\""           # one statement, or a list of them
      - on: "bar spy"
        when: "r > 70"
        do: ["close spy", "entries += 1"]

The declarations come out in the order of the keys above (header, imports, time zone, params, instruments,
data, consts, series, vars, handlers), whatever their order in the file.

Values:
  * Expressions (`default`, `range`, `step`, const and series values, var `size` and `init`, `when`) and
    statements (each `do` entry: an assignment, an action with its clauses, `record`, `log`, ...) are NTS text,
    on one line, as a plain or quoted YAML scalar; block scalars (`|`, `>`) are refused. A string inside an
    expression keeps its NTS quotes: `do: 'log "entry"'`.
  * `bars` is a duration literal (`1d`); `book` is `mbo` or `{depth: N}`; `quotes` and `trades` are `true`.
  * Plain strings, without NTS quotes: `strategy`, `doc`, `timezone`, `imports`, instrument symbols, param
    `type`, `doc` and `choices`, and a choice param's `default`.
  * Rules with the same `on` become ONE handler, in file order: a rule with `when` is an `if` holding its `do`
    statements, a rule without `when` contributes its statements as they are. There is no `elif`/`else`, `for`
    or `def` in this form; a ternary or a second rule covers most needs.

Errors never raise: invalid YAML, a wrong shape (a list where a mapping belongs, an unknown key, a missing
`type`) and NTS syntax errors inside values become diagnostics at the YAML position. Anchors and aliases work
(the composed node graph shares nodes); merge keys (`<<`) do not.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import yaml
from pydantic import BaseModel

from . import ast
from .diagnostics import Diagnostics, did_you_mean
from .parser import parse_embedded
from .source import SourceFile, Span

# The top-level keys, in the order their declarations take in the AST.
TOP_KEYS = ("strategy", "doc", "imports", "timezone", "params", "instruments", "data", "consts", "series", "vars",
            "rules")
PARAM_KEYS = ("type", "default", "range", "step", "choices", "doc")
PARAM_TYPES = ("int", "float", "bool", "duration", "choice")
TYPE_NAMES = ("int", "float", "bool", "duration", "timestamp", "string")
DATA_KEYS = ("instrument", "bars", "quotes", "trades", "book", "as")
DATA_KINDS = ("bars", "quotes", "trades", "book")
RULE_KEYS = ("on", "when", "do")
STREAM_EVENTS = ("bar", "quote", "trade", "book")
EVENTS = (*STREAM_EVENTS, "fill", "order", "timer", "start", "stop")
ORDER_EVENTS = ("rejected", "canceled", "expired", "denied", "accepted")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
# Extra source characters taken by a double-quoted escape after the backslash and its letter.
_ESCAPE_DIGITS = {"x": 2, "u": 4, "U": 8}

Move = Callable[[Span], Span]


def parse_yaml(text: str, path: str, diagnostics: Diagnostics) -> ast.Module:
    """The AST of a `*.nts.yaml` file. Problems go to `diagnostics`; what could be read is still returned."""
    try:
        return _Reader(text, path, diagnostics).module()
    except RecursionError:
        diagnostics.add("E0007", "the YAML document is nested too deeply", Span(path=path, line=1, col=1, end_line=1,
                                                                                end_col=2),
                        "a strategy needs only a few levels: keys, lists of rules, flow mappings")
        return ast.Module(path=path, items=[])


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a single value"


def _remap(value: Any, move: Move) -> Any:
    """`value` (an AST part) with every span moved by `move`; nodes are updated in place."""
    if isinstance(value, Span):
        return move(value)
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            setattr(value, name, _remap(getattr(value, name), move))
        return value
    if isinstance(value, list):
        return [_remap(v, move) for v in value]
    return value


class _Reader:
    def __init__(self, text: str, path: str, diagnostics: Diagnostics):
        self.text = text
        self.path = path
        self.diags = diagnostics
        self.source = SourceFile(path, text)

    # ------------------------------------------------------------ positions
    def _span(self, start: yaml.Mark, end: yaml.Mark) -> Span:
        line, col = start.line + 1, start.column + 1
        end_line, end_col = end.line + 1, end.column + 1
        # A block collection ends where the next key starts, often lines further on: end it on its own last line.
        while end_line > line and end_col == 1:
            end_line -= 1
            end_col = len(self.source.line_text(end_line).rstrip()) + 1
        if end_line == line and end_col <= col:
            end_col = col + 1
        return Span(path=self.path, line=line, col=col, end_line=end_line, end_col=end_col)

    def node_span(self, node: yaml.Node) -> Span:
        return self._span(node.start_mark, node.end_mark)

    def entry_span(self, key: yaml.Node, value: yaml.Node) -> Span:
        return self._span(key.start_mark, value.end_mark)

    def _offsets(self, node: yaml.ScalarNode) -> list[int]:
        """For each character of a one-line scalar's value (and one past its end), its column offset in the file
        from the first character of the scalar's content. Escapes make the two differ in quoted scalars."""
        value = node.value
        if node.style not in ('"', "'"):
            return list(range(len(value) + 1))
        raw = self.text[node.start_mark.index + 1:node.end_mark.index - 1]
        offsets, i = [], 0
        while i < len(raw):
            offsets.append(i)
            if node.style == "'":
                i += 2 if raw.startswith("''", i) else 1
            elif raw[i] == "\\":
                i += 2 + _ESCAPE_DIGITS.get(raw[i + 1:i + 2], 0)
            else:
                i += 1
        offsets.append(len(raw))
        if len(offsets) != len(value) + 1:  # a form this scan does not know: better a slightly-off caret than none
            return list(range(len(value) + 1))
        return offsets

    def _mover(self, node: yaml.ScalarNode, start: int = 0) -> Move:
        """Moves a span in `node.value[start:]` parsed on its own (line 1, col 1) to its place in the file."""
        line = node.start_mark.line + 1
        col = node.start_mark.column + 1 + (node.style in ('"', "'"))
        offsets = self._offsets(node)
        size = len(node.value)

        def column(snippet_line: int, snippet_col: int) -> int:
            i = size if snippet_line > 1 else start + snippet_col - 1
            return col + (offsets[i] if i <= size else offsets[-1] + i - size)

        def move(span: Span) -> Span:
            return Span(path=self.path, line=line, col=column(span.line, span.col), end_line=line,
                        end_col=column(span.end_line, span.end_col))
        return move

    def sub_span(self, node: yaml.ScalarNode, start: int, end: int) -> Span:
        """The span of `node.value[start:end]` in the file."""
        probe = Span(path=self.path, line=1, col=1, end_line=1, end_col=end - start + 1)
        return self._mover(node, start)(probe)

    def content_span(self, node: yaml.ScalarNode) -> Span:
        """The span of a scalar's text, without its quotes."""
        if node.start_mark.line != node.end_mark.line:
            return self.node_span(node)
        return self.sub_span(node, 0, len(node.value))

    # ------------------------------------------------------------ reporting and shapes
    def error(self, code: str, message: str, where: yaml.Node | Span, help: str | None = None) -> None:
        span = where if isinstance(where, Span) else self.node_span(where)
        self.diags.add(code, message, span, help)

    def scalar(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error("E0001", f"{what} is a single value, not {_kind(node)}", node)
            return None
        if node.tag == _NULL_TAG:
            self.error("E0001", f"{what} is empty", node)
            return None
        return node.value

    def name(self, node: yaml.Node, what: str) -> str | None:
        value = self.scalar(node, what)
        if value is not None and not _NAME.fullmatch(value):
            self.error("E0114", f"`{value}` is not a valid name for {what}", node,
                       "a name is letters, digits and `_`, and does not start with a digit")
            return None
        return value

    def key_name(self, key: yaml.Node) -> str | None:
        if not isinstance(key, yaml.ScalarNode):
            self.error("E0001", f"a key is a plain name, not {_kind(key)}", key)
            return None
        return key.value

    def fields(self, node: yaml.Node, allowed: tuple[str, ...], what: str) -> dict[str, tuple] | None:
        """{key: (key node, value node)} of a mapping whose keys must be among `allowed`; None if not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.error("E0001", f"{what} is a mapping with the keys {', '.join(allowed)}; found {_kind(node)}",
                       node)
            return None
        found: dict[str, tuple] = {}
        for key, value in node.value:
            name = self.key_name(key)
            if name is None:
                continue
            if name not in allowed:
                hint = did_you_mean(name, allowed)
                self.error("E0001", f"unknown key `{name}` in {what}", key,
                           f"did you mean `{hint}`?" if hint else
                           "merge keys are not supported; write the keys out" if name == "<<" else
                           "the keys are " + ", ".join(allowed))
            elif name in found:
                self.error("E0102", f"`{name}` is given twice in {what}", key,
                           f"the first one is at line {found[name][0].start_mark.line + 1}")
            else:
                found[name] = (key, value)
        return found

    def entries(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """(name, key node, value node) of a `name: declaration` mapping such as `params`."""
        if not isinstance(node, yaml.MappingNode):
            self.error("E0001", f"`{what}` is a mapping from names to declarations; found {_kind(node)}", node)
            return []
        out = []
        for key, value in node.value:
            name = self.name(key, f"an entry of `{what}`")
            if name is not None:
                out.append((name, key, value))
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.error("E0001", f"`{what}` is a list; found {_kind(node)}", node)
            return []
        return node.value

    # ------------------------------------------------------------ NTS text inside values
    def parse(self, node: yaml.Node, start: str, what: str, offset: int = 0):
        """The expression (`expr_input`) or statement (`stmt_input`) in a scalar, from `offset` on; None (with
        diagnostics at their YAML positions) when it does not parse."""
        if self.scalar(node, what) is None:
            return None
        if node.style in ("|", ">") or node.start_mark.line != node.end_mark.line:
            self.error("E0001", f"{what} must be written on one line", node,
                       "use a plain or quoted scalar, not a block (`|`, `>`) or a wrapped line")
            return None
        move = self._mover(node, offset)
        local = Diagnostics()
        try:
            result = parse_embedded(node.value[offset:], Span(path=self.path, line=1, col=1, end_line=1, end_col=2),
                                    start, local)
            result = _remap(result, move) if result is not None else None
        except RecursionError:
            self.error("E0007", f"{what} is nested too deeply", node,
                       "split it into several `series` or local variables")
            return None
        for d in local.items:
            self.diags.add(d.code, d.message, move(d.span), d.help)
        return result

    def expr(self, node: yaml.Node, what: str):
        return self.parse(node, "expr_input", what)

    # ------------------------------------------------------------ the file
    def module(self) -> ast.Module:
        empty = ast.Module(path=self.path, items=[])
        root = self._compose()
        if root is None:
            return empty
        sections = self.fields(root, TOP_KEYS, "a YAML strategy")
        if sections is None:
            return empty
        items: list = []
        header = self._header(sections)
        if header is not None:
            items.append(header)
        named = {"params": self._param, "instruments": self._instrument, "consts": self._const,
                 "series": self._series, "vars": self._var}
        others = {"imports": self._imports, "timezone": self._timezone, "data": self._data_list,
                  "rules": self._handlers}
        for section in TOP_KEYS[2:]:
            if section not in sections:
                continue
            key, value = sections[section]
            if value.tag == _NULL_TAG and section != "timezone":  # `params:` with nothing under it: none
                continue
            if section in named:
                items.extend(self._declarations(section, value, named[section]))
            else:
                items.extend(others[section](key, value))
        return ast.Module(path=self.path, items=items)

    def _compose(self) -> yaml.Node | None:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = min(mark.line + 1, self.source.line_count) if mark else 1
            col = mark.column + 1 if mark and mark.line + 1 == line else 1
            help_text = None
            if exc.context and exc.context_mark and exc.context_mark is not mark:
                help_text = f"{exc.context} at line {exc.context_mark.line + 1}"
            self.error("E0001", f"invalid YAML: {exc.problem or exc.context or 'syntax error'}",
                       Span(path=self.path, line=line, col=col, end_line=line, end_col=col + 1), help_text)
            return None
        except yaml.YAMLError as exc:  # a ReaderError: a character YAML does not allow
            line, col = self.source.position(getattr(exc, "position", 0) or 0)
            self.error("E0001", f"invalid YAML: {getattr(exc, 'reason', None) or exc}",
                       Span(path=self.path, line=line, col=col, end_line=line, end_col=col + 1))
            return None
        if root is None:
            self.error("E0001", "the file is empty; a YAML strategy is a mapping with a `strategy:` key",
                       Span(path=self.path, line=1, col=1, end_line=1, end_col=2))
        return root

    def _header(self, sections: dict) -> ast.Header | None:
        if "strategy" not in sections:
            if "doc" in sections:
                self.error("E0001", "`doc` describes the strategy: give its `strategy:` name too",
                           sections["doc"][0])
            return None
        key, value = sections["strategy"]
        name = self.name(value, "the strategy")
        if name is None:
            return None
        doc = None
        if "doc" in sections:
            doc = self.scalar(sections["doc"][1], "`doc`")
        return ast.Header(span=self.entry_span(key, value), name=name, doc=doc)

    def _declarations(self, section: str, node: yaml.Node, read) -> list:
        out = []
        for name, key, value in self.entries(node, section):
            decl = read(name, key, value)
            if decl is not None:
                out.append(decl)
        return out

    # The readers of the sections that are not `name: declaration` mappings: (key, value) -> declarations.
    def _imports(self, key: yaml.Node, value: yaml.Node) -> list[ast.Import]:
        out = []
        for node in self.sequence(value, "imports"):
            path = self.scalar(node, "an import path")
            if path is not None:
                out.append(ast.Import(span=self.node_span(node), path=path))
        return out

    def _timezone(self, key: yaml.Node, value: yaml.Node) -> list[ast.Timezone]:
        name = self.scalar(value, "`timezone`")
        return [ast.Timezone(span=self.entry_span(key, value), name=name)] if name is not None else []

    def _data_list(self, key: yaml.Node, value: yaml.Node) -> list[ast.Data]:
        return [d for d in map(self._data, self.sequence(value, "data")) if d is not None]

    # ------------------------------------------------------------ declarations
    def _param(self, name: str, key: yaml.Node, value: yaml.Node) -> ast.Param | None:
        what = f"param `{name}`"
        f = self.fields(value, PARAM_KEYS, what)
        if f is None:
            return None
        span = self.entry_span(key, value)
        if "type" not in f:
            self.error("E0114", f"{what} needs a `type`: " + ", ".join(PARAM_TYPES), key)
            return None
        ptype = self.scalar(f["type"][1], f"the type of {what}")
        if ptype is None:
            return None
        if ptype not in PARAM_TYPES:
            hint = did_you_mean(ptype, PARAM_TYPES)
            self.error("E0114", f"`{ptype}` is not a param type", f["type"][1],
                       f"did you mean `{hint}`?" if hint else "the types are " + ", ".join(PARAM_TYPES))
            return None
        if "default" not in f:
            self.error("E0114", f"{what} needs a `default`", key)
            return None
        fields: dict[str, Any] = {}
        default_node = f["default"][1]
        if ptype == "choice":  # a choice is written as a plain YAML string, like the `choices`
            text = self.scalar(default_node, f"the default of {what}")
            if text is None:
                return None
            default = ast.StringLit(span=self.content_span(default_node), value=text)
        else:
            default = self.expr(default_node, f"the default of {what}")
            if default is None:
                return None
        if "range" in f:
            bounds = self.sequence(f["range"][1], "range")
            if len(bounds) == 2:
                lo = self.expr(bounds[0], f"the low end of the range of {what}")
                hi = self.expr(bounds[1], f"the high end of the range of {what}")
                if lo is not None and hi is not None:
                    fields.update(lo=lo, hi=hi)
            elif isinstance(f["range"][1], yaml.SequenceNode):
                self.error("E0114", f"the range of {what} is a list of two values, [low, high]", f["range"][1])
        if "step" in f:
            fields["step"] = self.expr(f["step"][1], f"the step of {what}")
        if "choices" in f:
            choices = [self.scalar(n, "a choice") for n in self.sequence(f["choices"][1], "choices")]
            fields["choices"] = [c for c in choices if c is not None]
        if "doc" in f:
            fields["doc"] = self.scalar(f["doc"][1], f"the doc of {what}")
        return ast.Param(span=span, name=name, name_span=self.node_span(key), type=ptype, default=default, **fields)

    def _instrument(self, name: str, key: yaml.Node, value: yaml.Node) -> ast.Instrument | None:
        if not isinstance(value, yaml.ScalarNode):
            self.error("E0001", f"instrument `{name}` takes its venue symbol as a string, as in `\"SPY.ARCA\"`; "
                                f"found {_kind(value)}", value)
            return None
        # An empty symbol is the checker's to report, as in the text form.
        return ast.Instrument(span=self.entry_span(key, value), name=name, name_span=self.node_span(key),
                              symbol=value.value)

    def _data(self, node: yaml.Node) -> ast.Data | None:
        what = "a data entry"
        f = self.fields(node, DATA_KEYS, what)
        if f is None:
            return None
        span = self.node_span(node)
        if "instrument" not in f:
            self.error("E0114", "a data entry needs an `instrument`", node)
            return None
        inst_node = f["instrument"][1]
        instrument = self.name(inst_node, "an instrument")
        kinds = [k for k in DATA_KINDS if k in f]
        if len(kinds) != 1:
            self.error("E0114", "a data entry has exactly one of `bars`, `quotes`, `trades` or `book`",
                       f[kinds[1]][0] if kinds else node,
                       "for example `{instrument: spy, bars: 1d}`; list each subscription on its own")
            return None
        kind = kinds[0]
        kind_node = f[kind][1]
        fields: dict[str, Any] = {"data": kind}
        if kind == "bars":
            timeframe = self.expr(kind_node, "a bar timeframe")
            if timeframe is None:
                return None
            if not isinstance(timeframe, ast.DurationLit):
                self.error("E0114", "`bars` takes a timeframe literal such as `1m` or `1d`", kind_node)
                return None
            fields["timeframe"] = timeframe
        elif kind in ("quotes", "trades"):
            if not (isinstance(kind_node, yaml.ScalarNode) and kind_node.tag == _BOOL_TAG
                    and yaml.SafeLoader.bool_values.get(kind_node.value.lower())):
                self.error("E0114", f"write `{kind}: true` to subscribe to {kind}", kind_node)
                return None
        elif not self._book(kind_node, fields):
            return None
        if "as" in f:
            fields["alias"] = self.name(f["as"][1], "a data alias")
            if fields["alias"] is None:
                return None
        if instrument is None:
            return None
        return ast.Data(span=span, instrument=instrument, instrument_span=self.content_span(inst_node), **fields)

    def _book(self, node: yaml.Node, fields: dict) -> bool:
        """Reads `book: mbo` or `book: {depth: N}` into `fields`; False after a diagnostic."""
        if isinstance(node, yaml.ScalarNode) and node.value == "mbo":
            fields["mbo"] = True
            return True
        f = self.fields(node, ("depth",), "`book`") if isinstance(node, yaml.MappingNode) else {}
        if not f or "depth" not in f:
            self.error("E0114", "`book` is `mbo` (every order) or `{depth: N}` (N price levels)", node)
            return False
        depth = self.scalar(f["depth"][1], "the book depth")
        if depth is None:
            return False
        if not depth.isdigit():
            # As the text form does: report, and keep the subscription so handlers on it still check.
            self.error("E0009", "book depth must be a whole number of levels", f["depth"][1])
            depth = "1"
        fields["depth"] = int(depth)
        return True

    def _const(self, name: str, key: yaml.Node, value: yaml.Node) -> ast.Const | None:
        what = f"const `{name}`"
        ctype = None
        if isinstance(value, yaml.MappingNode):
            f = self.fields(value, ("type", "value"), what)
            if f is None:
                return None
            if "value" not in f:
                self.error("E0114", f"{what} needs a `value`", key)
                return None
            if "type" in f:
                ctype = self._type_name(f["type"][1], what)
                if ctype is None:
                    return None
            value_node = f["value"][1]
        else:
            value_node = value
        expr = self.expr(value_node, f"the value of {what}")
        if expr is None:
            return None
        return ast.Const(span=self.entry_span(key, value), name=name, name_span=self.node_span(key), type=ctype,
                         value=expr)

    def _series(self, name: str, key: yaml.Node, value: yaml.Node) -> ast.Series | None:
        expr = self.expr(value, f"series `{name}`")
        if expr is None:
            return None
        return ast.Series(span=self.entry_span(key, value), name=name, name_span=self.node_span(key), value=expr)

    def _var(self, name: str, key: yaml.Node, value: yaml.Node) -> ast.Var | None:
        what = f"var `{name}`"
        span = self.entry_span(key, value)
        if not isinstance(value, yaml.MappingNode):
            init = self.expr(value, f"the initial value of {what}")
            return ast.Var(span=span, name=name, name_span=self.node_span(key), init=init) if init is not None else None
        f = self.fields(value, ("type", "size", "init"), what)
        if f is None:
            return None
        fields: dict[str, Any] = {}
        if "type" in f:
            fields["type"] = self._type_name(f["type"][1], what)
            if fields["type"] is None:
                return None
        if "size" in f:
            if "type" not in f:
                self.error("E0114", f"an array {what} needs a `type` for its elements", f["size"][0])
                return None
            fields["size"] = self.expr(f["size"][1], f"the size of {what}")
            if fields["size"] is None:
                return None
        if "init" in f:
            fields["init"] = self.expr(f["init"][1], f"the initial value of {what}")
            if fields["init"] is None:
                return None
        return ast.Var(span=span, name=name, name_span=self.node_span(key), **fields)

    def _type_name(self, node: yaml.Node, what: str) -> str | None:
        name = self.scalar(node, f"the type of {what}")
        if name is not None and name not in TYPE_NAMES:
            hint = did_you_mean(name, TYPE_NAMES)
            self.error("E0114", f"`{name}` is not a type", node,
                       f"did you mean `{hint}`?" if hint else "the types are " + ", ".join(TYPE_NAMES))
            return None
        return name

    # ------------------------------------------------------------ rules into handlers
    def _handlers(self, key: yaml.Node, node: yaml.Node) -> list[ast.Handler]:
        handlers: dict[str, ast.Handler] = {}
        for rule in self.sequence(node, "rules"):
            f = self.fields(rule, RULE_KEYS, "a rule")
            if f is None:
                continue
            missing = [k for k in ("on", "do") if k not in f]
            if missing:
                self.error("E0114", "a rule needs " + " and ".join(f"`{k}`" for k in missing), rule,
                           'for example `{on: "bar spy", when: "r < 30", do: "buy spy 10"}`')
            event = self._event(f["on"][1]) if "on" in f else None
            cond = self.expr(f["when"][1], "`when`") if "when" in f else None
            body = self._statements(f["do"][1]) if "do" in f else []
            # A rule that did not read whole is left out, as the text form drops a statement that fails to parse.
            if event is None or not body or ("when" in f and cond is None):
                continue
            span = self.node_span(rule)
            stmts = body if cond is None else [
                ast.If(span=span, branches=[ast.Branch(span=cond.span, cond=cond, body=body)])]
            group = repr(ast.strip_spans(event))
            if group in handlers:
                handler = handlers[group]
                handler.body.extend(stmts)
                handler.span = handler.span.model_copy(update={"end_line": span.end_line, "end_col": span.end_col})
            else:
                handlers[group] = ast.Handler(span=span, body=stmts, **event)
        return list(handlers.values())

    def _statements(self, node: yaml.Node) -> list:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not nodes:
            self.error("E0114", "`do` needs at least one statement", node)
        stmts = [self.parse(n, "stmt_input", "a statement in `do`") for n in nodes]
        return [s for s in stmts if s is not None]

    def _event(self, node: yaml.Node) -> dict | None:
        """The Handler fields for an `on:` value such as `bar spy`, `order rejected` or `timer 1h`."""
        value = self.scalar(node, "`on`")
        if value is None:
            return None
        m = re.fullmatch(r"\s*(\S+)(?:\s+(.*?))?\s*", value)
        if m is None:
            self.error("E0001", "`on` names an event, such as `bar spy`, `fill` or `timer 1h`", node)
            return None
        word, rest = m.group(1), m.group(2) or None
        word_span = self.sub_span(node, m.start(1), m.end(1))
        rest_span = self.sub_span(node, m.start(2), m.end(2)) if rest else None
        if word not in EVENTS:
            hint = did_you_mean(word, EVENTS)
            self.error("E0001", f"unknown event `{word}`", word_span,
                       f"did you mean `{hint}`?" if hint else "the events are " + ", ".join(EVENTS))
            return None
        if word in STREAM_EVENTS:
            if rest is None or not _NAME.fullmatch(rest):
                self.error("E0001", f"`on: {word}` needs the name of an instrument or data alias after it",
                           rest_span or word_span, f"for example `{word} spy`")
                return None
            return {"event": word, "target": rest, "target_span": rest_span}
        if word == "order":
            if rest not in ORDER_EVENTS:
                hint = did_you_mean(rest or "", ORDER_EVENTS)
                self.error("E0001", "`on: order` needs one of " + ", ".join(ORDER_EVENTS) + " after it",
                           rest_span or word_span, f"did you mean `order {hint}`?" if hint else None)
                return None
            return {"event": "order", "order_event": rest}
        if word == "timer":
            if rest is None:
                self.error("E0001", "`on: timer` needs an interval after it", word_span, "for example `timer 1h`")
                return None
            interval = self.parse(node, "expr_input", "the timer interval", offset=m.start(2))
            return {"event": "timer", "interval": interval} if interval is not None else None
        if rest is not None:
            self.error("E0001", f"`on: {word}` takes nothing after it", rest_span)
            return None
        return {"event": word}
