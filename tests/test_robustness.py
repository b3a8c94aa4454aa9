"""No input, however malformed, may crash the front end: it gets diagnostics, never a traceback.

Property-based: hypothesis mutates the example strategies (character edits, line edits, indentation changes,
token insertions) and feeds random bytes; every run must end with well-formed diagnostics. Plus the
pathological cases by name: deep nesting, huge files, wrong encodings, binary files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nts.compiler.cli import main
from nts.compiler.frontend import check_file, check_text
from nts.dsl.diagnostics import CODES, render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.nts"))
SEEDS = [p.read_text(encoding="utf-8") for p in EXAMPLES]
TOKENS = [":", "(", ")", "[", "]", '"', "\t", "\n", "    ", "#", "{", "}", "..", "=", "==", "na", "if", "else",
          "on", "bar", "buy", "limit", "tif", "gtd(", "series", "var", "def", "->", "1m", "0", "-1", "\\", "'",
          "\x00", "\u00e9", "\r", "1e999", "99999999999999999999999", "x[", "fill.", "return", "for i in 0..",
          "strategy", "import \"x.nts\"", "+", "**", "not", "and"]


def assert_well_formed(result, text: str | None = None) -> None:
    for d in result.diagnostics.items:
        assert d.code in CODES
        assert d.span.line >= 1 and d.span.col >= 1
        assert (d.span.end_line, d.span.end_col) >= (d.span.line, d.span.col)
        render(d, result.sources.get(d.span.path))


@st.composite
def mutated_program(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["insert", "delete", "dup_line", "drop_line", "swap_lines", "indent", "dedent"]))
        if op in ("insert", "delete") and text:
            pos = draw(st.integers(0, len(text) - 1))
            if op == "insert":
                text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
            else:
                text = text[:pos] + text[pos + draw(st.integers(1, 8)):]
            continue
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if op == "dup_line":
            lines.insert(i, lines[i])
        elif op == "drop_line":
            del lines[i]
        elif op == "swap_lines":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        text = "\n".join(lines)
    return text


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_program())
def test_mutated_programs_get_diagnostics_not_tracebacks(text):
    result = check_text(text, "mutant.nts")
    assert_well_formed(result)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_get_diagnostics(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "random.nts"
    path.write_bytes(data)
    result = check_file(path)
    assert_well_formed(result)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=600))
def test_random_text_gets_diagnostics(text):
    assert_well_formed(check_text(text, "random.nts"))


def run_cli(*args):
    result = CliRunner().invoke(main, list(args))
    # CliRunner catches exceptions; a traceback would show up here as something other than SystemExit.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("body", [
    "x = " + "(" * 500 + "1" + ")" * 500,
    "x = " + "-" * 3000 + "1",
    "x = " + " + ".join(["1"] * 5000),
    "x = " + "[" * 300,
    "".join(f"{'    ' * (d + 1)}if true:\n" for d in range(150)) + "    " * 151 + "pass",
])
def test_pathological_nesting_is_a_diagnostic(tmp_path, body):
    text = "strategy Deep\ninstrument btc = \"BTC.X\"\ndata btc bars 1m\non bar btc:\n"
    if not body.startswith(" "):
        body = "    " + body
    path = tmp_path / "deep.nts"
    path.write_text(text + body + "\n")
    result = run_cli("check", str(path))
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output


def test_huge_file_is_checked_or_refused_cleanly(tmp_path):
    path = tmp_path / "huge.nts"
    lines = ["strategy Huge", "param p: int = 1 in 1..5"] + [f"const c{i} = {i} * p" for i in range(20_000)]
    path.write_text("\n".join(lines))
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "error[E0205]" in result.output
    assert result.output.count("error[") == 201  # capped: 200 and one E0010 that says so
    assert "error[E0010]" in result.output


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "giant.nts"
    path.write_bytes(b"# padding\n" * 900_000)
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "error[E0006]" in result.output and "MiB" in result.output


@pytest.mark.parametrize("data, where", [
    ("strategy X\nparam a: int = 1\n".encode("utf-16"), "1:1"),
    (b"strategy X\nparam \xff: int = 1\n", "2:7"),
    (b"strategy X\n\x00\x01\x02", "2:1"),
])
def test_wrong_encoding_points_at_the_bad_byte(tmp_path, data, where):
    path = tmp_path / "enc.nts"
    path.write_bytes(data)
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert f"enc.nts:{where}: error[E0006]" in result.output


def test_directory_and_missing_file(tmp_path):
    result = run_cli("check", str(tmp_path / "nope.nts"))
    assert result.exit_code == 1 and "error[E0006]" in result.output
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 2  # click refuses a directory argument: a usage error


def test_crlf_and_bom_are_accepted(tmp_path):
    path = tmp_path / "win.nts"
    text = (ROOT / "examples" / "ema_cross.nts").read_text()
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    result = run_cli("check", str(path))
    assert result.exit_code == 0, result.output
