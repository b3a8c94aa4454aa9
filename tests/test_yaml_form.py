"""The YAML form (`*.nts.yaml`): same AST as the text form, positions in the YAML file, errors never raise."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nts.compiler.frontend import check_file
from nts.dsl import ast
from nts.dsl.diagnostics import Diagnostics, render
from nts.dsl.parser import parse_source
from nts.dsl.source import SourceFile
from nts.dsl.yaml_form import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "rsi_reversion.nts.yaml"

FULL_YAML = textwrap.dedent('''\
    strategy: Everything
    doc: "Every part of the YAML form."
    imports: []
    timezone: "America/New_York"
    params:
      length: {type: int, default: 14, range: [2, 100], step: 1, doc: "RSI length"}
      band: {type: float, default: 1.5, range: [0.5, 3.0], step: 0.5}
      use_stop: {type: bool, default: true}
      cooldown: {type: duration, default: 5m, range: [1m, 1h]}
      mode: {type: choice, default: "fast", choices: ["fast", "slow"], doc: "Entry style"}
    instruments:
      spy: "SPY.ARCA"
      qqq: 'QQQ.NASDAQ'
    data:
      - {instrument: spy, bars: 1d}
      - {instrument: spy, bars: 1w, as: weekly}
      - {instrument: spy, quotes: true}
      - {instrument: spy, trades: true}
      - {instrument: qqq, book: {depth: 10}}
      - {instrument: qqq, quotes: true}
      - instrument: qqq
        book: mbo
        as: qqq_orders
    consts:
      oversold: 30
      overbought: {type: float, value: 70}
    series:
      r: "rsi(spy.close, length)"
      trend: sma(weekly.close, 10)
      spread: "qqq.ask - qqq.bid"
    vars:
      entries: {type: int, init: 0}
      last_price: "0.0"
      closes: {type: float, size: 20}
      armed: {type: bool}
    rules:
      - on: "bar spy"
        when: "r < oversold and position(spy) == 0 and mode == \\"fast\\""
        do: "buy spy 10 tag \\"entry\\" limit spy.close - band tif gtd(cooldown)"
      - on: fill
        do: ['log "filled {fill.qty} at {fill.price:.2}"', "entries += 1"]
      - on: "bar spy"
        when: "r > overbought or spy.close < trend"
        do:
          - close spy
          - cancel all
      - on: "bar spy"
        do: "last_price = spy.close"
      - on: "timer 1h"
        when: use_stop and spread > 0
        do: 'sell qqq 1 limit qqq.ask + 2 stop_loss qqq.bid - 1 oco "bracket"'
      - on: "order rejected"
        do: ["armed = false", "record rejections = entries"]
      - on: start
        do: "closes[0] = 0.0"
''')

FULL_TEXT = textwrap.dedent('''\
    strategy Everything
        "Every part of the YAML form."
    timezone "America/New_York"
    param length: int = 14 in 2..100 step 1 "RSI length"
    param band: float = 1.5 in 0.5..3.0 step 0.5
    param use_stop: bool = true
    param cooldown: duration = 5m in 1m..1h
    param mode: choice = "fast" in ["fast", "slow"] "Entry style"
    instrument spy = "SPY.ARCA"
    instrument qqq = "QQQ.NASDAQ"
    data spy bars 1d
    data spy bars 1w as weekly
    data spy quotes
    data spy trades
    data qqq book depth 10
    data qqq quotes
    data qqq book mbo as qqq_orders
    const oversold = 30
    const overbought: float = 70
    series r = rsi(spy.close, length)
    series trend = sma(weekly.close, 10)
    series spread = qqq.ask - qqq.bid
    var entries: int = 0
    var last_price = 0.0
    var closes: float[20]
    var armed: bool

    on bar spy:
        if r < oversold and position(spy) == 0 and mode == "fast":
            buy spy 10 tag "entry" limit spy.close - band tif gtd(cooldown)
        if r > overbought or spy.close < trend:
            close spy
            cancel all
        last_price = spy.close

    on fill:
        log "filled {fill.qty} at {fill.price:.2}"
        entries += 1

    on timer 1h:
        if use_stop and spread > 0:
            sell qqq 1 limit qqq.ask + 2 stop_loss qqq.bid - 1 oco "bracket"

    on order rejected:
        armed = false
        record rejections = entries

    on start:
        closes[0] = 0.0
''')


def read_yaml(text: str, path: str = "s.nts.yaml") -> tuple[ast.Module, Diagnostics]:
    diags = Diagnostics()
    return parse_yaml(text, path, diags), diags


def check_yaml(tmp_path: Path, text: str):
    path = tmp_path / "s.nts.yaml"
    path.write_text(text, encoding="utf-8")
    return check_file(path)


def col_of(text: str, line: int, needle: str) -> int:
    """The 1-based column of `needle` on a 1-based line of `text`."""
    return text.split("\n")[line - 1].index(needle) + 1


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def all_spans(value):
    if isinstance(value, ast.Span):
        yield value
    elif isinstance(value, ast.BaseModel):
        for name in type(value).model_fields:
            yield from all_spans(getattr(value, name))
    elif isinstance(value, list):
        for v in value:
            yield from all_spans(v)


# ---------------------------------------------------------------- same AST as the text form

def test_yaml_and_text_forms_give_the_same_ast():
    module, diags = read_yaml(FULL_YAML)
    assert diags.items == []
    text_diags = Diagnostics()
    text_module = parse_source(FULL_TEXT, "s.nts", text_diags)
    assert text_diags.items == []
    assert ast.strip_spans(module.items) == ast.strip_spans(text_module.items)


@pytest.mark.parametrize("event", ["bar spy", "quote spy", "trade spy", "book qqq", "fill", "order canceled",
                                   "timer 1h30m", "start", "stop"])
def test_every_event_gives_the_handler_of_the_text_form(event):
    module, diags = read_yaml(f"rules:\n  - {{on: '{event}', do: pass}}\n")
    assert diags.items == []
    text_module = parse_source(f"on {event}:\n    pass\n", "s.nts", Diagnostics())
    assert ast.strip_spans(module.items) == ast.strip_spans(text_module.items)


def test_rules_with_the_same_event_merge_into_one_handler_in_order():
    module, _ = read_yaml(FULL_YAML)
    handlers = [d for d in module.items if isinstance(d, ast.Handler)]
    assert [(h.event, h.target) for h in handlers] == [("bar", "spy"), ("fill", None), ("timer", None),
                                                      ("order", None), ("start", None)]
    bar = handlers[0]
    assert [s.kind for s in bar.body] == ["if", "if", "assign"]
    assert bar.span.line == line_of(FULL_YAML, 'on: "bar spy"')
    assert bar.target_span.col == col_of(FULL_YAML, bar.span.line, "spy")


def test_every_span_lies_in_the_yaml_file():
    module, _ = read_yaml(FULL_YAML)
    source = SourceFile("s.nts.yaml", FULL_YAML)
    for span in all_spans(module.items):
        assert span.path == "s.nts.yaml"
        assert 1 <= span.line <= span.end_line <= source.line_count
        assert 1 <= span.col and span.end_col <= len(source.line_text(span.end_line)) + 1
        assert (span.end_line, span.end_col) > (span.line, span.col)


def test_expression_spans_point_at_their_text_in_the_yaml_line():
    module, _ = read_yaml(FULL_YAML)
    source = SourceFile("s.nts.yaml", FULL_YAML)

    def text_at(node_or_span):
        span = getattr(node_or_span, "span", node_or_span)
        return source.line_text(span.line)[span.col - 1:span.end_col - 1]

    series = {d.name: d for d in module.items if isinstance(d, ast.Series)}
    assert text_at(series["r"].value) == "rsi(spy.close, length)"  # quoted
    assert text_at(series["trend"].value) == "sma(weekly.close, 10)"  # plain
    handler = next(d for d in module.items if isinstance(d, ast.Handler))
    order = handler.body[0].branches[0].body[0]
    # After the escaped quotes of `tag \"entry\"`, columns still match the file.
    assert text_at(order.clauses[0]) == 'tag \\"entry\\"'
    assert text_at(order.clauses[1]) == "limit spy.close - band"
    assert text_at(order.clauses[2]) == "tif gtd(cooldown)"
    data = [d for d in module.items if isinstance(d, ast.Data)]
    assert text_at(data[0].timeframe) == "1d"
    assert text_at(data[0].instrument_span) == "spy"
    mode = next(d for d in module.items if isinstance(d, ast.Param) and d.name == "mode")
    assert text_at(mode.default) == "fast"


# ---------------------------------------------------------------- the checker accepts it

def test_check_file_on_the_yaml_form_has_no_errors(tmp_path):
    result = check_yaml(tmp_path, FULL_YAML)
    assert result.diagnostics.errors == []
    assert result.facts is not None and result.facts.strategy == "Everything"


def test_the_example_checks_clean():
    result = check_file(EXAMPLE)
    assert result.diagnostics.items == []


def test_ntc_check_on_the_example_exits_0():
    ntc = Path(sys.executable).parent / "ntc"
    done = subprocess.run([str(ntc), "check", str(EXAMPLE)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors, 0 warnings" in done.stderr


# ---------------------------------------------------------------- errors point into the YAML file

RULE_FILE = textwrap.dedent('''\
    strategy: Bad
    instruments:
      spy: "SPY.ARCA"
    data:
      - {instrument: spy, bars: 1d}
    rules:
      - on: "bar spy"
        when: "spy.close > > 3"
        do: "buy spy 1"
''')


def test_bad_expression_in_when_is_reported_at_its_yaml_column():
    _, diags = read_yaml(RULE_FILE)
    (d,) = diags.items
    assert d.code == "E0001"
    assert (d.span.line, d.span.col) == (8, col_of(RULE_FILE, 8, "> 3"))


def test_unknown_name_in_when_is_reported_at_its_yaml_position(tmp_path):
    text = RULE_FILE.replace("spy.close > > 3", "spy.close > limt")
    result = check_yaml(tmp_path, text)
    (d,) = result.diagnostics.errors
    assert d.code == "E0101" and "limt" in d.message
    assert (d.span.line, d.span.col, d.span.end_col) == (8, col_of(text, 8, "limt"), col_of(text, 8, "limt") + 4)


def test_rendered_diagnostic_shows_the_yaml_line_with_the_caret_under_the_name(tmp_path):
    text = RULE_FILE.replace("spy.close > > 3", "spy.close > limt")
    result = check_yaml(tmp_path, text)
    (d,) = result.diagnostics.errors
    shown = render(d, result.sources[d.span.path]).split("\n")
    assert shown[0].endswith(f":8:{col_of(text, 8, 'limt')}: error[E0101]: unknown name `limt`")
    assert shown[2] == '8 |     when: "spy.close > limt"'
    caret = shown[3]
    assert caret.index("^") == shown[2].index("limt") and caret.count("^") == 4


def test_columns_after_escapes_in_double_quoted_scalars_are_exact():
    text = RULE_FILE.replace("> > 3", "> 3").replace('do: "buy spy 1"', 'do: "buy spy 1 tag \\"a\\" limti 3"')
    _, diags = read_yaml(text)
    (d,) = diags.items
    assert d.code == "E0001" and "limti" in d.message
    assert (d.span.line, d.span.col) == (9, col_of(text, 9, "limti"))


def test_columns_in_single_quoted_scalars_are_exact(tmp_path):
    # `''` is one quote in the value but two columns in the file; `{zz}` is parsed inside the log message.
    text = RULE_FILE.replace("> > 3", "> 3").replace('do: "buy spy 1"', "do: 'log \"it''s {zz}\"'")
    result = check_yaml(tmp_path, text)
    (d,) = result.diagnostics.errors
    assert d.code == "E0101"
    assert (d.span.line, d.span.col) == (9, col_of(text, 9, "zz"))


def test_event_errors_point_inside_the_on_value(tmp_path):
    text = RULE_FILE.replace('on: "bar spy"', 'on: "bar sdy"').replace("> > 3", "> 3")
    result = check_yaml(tmp_path, text)
    (d,) = result.diagnostics.errors
    assert d.code == "E0101" and (d.span.line, d.span.col) == (7, col_of(text, 7, "sdy"))
    _, diags = read_yaml(RULE_FILE.replace('on: "bar spy"', 'on: "bra spy"').replace("> > 3", "> 3"))
    (d,) = diags.items
    assert d.code == "E0001" and d.help == "did you mean `bar`?" and d.span.col == col_of(text, 7, "bar")


def test_timer_interval_is_parsed_in_place():
    module, diags = read_yaml(RULE_FILE.replace('on: "bar spy"', 'on: "timer  90s"').replace("> > 3", "> 3"))
    assert diags.items == []
    handler = module.items[-1]
    assert handler.event == "timer" and handler.interval.nanos == 90_000_000_000
    assert handler.interval.span.col == col_of(RULE_FILE, 7, "bar") + 7


def test_yaml_syntax_error_is_reported_at_its_line():
    text = RULE_FILE.replace("  - {instrument: spy, bars: 1d}", "  - {instrument: spy, bars: 1d")
    module, diags = read_yaml(text)
    (d,) = diags.items
    assert d.code == "E0001" and d.message.startswith("invalid YAML")
    assert d.span.line == 6  # where the parser found the flow mapping unclosed
    assert module.items == []


def test_tab_indentation_is_a_diagnostic():
    _, diags = read_yaml("strategy: X\ninstruments:\n\tspy: 'SPY'\n")
    (d,) = diags.items
    assert d.code == "E0001" and d.span.line == 3


@pytest.mark.parametrize("text, code, line, message", [
    ("strategy: X\nparams: [1, 2]\n", "E0001", 2, "`params` is a mapping"),
    ("strategy: X\nparamz: {}\n", "E0001", 2, "unknown key `paramz`"),
    ("strategy: X\nparams:\n  n: {default: 3}\n", "E0114", 3, "needs a `type`"),
    ("strategy: X\nparams:\n  n: {type: integer, default: 3}\n", "E0114", 3, "not a param type"),
    ("strategy: X\nparams:\n  n: {type: int}\n", "E0114", 3, "needs a `default`"),
    ("strategy: X\nparams:\n  n: {type: int, default: 3, range: [1]}\n", "E0114", 3, "two values"),
    ("strategy: X\nparams:\n  n: 3\n", "E0001", 3, "is a mapping"),
    ("strategy: X\ninstruments:\n  spy: [a]\n", "E0001", 3, "venue symbol"),
    ("strategy: X\ninstruments:\n  2x: 'A'\n", "E0114", 3, "not a valid name"),
    ("strategy: X\ndata:\n  - {instrument: spy}\n", "E0114", 3, "exactly one of"),
    ("strategy: X\ndata:\n  - {instrument: spy, bars: 1d, quotes: true}\n", "E0114", 3, "exactly one of"),
    ("strategy: X\ndata:\n  - {instrument: spy, bars: 5}\n", "E0114", 3, "timeframe"),
    ("strategy: X\ndata:\n  - {instrument: spy, quotes: false}\n", "E0114", 3, "quotes: true"),
    ("strategy: X\ndata:\n  - {instrument: spy, book: 5}\n", "E0114", 3, "`book` is"),
    ("strategy: X\ndata:\n  - {instrument: spy, book: {depth: 1.5}}\n", "E0009", 3, "whole number"),
    ("strategy: X\ndata: {instrument: spy}\n", "E0001", 2, "`data` is a list"),
    ("strategy: X\nvars:\n  a: {size: 3}\n", "E0114", 3, "needs a `type`"),
    ("strategy: X\nvars:\n  a: {type: array}\n", "E0114", 3, "not a type"),
    ("strategy: X\nconsts:\n  a: {type: int}\n", "E0114", 3, "needs a `value`"),
    ("strategy: X\nseries:\n  a: {x: 1}\n", "E0001", 3, "single value"),
    ("strategy: X\nrules:\n  - {on: 'bar spy'}\n", "E0114", 3, "needs `do`"),
    ("strategy: X\nrules:\n  - {on: 'fill', do: []}\n", "E0114", 3, "at least one statement"),
    ("strategy: X\nrules:\n  - {on: 'fill x', do: 'pass'}\n", "E0001", 3, "takes nothing"),
    ("strategy: X\nrules:\n  - {on: 'bar ', do: 'pass'}\n", "E0001", 3, "needs the name"),
    ("strategy: X\nrules:\n  - {on: 'timer ', do: 'pass'}\n", "E0001", 3, "needs an interval"),
    ("strategy: X\nrules:\n  - {on: [fill], do: 'pass'}\n", "E0001", 3, "single value"),
    ("strategy: X\nrules:\n  - {on: 'order lost', do: 'pass'}\n", "E0001", 3, "`on: order` needs"),
    ("strategy: X\nrules:\n  - {on: 'bar', do: 'pass'}\n", "E0001", 3, "needs the name"),
    ("strategy: X\nrules:\n  - {on: fill, do: 'if x: pass'}\n", "E0001", 3, "unexpected"),
    ("strategy: X\nrules:\n  - on: fill\n    do: |\n      pass\n", "E0001", 4, "one line"),
    ("strategy: X\nrules:\n  - on: fill\n    when: a >\n      b\n    do: pass\n", "E0001", 4, "one line"),
    ("strategy: X\nrules: {on: fill}\n", "E0001", 2, "`rules` is a list"),
    ("strategy: X\nstrategy: Y\n", "E0102", 2, "given twice"),
    ("strategy: 'my strategy'\n", "E0114", 1, "not a valid name"),
    ("- strategy: X\n", "E0001", 1, "a YAML strategy is a mapping"),
    ("", "E0001", 1, "the file is empty"),
    ("strategy: X\ntimezone:\n", "E0001", 2, "is empty"),
])
def test_wrong_shapes_are_diagnostics_not_exceptions(text, code, line, message):
    _, diags = read_yaml(text)
    assert diags.items, "expected a diagnostic"
    d = diags.items[0]
    assert (d.code, d.span.line) == (code, line), d
    assert message in d.message, d.message


def test_unknown_key_suggests_the_closest_one():
    _, diags = read_yaml("strategy: X\nparams:\n  n: {type: int, defualt: 3}\n")
    assert diags.items[0].help == "did you mean `default`?"
    assert (diags.items[0].span.line, diags.items[0].span.col) == (3, 18)


def test_deep_nesting_is_reported_not_raised():
    deep = "strategy: X\nseries:\n  a: " + "[" * 5000 + "]" * 5000 + "\n"
    _, diags = read_yaml(deep)
    assert [d.code for d in diags.items] == ["E0007"]
    long = "strategy: X\nseries:\n  a: " + " + ".join(["1"] * 3000) + "\n"
    _, diags = read_yaml(long)
    assert [(d.code, d.span.line, d.span.col) for d in diags.items] == [("E0007", 3, 6)]


def test_an_empty_section_declares_nothing():
    module, diags = read_yaml("strategy: X\nparams:\nrules:\n")
    assert diags.items == []
    assert [d.kind for d in module.items] == ["header"]


def test_anchors_and_aliases_are_read_through(tmp_path):
    text = RULE_FILE.replace('do: "buy spy 1"', 'do: &entry "buy spy 1"').replace("> > 3", "> 3") + \
        '  - {on: "bar spy", do: *entry}\n'
    module, diags = read_yaml(text)
    assert diags.items == []
    (handler,) = [d for d in module.items if isinstance(d, ast.Handler)]
    assert [s.kind for s in handler.body] == ["if", "order"]


def test_check_file_reads_a_yml_path_too(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(RULE_FILE.replace("> > 3", "> 3"), encoding="utf-8")
    assert check_file(path).diagnostics.errors == []
