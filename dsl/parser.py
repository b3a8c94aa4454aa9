"""Parsing .nts text into an AST, with error recovery.

A file is cut into top-level chunks (a declaration or handler and its indented lines) and each chunk is parsed
on its own, so an error in one never hides the others. Inside a chunk, a statement that fails to parse is
reported, replaced by `pass` (or dropped, at the top level) and the chunk is parsed again: several errors
per file, each at its own statement.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .build import AstBuilder
from .diagnostics import MAX_ERRORS_PER_FILE, Diagnostics
from .lexer import Indenter, IndentationProblem, outside_strings
from .source import SourceFile, Span

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "grammar" / "nts.lark"

# How the parser's terminal names read in a message.
_TERMINAL_WORDS = {
    "_NL": "end of line", "_INDENT": "an indented block", "_DEDENT": "the end of the block", "$END": "end of file",
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "DURATION": "a duration such as `5m`",
    "COMP_OP": "a comparison", "ADD_OP": "`+`, `-`", "MUL_OP": "`*`, `/`, `//`, `%`", "POW_OP": "`**`",
    "AUG_OP": "`+=`, `-=`, `*=`, `/=`",
}


@functools.lru_cache(maxsize=1)
def grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def lark_parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=Indenter(),
                start=["module", "expr_input", "stmt_input"], propagate_positions=True,
                maybe_placeholders=True, cache=True)


def keywords() -> set[str]:
    """Every reserved word of the grammar (the editor grammar test compares against this)."""
    return {t.pattern.value for t in lark_parser().terminals
            if t.pattern.type == "str" and t.pattern.value.isidentifier()}


def _describe_expected(expected: set[str]) -> str:
    parser = lark_parser()
    words = []
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        words.append(f"`{pattern.value}`" if pattern.type == "str" else name.lower())
    words = sorted({w for word in words for w in word.split(", ")})
    if len(words) > 8:
        return "an expression" if "a number" in words and "a name" in words else ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1] if words else ""


def _describe_token(tok: Token) -> str:
    if tok.type in ("_NL", "$END"):
        return _TERMINAL_WORDS[tok.type]
    if tok.type == "_INDENT":
        return "an indented line"
    if tok.type == "_DEDENT":
        return "end of the block"
    return f"`{tok.value}`"


_ITEM_KEYWORDS = {"strategy", "import", "timezone", "param", "instrument", "data", "const", "series", "var", "def",
                  "on"}


def _chunks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based line ranges of the top-level items, bracket- and string-aware."""
    chunks: list[tuple[int, int]] = []
    depth = 0
    start = None
    last_code = None
    for i, line in enumerate(lines):
        stripped = line.lstrip(" \t")
        is_code = bool(stripped) and not stripped.startswith("#")
        starts_item = is_code and not line[:1].isspace() and (depth == 0 or stripped.split(" ")[0] in _ITEM_KEYWORDS)
        if starts_item:
            depth = 0  # an unclosed bracket does not swallow the declarations after it
            if start is not None:
                chunks.append((start, last_code))
            start = i
        if is_code:
            last_code = i
            if start is None:
                start = i
        depth = _bracket_depth_after(line, depth)
    if start is not None:
        chunks.append((start, last_code))
    return chunks


def _bracket_depth_after(line: str, depth: int) -> int:
    for _, ch in outside_strings(line):
        if ch == "#":
            break
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
    return depth


class _Recovery(Exception):
    """A parse error turned into a diagnostic; `line` (1-based, chunk-relative) is the statement to drop."""

    def __init__(self, line: int):
        self.line = line
        self.reported = 1
        self.whole_block = False


