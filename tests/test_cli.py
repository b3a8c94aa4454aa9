"""The `ntc` command: exit codes, text and JSON output, and the shipped examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nts import __version__
from nts.compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.nts*"))

CLEAN = """strategy Tiny
instrument btc = "BTCUSDT.BINANCE"
data btc bars 1m
series f = sma(btc.close, 10)
on bar btc:
    if f > btc.close:
        buy btc 1
"""


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def clean_file(tmp_path):
    path = tmp_path / "tiny.nts"
    path.write_text(CLEAN)
    return path


def test_version_and_help():
    assert invoke("--version").output.strip() == f"ntc {__version__}"
    help_text = invoke("--help").output
    assert "ntc check examples/" in help_text and "check" in help_text and "compile" in help_text


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_checks_clean(example, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke("check", example)
    assert result.exit_code == 0, result.output
    assert "warning[" not in result.output


def test_exit_codes(tmp_path, clean_file):
    assert invoke("check", str(clean_file)).exit_code == 0
    bad = tmp_path / "bad.nts"
    bad.write_text(CLEAN.replace("sma(btc.close, 10)", "sma(btc.closed, 10)"))
    result = invoke("check", str(clean_file), str(bad))
    assert result.exit_code == 1
    assert "bad.nts:4:20: error[E0105]: unknown field `closed` of `btc`" in result.output
    assert "did you mean `close`?" in result.output
    assert invoke("check").exit_code == 2  # no file: usage error
    assert invoke("check", "--no-such-flag", str(clean_file)).exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_warnings_alone_exit_zero(tmp_path):
    path = tmp_path / "warn.nts"
    path.write_text(CLEAN.replace("data btc bars 1m", "data btc bars 1m\nparam unused: int = 3"))
    result = invoke("check", str(path))
    assert result.exit_code == 0
    assert "warning[W0001]: param `unused` is never used" in result.output


def test_json_output(tmp_path, clean_file):
    bad = tmp_path / "bad.nts"
    bad.write_text(CLEAN.replace("buy btc 1", "buy btc 1 limit 10 stop 9"))
    result = invoke("check", "--json", str(clean_file), str(bad))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["errors"] == 1 and data["warnings"] == 0
    assert [f["ok"] for f in data["files"]] == [True, False]
    (diag,) = data["files"][1]["diagnostics"]
    assert diag["code"] == "E0207" and diag["severity"] == "error"
    assert diag["span"] == {"path": str(bad), "line": 7, "col": 28, "end_line": 7, "end_col": 34}


def test_compile_emits_facts_and_ast(clean_file, tmp_path):
    result = invoke("compile", "--emit", "facts", str(clean_file))
    assert result.exit_code == 0
    facts = json.loads(result.output)
    assert facts["strategy"] == "Tiny"
    assert facts["streams"][0]["timeframe_ns"] == 60 * 10**9
    assert facts["indicator_calls"][0]["static_args"] == {"length": 10}
    tree = json.loads(invoke("compile", "--emit", "ast", str(clean_file)).output)
    assert [item["kind"] for item in tree["items"]] == ["header", "instrument", "data", "series", "handler"]
    bad = tmp_path / "bad.nts"
    bad.write_text("strategy X\non bar nope:\n    pass\n")
    result = invoke("compile", str(bad))
    assert result.exit_code == 1 and "error[E0101]" in result.output


def test_console_script_runs_without_traceback(tmp_path):
    """The installed entry point itself, in a real subprocess."""
    path = tmp_path / "garbage.nts"
    path.write_bytes(bytes(range(256)) * 4)
    ntc = Path(sys.executable).parent / "ntc"
    proc = subprocess.run([str(ntc), "check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "error[E0006]" in proc.stdout


def test_readme_example_and_error_sample_are_true(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    blocks = readme.split("```")[1::2]
    example = next(b for b in blocks if b.lstrip().startswith("strategy EmaCross"))
    assert len(example.strip().splitlines()) <= 12
    path = tmp_path / "readme.nts"
    path.write_text(example.lstrip("\n"))
    result = invoke("check", str(path))
    assert result.exit_code == 0 and "warning[" not in result.output, result.output
    # The error sample is what ntc prints for examples/ema_cross.nts with `fast` misspelt.
    sample = next(b for b in blocks if "error[E0101]" in b).strip("\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    source = (ROOT / "examples" / "ema_cross.nts").read_text()
    (tmp_path / "examples" / "ema_cross.nts").write_text(source.replace("ema(spy.close, fast)", "ema(spy.close, fsat)"))
    output = invoke("check", "examples/ema_cross.nts").output
    assert sample in output
