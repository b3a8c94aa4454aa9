"""Golden tests for the diagnostics of `ntc check`: one or more cases for every code in `CODES`.

Layout (all under tests/golden/):

* `<CODE>_<short_name>.nts` (or `.nts.yaml`): a small strategy that triggers `<CODE>`, ideally nothing else.
  `OK_<short_name>.nts` is a case that must check clean. Libraries that cases import live in `lib/`.
* `<CODE>_<short_name>.out`: exactly what `ntc check tests/golden/<CODE>_<short_name>.nts` prints to stdout,
  run from the repository root (so paths in the output are relative). The summary line goes to stderr and is
  not part of it. Exit status: 1 for an `E` case, 0 for a `W` or `OK` case.
* `xfail.txt`: cases where the checker is known to be wrong, one per line as `<file>: <reason>`. Their `.out`
  holds the output the checker *should* print; the test is `xfail(strict=True)`, so fixing the checker makes it
  fail until the line is removed from xfail.txt.

Regenerating the expected output after an intended change of messages:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_diagnostics_golden.py

rewrites every `.out` from the checker's current output (cases listed in xfail.txt are left alone: their
`.out` is written by hand). Read the diff before committing it: a golden is only as good as its review.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nts.compiler.cli import main
from nts.dsl.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
DOCS = ROOT / "docs" / "language.md"
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")

# `path:line:col: severity[CODE]: message`, the first line of every rendered diagnostic.
HEAD = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<code>[EW]\d{4})\]: ",
                  re.M)


def _cases() -> list[Path]:
    return sorted([*GOLDEN.glob("*.nts"), *GOLDEN.glob("*.nts.yaml")])


def _stem(case: Path) -> str:
    name = case.name
    return name[: -len(".nts.yaml")] if name.endswith(".nts.yaml") else name[: -len(".nts")]


def _out_path(case: Path) -> Path:
    return case.with_name(_stem(case) + ".out")


def _rel(case: Path) -> str:
    return case.relative_to(ROOT).as_posix()


def _xfails() -> dict[str, str]:
    path = GOLDEN / "xfail.txt"
    if not path.exists():
        return {}
    entries = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, reason = line.partition(":")
        assert sep and reason.strip(), f"xfail.txt: expected `<file>: <reason>`, got {raw!r}"
        entries[name.strip()] = reason.strip()
    return entries


XFAILS = _xfails()
CASES = _cases()


def _params(cases: list[Path], xfail: bool) -> list:
    out = []
    for case in cases:
        marks = []
        if xfail and case.name in XFAILS:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAILS[case.name]))
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stdout and stderr apart


def _run(args: list[str], monkeypatch):
    monkeypatch.chdir(ROOT)
    return _runner().invoke(main, args, catch_exceptions=False)


def _expected_exit(case: Path) -> int:
    return 1 if case.name.startswith("E") else 0


def _code_of(case: Path) -> str | None:
    m = re.match(r"([EW]\d{4})_", case.name)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------- the goldens
@pytest.mark.parametrize("case", _params(CASES, xfail=True))
def test_golden(case: Path, monkeypatch):
    if UPDATE and case.name in XFAILS:
        pytest.skip("listed in xfail.txt: its .out is the intended output, edited by hand")
    result = _run(["check", _rel(case)], monkeypatch)
    out_path = _out_path(case)
    if UPDATE:
        out_path.write_text(result.stdout, encoding="utf-8", newline="\n")
    assert out_path.exists(), f"no expected output {out_path.name}; create it with UPDATE_GOLDEN=1"
    expected = out_path.read_text(encoding="utf-8")
    assert result.stdout == expected
    assert result.exit_code == _expected_exit(case), result.stderr


@pytest.mark.parametrize("case", _params(CASES, xfail=False))
def test_golden_case_is_well_formed(case: Path):
    """The expected output (hand-written or generated) shows the case's own code and agrees with its exit code."""
    code = _code_of(case)
    assert code is not None or case.name.startswith("OK_"), \
        f"{case.name}: name a case `<CODE>_<short_name>.nts`, or `OK_<short_name>.nts` for a clean one"
    if code is not None:
        assert code in CODES, f"{case.name}: {code} is not a diagnostic code"
    out_path = _out_path(case)
    assert out_path.exists(), f"no expected output {out_path.name}"
    expected = out_path.read_text(encoding="utf-8")
    codes = {m.group("code") for m in HEAD.finditer(expected)}
    if code is None:
        assert expected == "", f"{case.name} must check clean"
    else:
        assert code in codes, f"{out_path.name} does not show {code}"
    has_error = any(c.startswith("E") for c in codes)
    assert has_error == (_expected_exit(case) == 1), f"{out_path.name}: errors and the case's prefix disagree"
    for m in HEAD.finditer(expected):
        assert m.group("path").startswith("tests/golden/"), "paths in the output are relative to the repository root"


