"""The editor grammar (grammar/nts.tmLanguage.json) and the VS Code extension (grammar/vscode/).

- The TextMate grammar is valid JSON, every regex in it compiles, every include resolves.
- Every reserved word of the Lark grammar (`nts.dsl.parser.keywords()`) is highlighted as a keyword: the samples
  (examples, tests/editor/samples, tests/strategies, the parsing golden files and docs/language.md's examples) are
  lexed by the real parser, and every keyword token it finds must get a keyword scope from the TextMate grammar (run
  by the small TextMate tokenizer below), while names spelled like a keyword (`var trades`, a local `qty`,
  `btc.close`) must not.
- Every stdlib function (`nts.stdlib.REGISTRY`) is highlighted when called.
- The extension's manifest holds together, and its snippets expand to code that `ntc check` accepts.
- With node and npm (else skipped; vscode-tmgrammar-test is installed once into tests/editor/node_modules):
  highlighting snapshots of examples/*.nts and tests/editor/samples/*.nts, taken by vscode-textmate and Oniguruma
  as in VS Code, match tests/editor/snapshots/; every regex matches the same text in Oniguruma as in Python.
  Without node, the snapshots still check that the tokenizer here agrees with vscode-textmate.
  After a deliberate grammar change, refresh the snapshots and review their diff:
  `NTS_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_editor_grammar.py -k snapshot`.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import pytest
from lark import Lark, Token
from lark.exceptions import LarkError

from nts.compiler.frontend import check_text
from nts.dsl.lexer import IndentationProblem, Indenter
from nts.dsl.parser import grammar_text, keywords
from nts.stdlib import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR_PATH = ROOT / "grammar" / "nts.tmLanguage.json"
EXTENSION = ROOT / "grammar" / "vscode"
EDITOR_TESTS = ROOT / "tests" / "editor"
SAMPLES = sorted((ROOT / "examples").glob("*.nts")) + sorted((EDITOR_TESTS / "samples").glob("*.nts"))
SNAPSHOTS = EDITOR_TESTS / "snapshots"

# Scopes that count as "highlighted as a keyword": keywords proper, declaration/type words, and the literal
# keywords `true`, `false`, `na` and the time-in-force values (`gtc`, ...), which are constants.
KEYWORD_SCOPES = ("keyword.", "storage.type.", "constant.language.")


# ---------------------------------------------------------------- a small TextMate tokenizer
#
# Enough of vscode-textmate's algorithm for this grammar: match and begin/end rules, captures, name and contentName,
# includes of the repository. Each line is tokenized with a trailing "\n", as vscode-textmate does; at each position
# the earliest match wins, and among matches at the same position the region's end pattern, then the first rule.
# The grammar keeps to regex syntax that Python's re and Oniguruma read alike.

class _Frame:
    def __init__(self, rule, scopes, content_scopes, patterns, end):
        self.rule, self.scopes, self.content_scopes, self.patterns, self.end = rule, scopes, content_scopes, patterns, end


class TextMate:
    def __init__(self, grammar: dict):
        self.grammar = grammar
        self._regex: dict[str, re.Pattern] = {}

    def regex(self, source: str) -> re.Pattern:
        if source not in self._regex:
            self._regex[source] = re.compile(source)
        return self._regex[source]

    def flatten(self, patterns: list, seen: frozenset = frozenset()) -> list[dict]:
        """The match and begin rules of a pattern list, includes resolved."""
        out = []
        for p in patterns:
            if "include" in p:
                ref = p["include"]
                if ref in seen:
                    continue
                if ref in ("$self", "$base"):
                    target = {"patterns": self.grammar["patterns"]}
                elif ref.startswith("#"):
                    target = self.grammar["repository"][ref[1:]]
                else:
                    raise ValueError(f"include of another grammar: {ref}")
                out.extend(self.flatten([target], seen | {ref}))
            elif "match" in p or "begin" in p:
                out.append(p)
            else:
                out.extend(self.flatten(p.get("patterns", []), seen))
        return out

    @functools.cached_property
    def top(self) -> list[dict]:
        return self.flatten(self.grammar["patterns"])

    def tokenize(self, text: str) -> list[list[tuple[int, int, tuple[str, ...]]]]:
        """Per line, the tokens (start, end, scopes) over the line with its "\\n"."""
        base = (self.grammar["scopeName"],)
        stack = [_Frame(None, base, base, self.top, None)]
        out = []
        for line in text.split("\n"):
            line += "\n"
            scopes: list[tuple[str, ...]] = [()] * len(line)
            pos, last_empty_push = 0, None
            while pos < len(line):
                frame = stack[-1]
                best = None
                if frame.end is not None:
                    m = frame.end.search(line, pos)
                    if m:
                        best = ("end", m, None)
                for rule in frame.patterns:
                    m = self.regex(rule.get("match", rule.get("begin"))).search(line, pos)
                    if m and (best is None or m.start() < best[1].start()):
                        best = ("rule", m, rule)
                        if m.start() == pos:
                            break
                if best is None:
                    scopes[pos:] = [frame.content_scopes] * (len(line) - pos)
                    break
                kind, m, rule = best
                scopes[pos:m.start()] = [frame.content_scopes] * (m.start() - pos)
                if kind == "end":
                    self._paint(scopes, m, frame.scopes, frame.rule.get("endCaptures", frame.rule.get("captures", {})))
                    stack.pop()
                elif "match" in rule:
                    outer = frame.content_scopes + ((rule["name"],) if "name" in rule else ())
                    self._paint(scopes, m, outer, rule.get("captures", {}))
                    if m.end() == m.start():  # an empty match would never advance: vscode-textmate ends the line
                        scopes[pos:] = [frame.content_scopes] * (len(line) - pos)
                        break
                else:
                    outer = frame.content_scopes + ((rule["name"],) if "name" in rule else ())
                    self._paint(scopes, m, outer, rule.get("beginCaptures", rule.get("captures", {})))
                    if m.end() == m.start():
                        if last_empty_push == (id(rule), pos):  # the same empty region again: stop
                            scopes[pos:] = [frame.content_scopes] * (len(line) - pos)
                            break
                        last_empty_push = (id(rule), pos)
                    content = outer + ((rule["contentName"],) if "contentName" in rule else ())
                    stack.append(_Frame(rule, outer, content, self.flatten(rule.get("patterns", [])),
                                        self.regex(rule["end"])))
                pos = m.end()
            tokens = []
            for i, s in enumerate(scopes):
                if tokens and tokens[-1][2] == s:
                    tokens[-1] = (tokens[-1][0], i + 1, s)
                else:
                    tokens.append((i, i + 1, s))
            out.append(tokens)
        return out

    @staticmethod
    def _paint(scopes, m, outer, captures):
        for i in range(m.start(), m.end()):
            scopes[i] = outer
        for group in sorted(captures, key=int):
            name = captures[group].get("name")
            g = int(group)
            if name and g <= (m.re.groups or 0) and m.start(g) >= 0:
                for i in range(m.start(g), m.end(g)):
                    scopes[i] = scopes[i] + (name,)

    def scopes_at(self, text: str) -> Callable[[int, int], tuple[str, ...]]:
        lines = self.tokenize(text)

        def at(line: int, col: int) -> tuple[str, ...]:  # 1-based, as Lark counts
            for start, end, s in lines[line - 1]:
                if start <= col - 1 < end:
                    return s
            raise IndexError((line, col))
        return at


def load_grammar() -> dict:
    return json.loads(GRAMMAR_PATH.read_text(encoding="utf-8"))


def all_regexes(node, where="$"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end", "while") and isinstance(value, str):
                yield f"{where}.{key}", value
            else:
                yield from all_regexes(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from all_regexes(value, f"{where}[{i}]")


# ---------------------------------------------------------------- keyword tokens as the parser sees them

@functools.lru_cache(maxsize=1)
def token_parser() -> Lark:
    # The project's parser settings, keeping every token in the tree so that keywords can be found with their place.
    return Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=Indenter(), start="module",
                keep_all_tokens=True)


@functools.lru_cache(maxsize=1)
def keyword_terminals() -> dict[str, str]:
    return {t.name: t.pattern.value for t in token_parser().terminals
            if t.pattern.type == "str" and t.pattern.value.isidentifier()}


def parser_tokens(text: str) -> list[Token]:
    tree = token_parser().parse(text if text.endswith("\n") else text + "\n")
    return sorted((t for t in tree.scan_values(lambda v: isinstance(v, Token)) if t.line is not None),
                  key=lambda t: (t.line, t.column))


def doc_blocks() -> list[tuple[str, str]]:
    """The ```nts examples of docs/language.md that parse (error examples may not)."""
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    blocks = []
    for i, m in enumerate(re.finditer(r"^```nts\n(.*?)^```", text, re.S | re.M)):
        try:
            parser_tokens(m.group(1))
        except (LarkError, IndentationProblem, RecursionError):
            continue
        blocks.append((f"docs/language.md block {i + 1}", m.group(1)))
    return blocks


def golden_files() -> list[tuple[str, str]]:
    """The diagnostics golden files that parse (some are syntax errors on purpose)."""
    out = []
    for p in sorted((ROOT / "tests" / "golden").rglob("*.nts")):
        try:
            text = p.read_text(encoding="utf-8")
            parser_tokens(text)
        except (UnicodeDecodeError, LarkError, IndentationProblem, RecursionError):
            continue
        out.append((str(p.relative_to(ROOT)), text))
    return out


@functools.lru_cache(maxsize=1)
def corpus() -> tuple[tuple[str, str], ...]:
    files = SAMPLES + sorted((ROOT / "tests" / "strategies").glob("*.nts"))
    return tuple([(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in files]
                 + doc_blocks() + golden_files())


def keyword_problems(grammar: dict, sources: list[tuple[str, str]]) -> tuple[list[str], set[str]]:
    """Keyword tokens not scoped as keywords, names scoped as keywords, and the keywords met in `sources`."""
    tm = TextMate(grammar)
    kw_terminals = keyword_terminals()
    problems, seen = [], set()
    for where, text in sources:
        at = tm.scopes_at(text)
        lines = text.split("\n")
        for tok in parser_tokens(text):
            if tok.type not in kw_terminals and tok.type != "NAME":
                continue
            first, last = at(tok.line, tok.column), at(tok.line, tok.column + len(tok) - 1)
            line = lines[tok.line - 1]
            if tok.type == "NAME":
                bad = [s for s in first if s.startswith(("keyword.", "storage.type."))]
                if bad:
                    problems.append(f"{where}:{tok.line}:{tok.column}: the name `{tok}` is scoped {bad[-1]}"
                                    f"\n    {line.strip()}")
                continue
            seen.add(str(tok))
            after = line[tok.column - 1 + len(tok):].lstrip()
            accepted = KEYWORD_SCOPES + (("support.function.",) if str(tok) in REGISTRY and after.startswith("(")
                                         else ())
            if not (any(s.startswith(accepted) for s in first) and any(s.startswith(accepted) for s in last)):
                problems.append(f"{where}:{tok.line}:{tok.column}: keyword `{tok}` is not highlighted as a keyword "
                                f"(scopes: {' '.join(first[1:]) or 'none'})\n    {line.strip()}")
    return problems, seen


# ---------------------------------------------------------------- the grammar file

def test_grammar_is_valid_json_and_every_regex_compiles():
    grammar = load_grammar()
    assert grammar["scopeName"] == "source.nts"
    assert grammar["fileTypes"] == ["nts"]
    errors = []
    regexes = list(all_regexes(grammar))
    assert len(regexes) > 40
    for where, source in regexes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # FutureWarning: a `[[` that Oniguruma reads as a nested set
                re.compile(source)
        except (re.error, FutureWarning) as exc:
            errors.append(f"{where}: {source!r}: {exc}")
        # Python-only syntax would not compile in Oniguruma (VS Code); Oniguruma-only syntax fails above.
        if re.search(r"\(\?P[<=]", source):
            errors.append(f"{where}: {source!r}: Python-only named group")
    assert not errors, "\n".join(errors)


def test_every_include_resolves():
    grammar = load_grammar()
    missing = []

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("include")
            if ref and ref.startswith("#") and ref[1:] not in grammar["repository"]:
                missing.append(f"{where}: {ref}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")
    walk(grammar, "$")
    assert not missing, "unknown repository entries: " + ", ".join(missing)


def test_every_keyword_appears_in_the_grammar_patterns():
    grammar = load_grammar()
    words = set()
    for _, source in all_regexes(grammar):
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
    missing = sorted(keywords() - words)
    assert not missing, f"keywords of grammar/nts.lark missing from grammar/nts.tmLanguage.json: {missing}"


def test_every_keyword_is_highlighted_where_the_parser_reads_it():
    problems, seen = keyword_problems(load_grammar(), corpus())
    unused = sorted(keywords() - seen)
    assert not unused, (f"keywords that no sample uses, so their highlighting is untested: {unused}; "
                        "use them in tests/editor/samples/all_keywords.nts")
    assert not problems, f"{len(problems)} highlighting problems:\n" + "\n".join(problems[:40])


def test_keyword_check_catches_a_missing_keyword():
    """The check above fails, naming the word, when a keyword drops out of the TextMate grammar."""
    def drop(node):
        if isinstance(node, dict):
            return {k: re.sub(r"\|stop_loss\b|\bstop_loss\|", "", v) if k in ("match", "begin") else drop(v)
                    for k, v in node.items()}
        return [drop(v) for v in node] if isinstance(node, list) else node
    grammar = drop(load_grammar())
    assert not any("stop_loss" in source for _, source in all_regexes(grammar))
    problems, _ = keyword_problems(grammar, corpus())
    assert problems and all("stop_loss" in p for p in problems), problems  # the word, or its line


def test_every_stdlib_function_is_highlighted_when_called():
    tm = TextMate(load_grammar())
    missing = []
    for name in sorted(REGISTRY):
        for line in (f"series s = {name}(btc.close, 14)", f"    x = 1 + {name} (a, b=2)",
                     f"    buy btc {name}(btc) limit {name}(x) tag \"t\"", f"    log \"{{{name}(x):.2}}\""):
            at = tm.scopes_at(line)
            for m in re.finditer(rf"(?<![\w.]){name}(?=\s*\()", line):
                if not any(s.startswith("support.function") for s in at(1, m.start() + 1)):
                    missing.append(f"{name}: {line.strip()!r} -> {at(1, m.start() + 1)}")
    assert not missing, "stdlib functions not highlighted as support.function:\n" + "\n".join(missing)


def test_scopes_of_literals_comments_strings_and_names():
    tm = TextMate(load_grammar())
    text = "\n".join([
        'data btc bars 1h30m as hourly  # hourly bars',
        'on timer 500ms:',
        '    log "px {fill.price:.2} {{ok}} \\"q\\" \\x" # not a comment?',
        '    x = 2.5e3 + 42 + 5mm',
        '    y = user_fn(btc.close, length=3)',
        '    z = int(x) if na(y) else na',
        'param mode: choice = "a" in ["a", "b"]',
    ])
    at = tm.scopes_at(text)

    def scope(line, needle, nth=0):
        src = text.split("\n")[line - 1]
        col = -1
        for _ in range(nth + 1):
            col = src.index(needle, col + 1)
        return at(line, col + 1)
    assert "constant.numeric.duration.nts" in scope(1, "1h30m")
    assert "variable.other.alias.nts" in scope(1, "hourly")
    assert "comment.line.number-sign.nts" in scope(1, "# hourly")
    assert "constant.numeric.duration.nts" in scope(2, "500ms")
    assert "keyword.other.event.nts" in scope(2, "timer")
    assert "meta.embedded.line.nts" in scope(3, "fill")
    assert "variable.language.event.nts" in scope(3, "fill")
    assert "constant.other.format-spec.nts" in scope(3, ".2")
    assert "constant.character.escape.brace.nts" in scope(3, "{{")
    assert "constant.character.escape.nts" in scope(3, '\\"')
    assert "invalid.illegal.escape.nts" in scope(3, "\\x")
    assert "comment.line.number-sign.nts" in scope(3, "# not")
    assert "constant.numeric.float.nts" in scope(4, "2.5e3")
    assert "constant.numeric.integer.nts" in scope(4, "42")
    assert "invalid.illegal.numeric.nts" in scope(4, "5mm")
    assert "entity.name.function.call.nts" in scope(5, "user_fn")
    assert "variable.other.property.nts" in scope(5, "close")
    assert "variable.parameter.nts" in scope(5, "length")
    assert "support.function.nts" in scope(6, "int")
    assert "support.function.nts" in scope(6, "na")
    assert "constant.language.na.nts" in scope(6, "na", 1)
    assert "storage.type.primitive.nts" in scope(7, "choice")
    assert "string.quoted.double.nts" in scope(7, '"b"')


# ---------------------------------------------------------------- the VS Code extension

def test_extension_manifest():
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "nts-lang" and manifest["publisher"] == "nts"
    assert manifest["activationEvents"] == ["onLanguage:nts"]
    contributes = manifest["contributes"]
    assert contributes["languages"][0]["extensions"] == [".nts"]
    grammar = contributes["grammars"][0]
    assert grammar["scopeName"] == load_grammar()["scopeName"]
    # package.sh copies grammar/nts.tmLanguage.json there: the grammar has one source file.
    assert grammar["path"] == "./syntaxes/nts.tmLanguage.json"
    props = contributes["configuration"]["properties"]
    assert props["nts.server.path"]["default"] == "ntc" and props["nts.server.args"]["default"] == ["lsp"]
    for rel in ("extension.js", "language-configuration.json", "snippets/nts.json", "README.md", "LICENSE",
                ".vscodeignore", "package.sh"):
        assert (EXTENSION / rel).is_file(), rel
    config = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    increase = re.compile(config["indentationRules"]["increaseIndentPattern"])
    assert increase.search("on bar btc:") and increase.search("    if x > 1:  # note")
    assert not increase.search("    x = 1  # note: y") and not increase.search('    log "a: b"')


def _expand_snippet(body: str) -> str:
    while True:  # innermost placeholders first: ${1:text} -> text, ${1|a,b|} -> a, $1 -> ""
        expanded = re.sub(r"\$\{\d+:([^${}]*)\}", r"\1", body)
        expanded = re.sub(r"\$\{\d+\|([^,|]*)[^|]*\|\}", r"\1", expanded)
        if expanded == body:
            return re.sub(r"\$\d+", "", expanded)
        body = expanded


_HOST = ('strategy Host\ninstrument btc = "BTCUSDT.BINANCE"\ndata btc bars 1m\n'
         'var condition: bool = true\nvar value: float = 0.0\n')
_IN_HANDLER = _HOST + "on bar btc:\n    x = 1\n{indented}\n"
# Where each snippet goes to be checked: a whole file, the top level of a strategy, or a handler's body.
SNIPPET_HOSTS = {
    "Strategy": "{snippet}",
    "Param with a range": _HOST + "{snippet}\n",
    "Choice param": _HOST + "{snippet}\n",
    "Instrument and bars": "strategy Host\n{snippet}\non bar btc:\n    pass\n",
    "On bar handler": _HOST + "{snippet}\n",
    "On fill handler": _HOST + "{snippet}\n",
    "On order event handler": _HOST + "{snippet}\n",
    "On timer handler": _HOST + "{snippet}\n",
    "Function": _HOST + "{snippet}\n",
    "Bracket order": _IN_HANDLER,
    "If": _IN_HANDLER,
    "For loop": _IN_HANDLER,
    "Log": _IN_HANDLER,
    "Record": _IN_HANDLER,
}


@pytest.mark.parametrize("name", sorted(json.loads((EXTENSION / "snippets" / "nts.json").read_text("utf-8"))))
def test_snippet_passes_ntc_check(name):
    snippet = json.loads((EXTENSION / "snippets" / "nts.json").read_text(encoding="utf-8"))[name]
    assert name in SNIPPET_HOSTS, f"say where snippet {name!r} goes in SNIPPET_HOSTS"
    body = snippet["body"] if isinstance(snippet["body"], str) else "\n".join(snippet["body"])
    code = _expand_snippet(body)
    text = SNIPPET_HOSTS[name].format(snippet=code, indented="\n".join("    " + ln for ln in code.split("\n")))
    result = check_text(text, "snippet.nts")
    errors = result.diagnostics.errors
    assert not errors, f"{name}:\n{text}\n" + "\n".join(f"{d.code} {d.span.line}:{d.span.col} {d.message}"
                                                        for d in errors)


# ---------------------------------------------------------------- highlighting snapshots (node)

def read_snapshot(path: Path) -> list[tuple[str, list[tuple[int, int, list[str]]]]]:
    """A vscode-tmgrammar-snap file: per source line, its tokens (start, end, scopes)."""
    lines: list[tuple[str, list]] = []
    for row in path.read_text(encoding="utf-8").split("\n"):
        if row.startswith(">"):
            lines.append((row[1:], []))
        elif row.startswith("#") and lines:
            m = re.match(r"#( *)(\^+) (.*)$", row)
            start = len(m.group(1))
            lines[-1][1].append((start, start + len(m.group(2)), m.group(3).split(" ")))
    return lines


def test_python_tokenizer_agrees_with_vscode_textmate():
    """The tokenizer the keyword checks use gives the scopes VS Code gives (as recorded in the snapshots)."""
    snaps = sorted(SNAPSHOTS.glob("*.snap"))
    assert snaps
    tm = TextMate(load_grammar())
    differences = []
    for snap in snaps:
        recorded = read_snapshot(snap)
        at = tm.scopes_at("\n".join(src for src, _ in recorded))
        for n, (src, tokens) in enumerate(recorded, 1):
            for start, end, scopes in tokens:
                for col in range(start, end):
                    if list(at(n, col + 1)) != scopes:
                        differences.append(f"{snap.name}:{n}:{col + 1}: {src.strip()}\n    vscode-textmate: "
                                           f"{' '.join(scopes)}\n    this tokenizer:  {' '.join(at(n, col + 1))}")
                        break
    assert not differences, ("the Python TextMate tokenizer differs from the snapshots (stale snapshots after a "
                             "grammar change? refresh them with NTS_UPDATE_SNAPSHOTS=1):\n"
                             + "\n".join(differences[:20]))


def _tool() -> Path:
    npm = shutil.which("npm")
    if not shutil.which("node") or not npm:
        pytest.skip("node and npm are needed for the highlighting snapshots")
    tool = EDITOR_TESTS / "node_modules" / ".bin" / "vscode-tmgrammar-snap"
    if tool.exists():
        return tool
    # One install at a time (pytest-xdist workers): the second waits, then finds the tool there.
    with open(Path(tempfile.gettempdir()) / "nts-editor-tests-npm.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not tool.exists():
            cmd = [npm, "ci" if (EDITOR_TESTS / "package-lock.json").exists() else "install", "--no-audit",
                   "--no-fund"]
            try:
                done = subprocess.run(cmd, cwd=EDITOR_TESTS, capture_output=True, text=True, timeout=180)
            except subprocess.TimeoutExpired:
                pytest.skip("npm install of vscode-tmgrammar-test timed out")
            if done.returncode != 0 or not tool.exists():
                pytest.skip(f"could not install vscode-tmgrammar-test: {done.stderr[-500:]}")
    return tool


_ONIG_SEARCH = r"""
// stdin: {regexes, lines, expected}; expected[i][j][k]: Python's (start, end) of regex i searched in line j from
// position 5*k, or null. Prints the first differences with Oniguruma's answers.
const fs = require("fs");
const onig = require("vscode-oniguruma");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma").replace(/main\.js$/, "onig.wasm")).buffer;
const { regexes, lines, expected } = JSON.parse(fs.readFileSync(0, "utf8"));
onig.loadWASM(wasm).then(() => {
  const out = [];
  regexes.forEach(([where, source], i) => {
    const scanner = new onig.OnigScanner([source]);
    lines.forEach((line, j) => {
      expected[i][j].forEach((want, k) => {
        const m = scanner.findNextMatchSync(line, 5 * k);
        const got = m ? [m.captureIndices[0].start, m.captureIndices[0].end] : null;
        if (JSON.stringify(got) !== JSON.stringify(want) && out.length < 20) {
          out.push(`${where} /${source}/ on ${JSON.stringify(line)} from ${5 * k}: ` +
                   `Oniguruma ${JSON.stringify(got)}, Python ${JSON.stringify(want)}`);
        }
      });
    });
  });
  console.log(out.join("\n"));
  process.exit(out.length ? 1 : 0);
});
"""


def test_regexes_match_alike_in_oniguruma_and_python():
    """Every regex of the grammar finds the same matches in Oniguruma (VS Code's engine) as in Python's re, over
    the sample lines. (Oniguruma does not reject a broken pattern: vscode-oniguruma turns it into one that matches
    the empty string, so comparing matches is what catches it.)"""
    tool = _tool()
    regexes = list(all_regexes(load_grammar()))
    lines = sorted({line + "\n" for _, text in corpus() for line in text.split("\n") if line.isascii()})
    expected = [[[(m.start(), m.end()) if (m := rx.search(line, p)) else None for p in range(0, len(line), 5)]
                 for line in lines] for rx in (re.compile(src) for _, src in regexes)]
    done = subprocess.run(["node", "-e", _ONIG_SEARCH], input=json.dumps(
        {"regexes": regexes, "lines": lines, "expected": expected}), cwd=tool.parent.parent.parent,
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"regexes that match differently in Oniguruma:\n{done.stdout}{done.stderr[-2000:]}"


def test_highlighting_snapshots(tmp_path):
    tool = _tool()
    update = os.environ.get("NTS_UPDATE_SNAPSHOTS") == "1"
    missing = []
    for src in SAMPLES:
        shutil.copy(src, tmp_path / src.name)
        snap = SNAPSHOTS / (src.name + ".snap")
        if snap.exists() and not update:
            shutil.copy(snap, tmp_path / snap.name)
        elif not update:
            missing.append(snap.name)
    assert not missing, (f"no highlighting snapshot for {missing}: run with NTS_UPDATE_SNAPSHOTS=1 and review "
                         "the new tests/editor/snapshots/*.snap")
    cmd = [str(tool), "-g", str(GRAMMAR_PATH), "-s", "source.nts", "--expandDiff", *(["-u"] if update else []),
           *sorted(p.name for p in tmp_path.glob("*.nts"))]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FORCE_COLOR": "0"})
    assert done.returncode == 0, ("highlighting differs from tests/editor/snapshots/ (refresh with "
                                  f"NTS_UPDATE_SNAPSHOTS=1 if the change is intended):\n{done.stdout[-6000:]}"
                                  f"{done.stderr[-2000:]}")
    if update:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        for snap in tmp_path.glob("*.snap"):
            shutil.copy(snap, SNAPSHOTS / snap.name)
        stale = {p.name for p in SNAPSHOTS.glob("*.snap")} - {p.name for p in tmp_path.glob("*.snap")}
        for name in stale:
            (SNAPSHOTS / name).unlink()
