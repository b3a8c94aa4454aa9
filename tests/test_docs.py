"""docs/language.md stays true: every example in it is run through `ntc check`.

- An ```nts or ```yaml block directly followed by a ```text block that starts `$ ntc check NAME` is an error example:
  the output shown must equal ntc's output exactly.
- Any other such block must check clean (exit 0, no diagnostics), unless a `<!-- expect: CODE -->` comment before it
  names the codes it must report. A `<!-- file: PATH -->` block is a library written beside the next example.
- ```console blocks (`$ ntc ...` lines and their output) are re-run, except facts excerpts.
- Every diagnostic code has a `### CODE: title` heading, every internal link resolves, and the stdlib table lists
  every stdlib signature.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nts.dsl.diagnostics import CODES
from nts.stdlib import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "language.md"
TEXT = DOC.read_text(encoding="utf-8")
LINES = TEXT.split("\n")
BIN = Path(sys.executable).parent


def _blocks():
    """(line, lang, body, marker) of every fenced block; marker is the `<!-- kind: value -->` just before it."""
    blocks, marker, i = [], None, 0
    while i < len(LINES):
        m = re.fullmatch(r"<!-- (file|expect): (.+) -->", LINES[i])
        fence = re.fullmatch(r"```(\w*)", LINES[i])
        if m:
            marker = (m.group(1), m.group(2))
        elif fence:
            j = LINES.index("```", i + 1)
            blocks.append((i + 1, fence.group(1), "\n".join(LINES[i + 1:j]) + "\n", marker))
            marker, i = None, j
        elif LINES[i].strip():
            marker = None
        i += 1
    return blocks


BLOCKS = _blocks()


def _cases():
    """Each example with the library files it needs and the output the doc shows for it (None: must be clean)."""
    cases, libs = [], []
    for k, (line, lang, body, mark) in enumerate(BLOCKS):
        if lang not in ("nts", "yaml"):
            continue
        if mark and mark[0] == "file":
            libs.append((mark[1], body))
            continue
        name = "example.nts.yaml" if lang == "yaml" else "example.nts"
        shown = None
        nxt = BLOCKS[k + 1] if k + 1 < len(BLOCKS) else None
        if nxt and nxt[1] == "text" and nxt[2].startswith("$ ntc check "):
            first, _, shown = nxt[2].partition("\n")
            name = first.split()[-1]
        expect = mark[1] if mark and mark[0] == "expect" else None
        cases.append(pytest.param(name, body, list(libs), shown, expect, id=f"line{line}"))
        libs = []
    return cases


def ntc(args: str, cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(f"{BIN / 'ntc'} {args}", shell=True, cwd=cwd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("name, body, libs, shown, expect", _cases())
def test_example(tmp_path, name, body, libs, shown, expect):
    for path, text in libs:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / name).write_text(body)
    rc, got = ntc(f"check {name}", tmp_path)
    if shown is not None:
        assert got == shown
    elif expect is not None:
        for code in expect.split(","):
            assert f"[{code.strip()}]" in got
    else:
        assert rc == 0 and not re.search(r"\[[EW]\d{4}\]", got), got


def _console_cases():
    cases = []
    for k, (line, lang, body, _) in enumerate(BLOCKS):
        if lang != "console" or not body.startswith("$ ") or "--emit facts" in body.split("\n")[0]:
            continue
        # The example a console block runs on is the last nts/yaml block before it.
        prev = next((b for b in reversed(BLOCKS[:k]) if b[1] in ("nts", "yaml")), None)
        cases.append(pytest.param(body, prev[2] if prev else "", id=f"line{line}"))
    return cases


@pytest.mark.parametrize("body, example", _console_cases())
def test_console_transcript(tmp_path, body, example):
    commands: list[tuple[str, list[str]]] = []
    for ln in body.rstrip("\n").split("\n"):
        if ln.startswith("$ "):
            commands.append((ln[2:], []))
        else:
            commands[-1][1].append(ln)
    first = commands[0][0].split()
    if first[:2] == ["ntc", "check"] and first[-1] != "--json":
        (tmp_path / first[-1]).write_text(example)
    if commands[0][0] == "ntc check --json example.nts":
        # The JSON sample runs on the E0101 example of the diagnostics section.
        section = TEXT[TEXT.index("### E0101: unknown name"):]
        (tmp_path / "example.nts").write_text(re.search(r"```nts\n(.*?)```", section, re.S).group(1))
    for command, expected in commands:
        rc, got = ntc(command[len("ntc "):], tmp_path) if command.startswith("ntc ") else _shell(command, tmp_path)
        assert (got.rstrip("\n").split("\n") if got else []) == expected, command


def _shell(command: str, cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def test_every_code_has_a_heading():
    missing = [code for code, title in CODES.items() if f"\n### {code}: {title}\n" not in TEXT]
    assert missing == []


def test_internal_links_resolve():
    def slug(heading: str) -> str:
        return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")

    anchors, in_code = set(), False
    for ln in LINES:
        in_code ^= ln.startswith("```")
        if not in_code and ln.startswith("#"):
            anchors.add(slug(ln.lstrip("#")))
    assert sorted(set(re.findall(r"\]\(#([^)]+)\)", TEXT)) - anchors) == []


def test_stdlib_table_lists_every_function():
    missing = [s.name for s in REGISTRY.values() if f"`{s.signature_text().replace('|', chr(92) + '|')}`" not in TEXT]
    assert missing == []
