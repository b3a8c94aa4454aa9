"""Source text and positions: what a diagnostic points at."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A range in one source file. Lines and columns are 1-based; `end_col` is exclusive."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def shifted(self, path: str, line_offset: int, col_offset: int) -> "Span":
        """The same span in an enclosing file, for text embedded at (line_offset, col_offset)."""
        col = self.col + col_offset if self.line == 1 else self.col
        end_col = self.end_col + col_offset if self.end_line == 1 else self.end_col
        return Span(path=path, line=self.line + line_offset, col=col,
                    end_line=self.end_line + line_offset, end_col=end_col)


@dataclass
class SourceFile:
    """The text of one file with fast line lookup."""

    path: str
    text: str
    _line_starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._line_starts = [0]
        for i, ch in enumerate(self.text):
            if ch == "\n":
                self._line_starts.append(i + 1)

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, col) of a character offset, both 1-based."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(max(end, start))
        return Span(path=self.path, line=line, col=col, end_line=end_line, end_col=end_col)


class SourceDecodeError(Exception):
    """A file that is not UTF-8 text. Carries the byte offset of the first bad byte."""

    def __init__(self, message: str, offset: int, line: int, col: int):
        super().__init__(message)
        self.offset = offset
        self.line = line
        self.col = col


def decode_source(data: bytes) -> str:
    """UTF-8 text of a file, with a BOM removed and line endings normalised to `\\n`.

    Raises SourceDecodeError for bytes that are not UTF-8 or that hold NUL characters (binary files).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    bad_offset, reason = None, ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_offset, reason = exc.start, "the file is not valid UTF-8 text"
    else:
        if nul >= 0:
            bad_offset, reason = nul, "the file holds a NUL byte: it looks binary, not .nts text"
    if bad_offset is not None:
        head = data[:bad_offset].decode("utf-8", errors="replace")
        line = head.count("\n") + 1
        col = len(head) - (head.rfind("\n") + 1) + 1
        raise SourceDecodeError(reason, bad_offset, line, col)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: str | Path) -> str:
    return decode_source(Path(path).read_bytes())
