"""`ntc fmt`: one canonical layout, comments kept. Checked on every example, on hand-written layouts and on
generated programs with comments at random places: formatting is idempotent, keeps the AST and keeps every
comment, in order."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nts.dsl import ast
from nts.dsl.diagnostics import Diagnostics
from nts.dsl.formatter import FormatError, format_source, scan_comments
from nts.dsl.parser import parse_source
from nts.dsl.printer import print_expr
from test_roundtrip import expressions

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.nts"))


def parse(text: str) -> ast.Module:
    diags = Diagnostics()
    module = parse_source(text, "<t>", diags)
    assert not diags.has_errors, [f"{d.span.line}:{d.span.col} {d.message}" for d in diags.items]
    return module


def comment_text(text: str) -> str:
    """Every comment's text in order, without spaces (joined trailing comments are one comment after)."""
    return re.sub(r"\s", "", "".join(c.text for c in scan_comments(text.split("\n"))))


def assert_formats(text: str) -> str:
    formatted = format_source(text)
    assert ast.strip_spans(parse(formatted)) == ast.strip_spans(parse(text)), formatted
    assert comment_text(formatted) == comment_text(text), formatted
    assert format_source(formatted) == formatted, formatted
    assert not any(line != line.rstrip() for line in formatted.split("\n"))
    return formatted


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_formatted(path):
    text = path.read_text()
    assert assert_formats(text) == text


MESSY = '''# top comment
strategy   Demo   # trailing on header
    "doc"
param fast : int = 10 in 2..50   # fast
param slow: int=30


instrument btc="BTCUSDT.BINANCE"
data btc bars 1m
# series comment
series f = ema(btc.close,fast)
on bar btc:  # handler
    # leading
    x = ((1+2)+3)


    if x>3 :   # cond
        buy btc (1) limit btc.close - 1 tag "a"   # trailing buy
          # end of if body, indented oddly
    elif x < 2:
        pass
    else:  # else trail
        sell btc 1
    # end of handler
# before fill
on fill:
    log "filled {fill.price:.2}"
# eof
'''

TIDY = '''# top comment
strategy Demo  # trailing on header
    "doc"

param fast: int = 10 in 2..50  # fast
param slow: int = 30

instrument btc = "BTCUSDT.BINANCE"
data btc bars 1m

# series comment
series f = ema(btc.close, fast)

on bar btc:  # handler
    # leading
    x = 1 + 2 + 3

    if x > 3:  # cond
        buy btc 1 limit btc.close - 1 tag "a"  # trailing buy
        # end of if body, indented oddly
    elif x < 2:
        pass
    else:  # else trail
        sell btc 1
    # end of handler

# before fill
on fill:
    log "filled {fill.price:.2}"
# eof
'''


def test_layout_and_comment_placement():
    assert assert_formats(MESSY) == TIDY


def test_code_over_several_lines_is_joined_with_its_comments_at_the_end():
    text = ('strategy S\ninstrument btc = "X"\ndata btc bars 1m\non bar btc:\n'
            '    x = max(btc.close,  # the close\n'
            '            # or the open\n'
            '            btc.open)\n')
    assert assert_formats(text).endswith("    x = max(btc.close, btc.open)  # the close  # or the open\n")


def test_long_orders_put_bracket_legs_and_tif_on_continuation_lines():
    head = 'strategy S\n\ninstrument spy = "SPY"\ndata spy bars 1d\n\non bar spy:\n'
    long = ('    buy spy 10 limit spy.close - 0.25 tag "entry" stop_loss spy.close - 2.5 * spy.high '
            'take_profit spy.close + 5 tif gtd(3d)  # the entry\n')
    assert assert_formats(head + long) == head + (
        '    buy spy 10 limit spy.close - 0.25 tag "entry"\n'
        '        stop_loss spy.close - 2.5 * spy.high\n'
        '        take_profit spy.close + 5\n'
        '        tif gtd(3d)  # the entry\n')
    short = '    buy spy 1 limit spy.close\n        tag "x"\n'
    assert assert_formats(head + short) == head + '    buy spy 1 limit spy.close tag "x"\n'


