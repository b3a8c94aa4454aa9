"""Diagnostics: what `ntc check` prints, the editor shows, and every stage reports through.

Text form (rustc style):

    strategy.nts:12:8: error[E0101]: unknown name `slwo`
       |
    12 |     if slwo > 3:
       |        ^^^^
       = help: a param with a similar name exists: `slow`
"""

from __future__ import annotations

import difflib
from enum import Enum
from typing import Iterable

from pydantic import BaseModel

from .source import SourceFile, Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(BaseModel):
    code: str
    severity: Severity
    message: str
    span: Span
    help: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


# Every code the front end emits, with a one-line title. docs/language.md lists them with examples,
# and a test checks that each code here has a golden test and a reference entry.
CODES: dict[str, str] = {
    # reading and parsing
    "E0001": "syntax error",
    "E0002": "unexpected character",
    "E0003": "inconsistent indentation",
    "E0004": "tab in indentation",
    "E0005": "unterminated string",
    "E0006": "unreadable source file",
    "E0007": "nesting too deep",
    "E0008": "invalid log message",
    "E0009": "invalid literal",
    "E0010": "too many errors",
    # names and structure
    "E0101": "unknown name",
    "E0102": "duplicate definition",
    "E0103": "strategy header",
    "E0104": "import error",
    "E0105": "unknown field",
    "E0106": "no data provides this field",
    "E0107": "ambiguous field",
    "E0108": "handler on a stream that is not subscribed",
    "E0109": "duplicate handler",
    "E0110": "recursion",
    "E0111": "invalid assignment",
    "E0112": "misplaced statement",
    "E0113": "missing return",
    "E0114": "invalid declaration",
    # types
    "E0201": "type mismatch",
    "E0202": "wrong arguments",
    "E0203": "not callable",
    "E0204": "invalid parameter declaration",
    "E0205": "not a compile-time constant",
    "E0206": "invalid time zone",
    "E0207": "invalid order",
    "E0208": "unknown choice",
    "E0209": "not indexable",
    # static facts
    "E0301": "unbounded history index",
    "E0302": "negative history index",
    "E0303": "lookahead",
    "E0304": "action on an instrument without data",
    "E0305": "series reads non-series state",
    "E0306": "argument must be static",
    "E0307": "unbounded loop",
    "E0308": "impure function",
    # warnings
    "W0001": "unused param",
    "W0002": "unreachable code",
    "W0003": "comparison with na",
    "W0004": "unused declaration",
}

MAX_ERRORS_PER_FILE = 50  # syntax errors: past this many, parsing a file stops
MAX_DIAGNOSTICS_PER_FILE = 200  # everything: past this many, the rest is summarised by one E0010


class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics from every stage of one run."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self._per_file: dict[str, int] = {}

    def add(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        assert code in CODES, code
        severity = Severity.WARNING if code.startswith("W") else Severity.ERROR
        key = (code, message, span.path, span.line, span.col)
        if key in self._seen:
            return
        self._seen.add(key)
        count = self._per_file.get(span.path, 0) + 1
        self._per_file[span.path] = count
        if count > MAX_DIAGNOSTICS_PER_FILE:
            if count == MAX_DIAGNOSTICS_PER_FILE + 1:
                self.items.append(Diagnostic(
                    code="E0010", severity=Severity.ERROR, span=span,
                    message=f"too many diagnostics; the rest of this file is not reported after "
                            f"{MAX_DIAGNOSTICS_PER_FILE}"))
            return
        self.items.append(Diagnostic(code=code, severity=severity, message=message, span=span, help=help))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        for d in other:
            self.add(d.code, d.message, d.span, d.help)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.path, d.span.line, d.span.col, d.code))


def render(diag: Diagnostic, source: SourceFile | None) -> str:
    """The text form of one diagnostic with the source line and a caret under its span."""
    s = diag.span
    head = f"{s.path}:{s.line}:{s.col}: {diag.severity.value}[{diag.code}]: {diag.message}"
    lines = [head]
    text = source.line_text(s.line) if source is not None else ""
    if text or source is not None:
        gutter = " " * len(str(s.line))
        shown = text.expandtabs(1)
        end_col = s.end_col if s.end_line == s.line else len(text) + 1
        width = max(1, min(end_col, len(text) + 1) - s.col)
        lines.append(f"{gutter} |")
        lines.append(f"{s.line} | {shown}")
        lines.append(f"{gutter} | {' ' * (s.col - 1)}{'^' * width}")
        if diag.help:
            lines.append(f"{gutter} = help: {diag.help}")
    elif diag.help:
        lines.append(f"  = help: {diag.help}")
    return "\n".join(lines)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, or None."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None
