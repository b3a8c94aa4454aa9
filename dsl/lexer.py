"""The postlexer that turns indentation into _INDENT/_DEDENT tokens.

It works like Lark's `Indenter`, with two differences that diagnostics need: indentation tokens carry the
position of the first character of the line they open (not of the previous line's end), and bad
indentation raises an `IndentationProblem` with that position instead of a bare `DedentError`.
"""

from __future__ import annotations

from typing import Iterator

from lark import Token

OPEN_BRACKETS = {"LPAR", "LSQB"}
CLOSE_BRACKETS = {"RPAR", "RSQB"}
MAX_BRACKET_DEPTH = 64
MAX_BLOCK_DEPTH = 32


class IndentationProblem(Exception):
    """Indentation the language cannot accept; `code` is the diagnostic code to report."""

    def __init__(self, code: str, message: str, line: int, col: int, width: int, help: str | None = None):
        super().__init__(message)
        self.code = code
        self.line = line
        self.col = col
        self.width = width
        self.help = help


def outside_strings(line: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of one line that is not inside a string literal (strings hold no
    line breaks, so a line can be scanned alone): where comments and brackets can be told from text."""
    in_string = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        else:
            yield i, ch
        i += 1


def _token_at(type_: str, nl: Token) -> Token:
    """A zero-width token at the start of the first code character after newline token `nl`."""
    return Token(type_, "", start_pos=nl.end_pos, line=nl.end_line, column=nl.end_column,
                 end_line=nl.end_line, end_column=nl.end_column, end_pos=nl.end_pos)


class Indenter:
    """Lark postlexer: `Lark(..., postlex=Indenter())`."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        brackets = 0
        last = None
        for tok in stream:
            last = tok
            if tok.type == "_NL":
                if brackets > 0:
                    continue
                # Comments and blank lines are folded into one _NL: only the last line's indentation counts.
                indent_text = tok.value.rsplit("\n", 1)[-1]
                if "\t" in indent_text:
                    col = tok.end_column - len(indent_text) + indent_text.index("\t")
                    raise IndentationProblem("E0004", "tab character in indentation", tok.end_line, col, 1,
                                             "indent with spaces; the formatter uses 4 per level")
                indent = len(indent_text)
                yield tok
                if indent > levels[-1]:
                    if len(levels) > MAX_BLOCK_DEPTH:
                        raise IndentationProblem("E0007", f"blocks nested deeper than {MAX_BLOCK_DEPTH} levels",
                                                 tok.end_line, 1, indent or 1)
                    levels.append(indent)
                    yield _token_at("_INDENT", tok)
                else:
                    while indent < levels[-1]:
                        levels.pop()
                        yield _token_at("_DEDENT", tok)
                    if indent != levels[-1]:
                        raise IndentationProblem(
                            "E0003", "this line's indentation matches no enclosing block",
                            tok.end_line, 1, max(indent, 1),
                            f"indent it by {levels[-1]} spaces to continue the enclosing block")
                continue
            if tok.type in OPEN_BRACKETS:
                brackets += 1
                if brackets > MAX_BRACKET_DEPTH:
                    raise IndentationProblem("E0007", f"brackets nested deeper than {MAX_BRACKET_DEPTH} levels",
                                             tok.line, tok.column, 1)
            elif tok.type in CLOSE_BRACKETS:
                brackets = max(0, brackets - 1)
            yield tok
        # End of input closes every open block; the parser's text always ends with a newline.
        while len(levels) > 1:
            levels.pop()
            if last is not None:
                yield Token("_DEDENT", "", start_pos=last.end_pos, line=last.end_line, column=last.end_column,
                            end_line=last.end_line, end_column=last.end_column, end_pos=last.end_pos)
