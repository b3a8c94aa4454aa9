"""The editor's symbol index (compiler/navigation.py), in process: every name of every example resolves, and renaming
any declared symbol everywhere the index finds it leaves a program that checks as cleanly as before, with the same
meaning (the same AST once the new name is put back)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nts.compiler.frontend import check_text
from nts.compiler.navigation import USER_KINDS, Index
from nts.dsl import ast
from nts.dsl.parser import keywords

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.nts"))
TOKEN = re.compile(r"[0-9][0-9A-Za-z_.]*|[A-Za-z_][A-Za-z0-9_]*")  # numbers and durations (`1m`) or names


def rename(text: str, index: Index, symbol, new: str) -> str:
    lines = text.split("\n")
    spans = sorted(index.references(symbol), key=lambda s: (s.line, -s.col))
    for s in spans:
        line = lines[s.line - 1]
        assert line[s.col - 1:s.end_col - 1] == symbol.name, (s, line)
        lines[s.line - 1] = line[:s.col - 1] + new + line[s.end_col - 1:]
    return "\n".join(lines)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_name_in_the_code_resolves(path):
    text = path.read_text()
    result = check_text(text, str(path))
    index = Index.build(result)
    resolved = {(o.span.line, o.span.col) for o in index.occurrences}
    skip = keywords() | {"true", "false", "na"}
    for n, line in enumerate(text.split("\n"), 1):
        code = re.sub(r'"([^"\\]|\\.)*"|#.*', lambda m: " " * len(m.group(0)), line)  # strings and comments
        for m in TOKEN.finditer(code):
            if m.group(0) in skip or code[:m.start()].rstrip().endswith(("->", ":")) and m.group(0) in (
                    "int", "float", "bool", "duration", "timestamp", "string"):
                continue
            if re.match(r"\s*=", code[m.end():]) and re.search(r"\(\s*$|,\s*$", code[:m.start()]):
                continue  # a keyword argument's name
            if code[:m.start()].endswith(("record ", "strategy ")) or re.match(r"\d", m.group(0)):
                continue
            assert (n, m.start() + 1) in resolved, f"{path.name}:{n}:{m.start() + 1}: `{m.group(0)}` unresolved"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_renaming_any_symbol_keeps_the_program(path):
    text = path.read_text()
    index = Index.build(check_text(text, str(path)))
    before = ast.strip_spans(index.result.module)
    symbols = {id(o.symbol): o.symbol for o in index.occurrences if o.symbol.kind in USER_KINDS and o.is_decl}
    assert len(symbols) >= 3
    for symbol in symbols.values():
        assert index.rename_problem(symbol, "zz_renamed") is None
        renamed = rename(text, index, symbol, "zz_renamed")
        result = check_text(renamed, str(path))
        assert not result.diagnostics.errors, (symbol.name, [d.message for d in result.diagnostics.errors])
        again = Index.build(result)
        back = rename(renamed, again, _symbol_named(again, "zz_renamed"), symbol.name)
        assert back == text
        assert ast.strip_spans(check_text(back, str(path)).module) == before


def _symbol_named(index: Index, name: str):
    return next(o.symbol for o in index.occurrences if o.symbol.name == name and o.is_decl)


def test_rename_refuses_keywords_builtins_and_names_in_use():
    text = 'strategy S\ninstrument spy = "SPY"\ndata spy bars 1d\nparam n: int = 3\non bar spy:\n    x = n + 1\n'
    index = Index.build(check_text(text, "<t>"))
    param = _symbol_named(index, "n")
    assert "keyword" in index.rename_problem(param, "buy")
    assert "already used" in index.rename_problem(param, "x")  # a local of the handler would shadow it
    assert "already used" in index.rename_problem(param, "spy")
    assert "not a name" in index.rename_problem(param, "2x")
    sma = next(o.symbol for o in Index.build(check_text(text + "    y = sma(spy.close, 3)\n", "<t>")).occurrences
               if o.symbol.name == "sma")
    assert "built in" in index.rename_problem(sma, "avg")
