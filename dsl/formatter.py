"""`ntc fmt`: the canonical layout of an .nts file, with its comments kept.

The code is printed from the AST by printer.py (4-space indentation, one statement per line, order clauses on
the statement's line, single spaces around operators, minimal parentheses), so two files with the same AST
print the same code. Comments are not in the AST; they are read from the source text and put back by line:

- a comment on its own line stays on its own line, before the code that follows it, at that code's
  indentation; comments after the last statement of a block stay in the block when they are indented as its
  statements are (or deeper), and go with what follows otherwise;
- a comment at the end of a line of code stays at the end of that line (after two spaces). Code spread over
  several lines (inside brackets, order clauses on continuation lines) is joined into one line, and the
  comments inside it are gathered at its end, in order.

An order longer than MAX_LINE characters keeps its own clauses (price, tag, flags) on its first line and puts
each of its `stop_loss`, `take_profit`, `oco` and `tif` clauses on an indented continuation line.

Blank lines: the top-level items are separated as the printer separates them (a blank line between groups of
different declarations and around every `def` and handler); elsewhere one blank line is kept where the source
has one or more, except right after a line that opens a block. Trailing whitespace goes and the file ends with
one newline.

A file with syntax errors is not formatted: `format_source` raises FormatError with the diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ast
from .diagnostics import Diagnostics
from .lexer import outside_strings
from .parser import parse_source
from .printer import INDENT, block_head, branch_head, docstring_lines, for_head, needs_blank_line, print_clause, \
    print_decl, print_stmt

MAX_LINE = 100
# When an order does not fit on one line, these clauses go on continuation lines, one per line: the bracket's
# legs, the OCO group and the time in force read as separate parts of the order.
CONTINUATION_CLAUSES = ("stop_loss", "take_profit", "oco", "tif")


class FormatError(Exception):
    """The source does not parse; `diagnostics` says where."""

    def __init__(self, diagnostics: Diagnostics):
        super().__init__(f"{len(diagnostics.errors)} syntax error(s)")
        self.diagnostics = diagnostics


@dataclass
class Comment:
    line: int  # 1-based
    col: int  # 1-based column of the `#`
    text: str  # from the `#`, trailing whitespace removed
    own_line: bool  # nothing but indentation before it


def format_source(text: str, path: str = "<string>") -> str:
    """The formatted text of a whole file. Raises FormatError when it has syntax errors."""
    diags = Diagnostics()
    module = parse_source(text, path, diags)
    if diags.has_errors:
        raise FormatError(diags)
    lines = text.split("\n")
    return _Writer(lines, scan_comments(lines)).module(module)


def scan_comments(lines: list[str]) -> list[Comment]:
    """Every comment of the file, in order."""
    found = []
    for number, line in enumerate(lines, start=1):
        i = next((i for i, ch in outside_strings(line) if ch == "#"), None)
        if i is not None:
            found.append(Comment(number, i + 1, line[i:].rstrip(), not line[:i].strip()))
    return found


class _Writer:
    def __init__(self, lines: list[str], comments: list[Comment]):
        self.lines = lines
        self.comments = comments
        self.next = 0  # the first comment not written yet
        self.out: list[str] = []
        self.last = 0  # the source line of the last thing written
        self.block_opened = False  # the last line written opens a block: no blank line may follow it

    # ------------------------------------------------------------ comments and blank lines
    def _write(self, indent: int, text: str, last_line: int) -> None:
        self.out.append(INDENT * indent + text)
        self.last = max(self.last, last_line)
        self.block_opened = False

    def _blank(self) -> None:
        if self.out and self.out[-1] != "" and not self.block_opened:
            self.out.append("")

    def _keep_gap(self, line: int) -> None:
        """A blank line where the source has one between the last thing written and `line`."""
        if any(not self.lines[k - 1].strip() for k in range(self.last + 1, min(line, len(self.lines) + 1))):
            self._blank()

    def _leading(self, line: int, indent: int, min_col: int | None = None) -> None:
        """The comments before source line `line`, each on its own line. With `min_col`: only the run of
        own-line comments indented at least that far (those that close a block)."""
        while self.next < len(self.comments) and self.comments[self.next].line < line:
            c = self.comments[self.next]
            if min_col is not None and (not c.own_line or c.col < min_col):
                return
            self._keep_gap(c.line)
            self._write(indent, c.text, c.line)
            self.next += 1

    def _with_trailing(self, text: str, last_line: int, stop_at_own_line: bool = False) -> str:
        """`text` followed by the comments on the source lines up to `last_line` (up to the first comment on a
        line of its own, with `stop_at_own_line`: what follows a block's opening line belongs to the block)."""
        while self.next < len(self.comments) and self.comments[self.next].line <= last_line:
            if stop_at_own_line and self.comments[self.next].own_line:
                break
            text += "  " + self.comments[self.next].text
            self.next += 1
        return text

    def _line(self, indent: int, text: str, first: int, last: int) -> None:
        """One line of code from source lines first..last, with the comments before and on them."""
        self._leading(first, indent)
        self._keep_gap(first)
        self._write(indent, self._with_trailing(text, last), last)

    def _head(self, indent: int, text: str, first: int, last: int) -> None:
        """The line that opens a block; `last` is the line before the block's first statement."""
        self._leading(first, indent)
        self._keep_gap(first)
        self._write(indent, self._with_trailing(text, last, stop_at_own_line=True), first)
        self.block_opened = True

    # ------------------------------------------------------------ code
    def module(self, module: ast.Module) -> str:
        previous = None
        for k, item in enumerate(module.items):
            follow = module.items[k + 1].span.line if k + 1 < len(module.items) else len(self.lines) + 1
            if needs_blank_line(previous, item):
                self._blank()
            self._decl(item, follow)
            previous = item
        self._leading(len(self.lines) + 1, 0)
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def _decl(self, d: ast.Decl, follow: int) -> None:
        if isinstance(d, ast.Header):
            self._head(0, f"strategy {d.name}", d.span.line, d.span.line)
            for line in docstring_lines(d.doc):
                self._write(0, line, d.span.end_line)
            self.block_opened = False
        elif isinstance(d, ast.Function):
            self._head(0, block_head(d), d.span.line, d.span.line)
            for line in docstring_lines(d.doc):
                self._write(0, line, d.span.line)
            self._block(d.body, 1, follow)
        elif isinstance(d, ast.Handler):
            self._head(0, block_head(d), d.span.line, d.body[0].span.line - 1)
            self._block(d.body, 1, follow)
        else:
            self._line(0, print_decl(d), d.span.line, d.span.end_line)

    def _block(self, body: list[ast.Stmt], indent: int, follow: int) -> None:
        """A block's statements, then the comments that close it. `follow`: the source line after the block."""
        for k, stmt in enumerate(body):
            self._stmt(stmt, indent, body[k + 1].span.line if k + 1 < len(body) else follow)
        self._leading(follow, indent, min_col=body[0].span.col)

    def _stmt(self, s: ast.Stmt, indent: int, follow: int) -> None:
        if isinstance(s, ast.If):
            parts = [(branch_head(i, b), b.body) for i, b in enumerate(s.branches)]
            if s.orelse is not None:
                parts.append(("else:", s.orelse))
            head_line = s.span.line
            for k, (head, body) in enumerate(parts):
                self._head(indent, head, head_line, body[0].span.line - 1)
                if k + 1 < len(parts):
                    head_line = self._code_line_between(_end_line(body), parts[k + 1][1][0].span.line)
                self._block(body, indent + 1, head_line if k + 1 < len(parts) else follow)
        elif isinstance(s, ast.For):
            self._head(indent, for_head(s), s.span.line, s.body[0].span.line - 1)
            self._block(s.body, indent + 1, follow)
        elif isinstance(s, (ast.Order, ast.Target, ast.Modify)):
            lines = _order_lines(s, indent)
            self._leading(s.span.line, indent)
            self._keep_gap(s.span.line)
            for text in lines[:-1]:
                self._write(indent + (text is not lines[0]), text, s.span.line)
            self._write(indent + (len(lines) > 1), self._with_trailing(lines[-1], s.span.end_line), s.span.end_line)
        else:
            self._line(indent, print_stmt(s), s.span.line, s.span.end_line)

    def _code_line_between(self, after: int, before: int) -> int:
        """The first line of code strictly between two lines: where an `elif` or `else` stands."""
        for k in range(after + 1, before):
            stripped = self.lines[k - 1].strip()
            if stripped and not stripped.startswith("#"):
                return k
        return before


def _order_lines(s: ast.Order | ast.Target | ast.Modify, indent: int) -> list[str]:
    text = print_stmt(s)
    if len(INDENT * indent + text) <= MAX_LINE:
        return [text]
    own = [c for c in s.clauses if c.kind not in CONTINUATION_CLAUSES]
    rest = [c for c in s.clauses if c.kind in CONTINUATION_CLAUSES]
    return [print_stmt(s.model_copy(update={"clauses": own}))] + [print_clause(c) for c in rest]


def _end_line(body: list[ast.Stmt]) -> int:
    return body[-1].span.end_line