def test_conditional_order_quantities_keep_their_parentheses():
    text = ('strategy S\n\ninstrument spy = "SPY"\ndata spy bars 1d\n\non bar spy:\n'
            '    target spy (1 if spy.close > 2 else 0)\n')
    assert assert_formats(text) == text


def test_blank_lines_are_collapsed_and_never_open_a_block():
    text = 'strategy S\n\n\n\ninstrument spy = "SPY"\ndata spy bars 1d\non bar spy:\n\n    x = 1\n\n\n\n    y = 2\n\n\n'
    assert assert_formats(text) == ('strategy S\n\ninstrument spy = "SPY"\ndata spy bars 1d\n\non bar spy:\n'
                                    '    x = 1\n\n    y = 2\n')


def test_a_file_with_syntax_errors_is_not_formatted(tmp_path):
    with pytest.raises(FormatError) as err:
        format_source("strategy S\non bar:\n    x = \n")
    assert err.value.diagnostics.has_errors
    bad = tmp_path / "bad.nts"
    bad.write_text("strategy S\non bar:\n    x = \n")
    result = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "fmt", str(bad)], capture_output=True,
                            text=True)
    assert result.returncode == 1 and f"{bad}:2:7: error[E0001]" in result.stderr
    assert "Traceback" not in result.stderr
    assert bad.read_text() == "strategy S\non bar:\n    x = \n"  # untouched


def test_cli_rewrites_checks_and_reads_stdin(tmp_path):
    path = tmp_path / "messy.nts"
    path.write_text(MESSY)
    check = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "fmt", "--check", str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 1 and f"would reformat {path}" in check.stderr
    assert path.read_text() == MESSY
    done = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "fmt", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and path.read_text() == TIDY
    again = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "fmt", "--check", str(path)],
                           capture_output=True, text=True)
    assert again.returncode == 0
    piped = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "fmt", "-"], input=MESSY, capture_output=True,
                           text=True)
    assert piped.returncode == 0 and piped.stdout == TIDY


# ---------------------------------------------------------------- generated programs

conditions = expressions(with_strings=False).map(print_expr)


@st.composite
def blocks(draw, depth: int) -> list[tuple[int, str]]:
    """(depth, code) lines of a block of 1-3 statements."""
    out: list[tuple[int, str]] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["assign", "order", "pass", "if", "for"] if depth < 3 else ["assign", "pass"]))
        if kind == "assign":
            out.append((depth, f"n = {draw(conditions)}"))
        elif kind == "order":
            out.append((depth, f'buy btc {draw(conditions)} limit ({draw(conditions)}) tag "t"'))
            if draw(st.booleans()):
                out.append((depth + 1, f"stop_loss {draw(conditions)}"))
        elif kind == "pass":
            out.append((depth, "pass"))
        elif kind == "if":
            out.append((depth, f"if {draw(conditions)}:"))
            out += draw(blocks(depth + 1))
            if draw(st.booleans()):
                out.append((depth, f"elif {draw(conditions)}:"))
                out += draw(blocks(depth + 1))
            if draw(st.booleans()):
                out.append((depth, "else:"))
                out += draw(blocks(depth + 1))
        else:
            out.append((depth, "for i in 1..3:"))
            out += draw(blocks(depth + 1))
    return out


@st.composite
def programs(draw) -> str:
    code = [(0, "strategy Gen"), (0, 'instrument btc = "BTCUSDT.X"'), (0, "data btc bars 1m"), (0, "var n = 0"),
            (0, "on bar btc:")] + draw(blocks(1))
    lines = []
    for k, (depth, text) in enumerate(code):
        for _ in range(draw(st.integers(0, 2))):  # own-line comments and blank lines, anywhere, any indentation
            if draw(st.booleans()):
                lines.append(" " * draw(st.integers(0, 14)) + f"# c{k}")
            else:
                lines.append(" " * draw(st.integers(0, 3)))
        if draw(st.booleans()):  # extra spaces where there is one
            text = text.replace(" ", "  ", draw(st.integers(0, 3)))
        trailing = f"  # t{k}" if draw(st.booleans()) else ""
        lines.append("    " * depth + text + trailing)
    if draw(st.booleans()):
        lines.append(" " * draw(st.integers(0, 10)) + "# last")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(programs())
def test_generated_programs_format_idempotently_keeping_meaning_and_comments(text):
    assert_formats(text)