def test_every_code_has_a_golden_case():
    covered = {_code_of(c) for c in CASES}
    missing = [code for code in CODES if code not in covered]
    assert not missing, f"codes without a golden case in tests/golden/: {', '.join(missing)}"


def test_xfail_list_names_existing_cases():
    names = {c.name for c in CASES}
    unknown = sorted(set(XFAILS) - names)
    assert not unknown, f"xfail.txt names cases that do not exist: {unknown}"


def test_out_files_belong_to_cases():
    stems = {_stem(c) for c in CASES}
    assert len(stems) == len(CASES), "two cases share one .out file (a .nts and a .nts.yaml of the same name)"
    orphans = sorted(p.name for p in GOLDEN.glob("*.out") if p.stem not in stems)
    assert not orphans, f".out files without a case: {orphans}"


# ---------------------------------------------------------------------------------------------- JSON form
@pytest.mark.parametrize("case", _params(CASES, xfail=False))
def test_json_form_matches_text(case: Path, monkeypatch):
    """`ntc check --json` lists the same diagnostics (code, path, line, col, severity) as the text form."""
    text = _run(["check", _rel(case)], monkeypatch)
    as_json = _run(["check", "--json", _rel(case)], monkeypatch)
    if as_json.exit_code == 3 and case.name in XFAILS:
        pytest.xfail(XFAILS[case.name])
    assert as_json.exit_code == text.exit_code, as_json.stderr
    data = json.loads(as_json.stdout)
    assert [f["path"] for f in data["files"]] == [_rel(case)]
    diags = data["files"][0]["diagnostics"]
    from_json = [(d["span"]["path"], d["span"]["line"], d["span"]["col"], d["severity"], d["code"]) for d in diags]
    from_text = [(m.group("path"), int(m.group("line")), int(m.group("col")), m.group("severity"), m.group("code"))
                 for m in HEAD.finditer(text.stdout)]
    assert from_json == from_text
    assert data["errors"] == sum(1 for d in diags if d["severity"] == "error")
    assert data["warnings"] == sum(1 for d in diags if d["severity"] == "warning")
    assert data["files"][0]["ok"] == (data["errors"] == 0)
    for d in diags:
        assert d["message"] and d["code"] in CODES


# ---------------------------------------------------------------------------------------------- reference
def test_language_reference_has_a_heading_per_code():
    """docs/language.md documents every code under `### CODE: title`, the title being CODES[code]."""
    assert DOCS.exists(), "docs/language.md is missing: it must list every diagnostic code"
    text = DOCS.read_text(encoding="utf-8")
    headings = set(re.findall(r"^###\s+([EW]\d{4}: .+?)\s*$", text, re.M))
    missing = [f"### {code}: {title}" for code, title in CODES.items() if f"{code}: {title}" not in headings]
    assert not missing, "docs/language.md lacks these headings:\n" + "\n".join(missing)
