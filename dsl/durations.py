"""Duration literals (`1h30m`, `500ms`) as nanoseconds: the parser's syntax, also used where a duration is read
from the command line or a catalog folder name (so those need not import the parser)."""

from __future__ import annotations

import re

DURATION_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
                  "h": 3_600_000_000_000, "d": 86_400_000_000_000, "w": 604_800_000_000_000}
_DURATION_PART = re.compile(r"([0-9]+)(ns|us|ms|s|m|h|d|w)")


def duration_nanos(text: str) -> int:
    return sum(int(n) * DURATION_UNITS[u] for n, u in _DURATION_PART.findall(text))


def parse_duration(text: str) -> int | None:
    """The nanoseconds of a duration literal such as `1h30m`, or None when `text` is not one."""
    text = text.strip()
    if not text or _DURATION_PART.sub("", text):
        return None
    return duration_nanos(text)