class ModuleParser:
    """Parses one file's text; the diagnostics it finds go to `diagnostics`."""

    def __init__(self, source: SourceFile, diagnostics: Diagnostics):
        self.source = source
        self.diagnostics = diagnostics
        self.error_count = 0
        self.stopped = False  # set at the first syntax error past the limit, which becomes an E0010

    def parse(self) -> ast.Module:
        lines = self.source.text.split("\n")
        items: list = []
        for first, last in _chunks(lines):
            if self.stopped:
                break
            items.extend(self._parse_chunk(lines[first:last + 1], first))
        return ast.Module(path=self.source.path, items=items)

    def _parse_chunk(self, chunk: list[str], line_offset: int) -> list:
        path = self.source.path

        def locate(line: int, col: int, end_line: int, end_col: int) -> Span:
            # A declaration's parse ends with its newline token; end the span on its own line instead.
            while end_line > line and (end_line > len(chunk) or not chunk[end_line - 1][:end_col - 1].strip()):
                end_line -= 1
                end_col = len(_code_part(chunk[end_line - 1])) + 1
            return Span(path=path, line=line + line_offset, col=col, end_line=end_line + line_offset, end_col=end_col)

        chunk = list(chunk)
        # Lines where recovery put a `pass`: an error there is an artefact of recovery, not the user's.
        self._synthetic = set()
        for _ in range(2 * len(chunk) + 1):  # each line may be replaced by `pass`, then blanked
            try:
                tree = self._parse_text("\n".join(chunk) + "\n", "module", locate)
                return self._build(tree, locate)
            except _Recovery as rec:
                self.error_count += rec.reported
                if self.stopped:
                    return []
                replaced = (_drop_block if rec.whole_block else _drop_statement)(chunk, rec.line - 1)
                if replaced is None:
                    return []
                self._synthetic.discard(replaced + 1)
                if chunk[replaced].strip() == "pass" or _stand_in_header(chunk[replaced]) == chunk[replaced]:
                    self._synthetic.add(replaced + 1)
        return []

    def _parse_text(self, text: str, start: str, locate):
        """The parse tree of `text`, or _Recovery after reporting the first syntax error."""
        found = Diagnostics()
        try:
            return self._parse_or_report(text, start, locate, found)
        except _Recovery as rec:
            if rec.line in getattr(self, "_synthetic", ()):
                rec.reported = 0  # caused by a recovery `pass`, not by the user's text
            elif self.error_count >= MAX_ERRORS_PER_FILE:
                first = found.items[0].span
                line_text = self.source.line_text(first.line)
                col = len(line_text) - len(line_text.lstrip()) + 1
                self.diagnostics.add("E0010", f"too many errors; stopped after {MAX_ERRORS_PER_FILE}",
                                     first.model_copy(update={"col": col, "end_line": first.line, "end_col": col + 1}))
                self.stopped = True
            else:
                self.diagnostics.extend(found.items)
            raise

    def _parse_or_report(self, text: str, start: str, locate, found: Diagnostics):
        try:
            return lark_parser().parse(text, start=start)
        except IndentationProblem as exc:
            found.add(exc.code, exc.args[0], locate(exc.line, exc.col, exc.line, exc.col + exc.width), exc.help)
            rec = _Recovery(exc.line)
            rec.whole_block = exc.code == "E0007"  # nothing can live at that depth: drop the block that opens it
            raise rec from None
        except UnexpectedCharacters as exc:
            ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
            span = locate(exc.line, exc.column, exc.line, exc.column + 1)
            if ch == '"':
                found.add("E0005", "string is not closed before the end of the line", span,
                          'close it with `"` on the same line: strings cannot span lines (a long docstring takes one '
                          'string per line)')
            elif ch.isdigit():
                found.add("E0009", "invalid number or duration literal", span,
                          "durations are written like `500ms`, `5m`, `1h30m`, `1d`")
            else:
                shown = repr(ch)[1:-1] if ch.isprintable() else f"\\u{ord(ch):04x}"
                found.add("E0002", f"unexpected character `{shown}`", span)
            raise _Recovery(exc.line) from None
        except (UnexpectedToken, UnexpectedEOF) as exc:
            found.add("E0001", *self._unexpected_token(exc, text, locate))
            raise _Recovery(self._recovery_line) from None
        except UnexpectedInput as exc:  # any other lark input error
            line = getattr(exc, "line", 1) or 1
            col = getattr(exc, "column", 1) or 1
            found.add("E0001", "syntax error", locate(line, col, line, col + 1))
            raise _Recovery(line) from None
        except RecursionError:
            found.add("E0007", "expression nested too deeply", locate(1, 1, 1, 2),
                      "split it into several `series` or local variables")
            raise _Recovery(1) from None

    def _unexpected_token(self, exc, text: str, locate) -> tuple:
        """(message, span, help) of a token the grammar does not accept; sets `_recovery_line`."""
        lines = text.split("\n")
        # The token after the last line of code: end of input, or a block's end / a newline on a blank line.
        last_code = max((i + 1 for i, ln in enumerate(lines) if _is_code(ln)), default=1)
        tok = getattr(exc, "token", None)
        if tok is None or tok.type == "$END" or tok.line is None or tok.line > last_code:
            tok = Token("$END", "", line=last_code, column=len(lines[last_code - 1]) + 1)
            tok.end_line, tok.end_column = last_code, tok.column + 1
        accepts = set(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
        self._recovery_line = tok.line
        if "_INDENT" in accepts and tok.type != "_INDENT":
            # A block is missing: point just after the `:` that opened it.
            first_on_line = tok.line <= len(lines) and tok.column <= _indent(lines[tok.line - 1]) + 1
            row = tok.line - 1 if tok.type == "_DEDENT" or first_on_line else tok.line
            row = max((i for i in range(1, row + 1) if _is_code(lines[i - 1])), default=1)
            col = len(_code_part(lines[row - 1])) + 1
            self._recovery_line = row
            return ("expected an indented block", locate(row, col, row, col + 1),
                    "a block after `:` starts on the next line, indented")
        line_text = lines[tok.line - 1] if tok.line <= len(lines) else ""
        first_word = line_text.strip().split(" ")[0].rstrip(":")
        col = len(line_text) - len(line_text.lstrip()) + 1
        # A stray `else`/`elif` reads as a name, so the parser trips on the token right after it.
        if first_word in ("elif", "else") and tok.column <= col + len(first_word) + 1:
            return (f"`{first_word}` without an `if` before it at the same indentation",
                    locate(tok.line, col, tok.line, col + len(first_word)), None)
        width = max(1, (tok.end_column or tok.column + 1) - tok.column) if tok.end_line == tok.line else 1
        message = f"unexpected {_describe_token(tok)}"
        expected = _describe_expected(accepts)
        message += f", expected {expected}" if expected else ""
        return message, locate(tok.line, tok.column, tok.line, tok.column + width), None

    def _build(self, tree, locate) -> list:
        builder = AstBuilder(locate, self.diagnostics, self._parse_embedded_expr)
        try:
            return builder.transform(tree)
        except VisitError as exc:
            if isinstance(exc.orig_exc, RecursionError):
                self.diagnostics.add("E0007", "expression nested too deeply", locate(1, 1, 1, 2),
                                     "split it into several `series` or local variables")
                return []
            raise
        except RecursionError:
            self.diagnostics.add("E0007", "expression nested too deeply", locate(1, 1, 1, 2),
                                 "split it into several `series` or local variables")
            return []

    def _parse_embedded_expr(self, text: str, at: Span) -> ast.Expr | None:
        return parse_embedded(text, at, "expr_input", self.diagnostics)


def _drop_block(chunk: list[str], index: int) -> int | None:
    """Drop the compound statement whose block holds line `index` (a block nested too deep to keep)."""
    indent = _indent(chunk[index])
    parent = next((i for i in range(index - 1, -1, -1) if _is_code(chunk[i]) and _indent(chunk[i]) < indent), None)
    return None if parent is None else _drop_statement(chunk, parent, keep_block=False)


def _drop_statement(chunk: list[str], index: int, keep_block: bool = True) -> int | None:
    """Replace the statement at `index` and its deeper lines by `pass` (a top-level one by nothing).
    Returns the index of the line replaced, or None when nothing is left to drop."""
    index = min(max(index, 0), len(chunk) - 1)
    # Step back to a line with code: the error may sit on a blank line or at the end.
    while index > 0 and not _is_code(chunk[index]):
        index -= 1
    if not _is_code(chunk[index]):
        return None
    indent = _indent(chunk[index])
    header = _stand_in_header(chunk[index])
    if keep_block and header is not None and chunk[index] != header:
        # A broken `if`/`elif`/`else`/`for` line: keep its block (and its `elif`/`else` partners) with a
        # header that parses, so the errors inside the block are still found.
        chunk[index] = header
        return index
    end = index + 1
    while end < len(chunk) and (not _is_code(chunk[end]) or _indent(chunk[end]) > indent):
        end += 1
    if index == 0 or indent == 0:
        replacement = ""
    else:
        replacement = " " * indent + "pass"
        if chunk[index] == replacement:
            replacement = ""  # our own `pass` does not parse here (a clause line): leave the line empty
    chunk[index] = replacement
    for i in range(index + 1, end):
        chunk[i] = ""
    return index


def _stand_in_header(line: str) -> str | None:
    stripped = line.strip()
    pad = " " * _indent(line)
    for word, header in (("if", "if false:"), ("elif", "elif false:"), ("else", "else:"),
                         ("for", "for _ in 0..0:")):
        if stripped == word or stripped.startswith(word + " ") or stripped.startswith(word + ":"):
            return pad + header
    return None


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent(line: str) -> int:
    # Tabs are an error (E0004); for recovery they count as an editor's usual 4 columns.
    line = line.expandtabs(4)
    return len(line) - len(line.lstrip(" "))


def _code_part(line: str) -> str:
    """A line without its trailing comment and spaces (a `#` inside a string is not a comment)."""
    in_string = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string and ch == "\\":
            i += 1
        elif ch == '"':
            in_string = not in_string
        elif ch == "#" and not in_string:
            return line[:i].rstrip()
        i += 1
    return line.rstrip()


def parse_embedded(text: str, at: Span, start: str, diagnostics: Diagnostics):
    """Parse an expression or statement embedded in other text (a log message, a YAML value).

    `at` is the span of the snippet's first character in its file; diagnostics point there.
    """
    def locate(line: int, col: int, end_line: int, end_col: int) -> Span:
        inner = Span(path=at.path, line=line, col=col, end_line=end_line, end_col=end_col)
        return inner.shifted(at.path, at.line - 1, at.col - 1)

    sub = ModuleParser(SourceFile(at.path, text), diagnostics)
    if "\n" in text.strip():
        diagnostics.add("E0001", "an expression here must fit on one line", at)
        return None
    try:
        tree = sub._parse_text(text.strip("\n") + "\n", start, locate)
    except _Recovery:
        return None
    built = sub._build(tree, locate)
    return built if isinstance(built, ast.Node) else None


def parse_source(text: str, path: str, diagnostics: Diagnostics) -> ast.Module:
    """The AST of one file's text. Syntax errors go to `diagnostics`; what parsed is still returned."""
    return ModuleParser(SourceFile(path, text), diagnostics).parse()
