"""Compiled artifacts: what `ntc compile -o DIR` writes, that loading an up-to-date artifact does not JIT again, and
that a changed source or compiler compiles again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import nts
from nts.compiler.artifact import CompileError, compiler_id, read_manifest, write_artifact
from nts.compiler.cli import main
from nts.runtime.strategy import ArtifactError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ema_cross.nts"

LOAD_SCRIPT = """
import sys, nts
s = nts.load(sys.argv[1])
hits, misses = s.jit_stats()
print(hits, misses)
"""


def load_in_fresh_process(directory: Path) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(directory)], capture_output=True, text=True,
                         check=True)
    hits, misses = out.stdout.split()
    return int(hits), int(misses)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    work = tmp_path_factory.mktemp("artifact")
    source = work / "ema_cross.nts"
    shutil.copy(EXAMPLE, source)
    result = CliRunner().invoke(main, ["compile", str(source), "-o", str(work / "out")])
    assert result.exit_code == 0, result.output
    return source, work / "out"


def test_the_artifact_holds_module_manifest_and_numba_cache(artifact):
    source, out = artifact
    manifest = read_manifest(out)
    assert (out / "strategy.py").exists() and (out / "manifest.json").exists()
    assert list((out / "__pycache__").glob("strategy.*.nbi")), "no Numba cache was written"
    assert manifest.strategy == "EmaCross" and len(manifest.source_sha256) == 64
    assert manifest.compiler_version.startswith(nts.__version__ + "+")  # and a hash of the compiler's sources
    assert [p.name for p in manifest.params] == ["fast", "slow", "allow_short", "risk"]
    assert (manifest.params[0].lo, manifest.params[0].hi) == (2, 100)
    assert [i.symbol for i in manifest.instruments] == ["SPY.ARCA"]
    assert [s.key for s in manifest.streams] == ["spy.bars"]
    assert {s.name: s.lookback for s in manifest.series} == {"f": 0, "s": 0, "regime": 0}
    assert set(manifest.entry_points) == {"init", "step:spy.bars", "on:fill"}
    assert manifest.layout.sizes["params"] == 4 and manifest.intent_capacity == 1
    assert json.loads((out / "manifest.json").read_text())["layout"]["indicators"][0]["function"] == "ema"


def test_loading_an_up_to_date_artifact_does_not_jit(artifact):
    source, out = artifact
    hits, misses = load_in_fresh_process(out)
    assert misses == 0 and hits >= 3
    stamp = (out / "strategy.py").stat().st_mtime_ns
    _, written = write_artifact(source, out)
    assert not written and (out / "strategy.py").stat().st_mtime_ns == stamp


def test_a_changed_source_compiles_again(artifact, tmp_path):
    source, out = artifact
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    manifest = read_manifest(copy)
    edited = tmp_path / "ema_cross.nts"
    edited.write_text(source.read_text().replace("record spread", "record gap"))
    manifest.source_path, manifest.source_files = str(edited), [str(edited)]
    (copy / "manifest.json").write_text(manifest.model_dump_json())
    strategy = nts.load(copy)  # the source no longer matches the manifest's hash: compiled again
    assert strategy.manifest.records == ["gap", "regime"]
    assert strategy.jit_stats()[1] > 0


def test_another_compiler_version_compiles_again(artifact, tmp_path):
    source, out = artifact
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    manifest = read_manifest(copy)
    manifest.compiler_version = "0.0.1"
    (copy / "manifest.json").write_text(manifest.model_dump_json())
    assert nts.load(copy).manifest.compiler_version == compiler_id()
    manifest.source_files = [str(tmp_path / "gone.nts")]
    (copy / "manifest.json").write_text(manifest.model_dump_json())
    with pytest.raises(ArtifactError, match="is gone"):
        nts.load(copy)


def test_compile_refuses_a_strategy_with_errors(tmp_path):
    bad = tmp_path / "bad.nts"
    bad.write_text("strategy B\nseries x = nope\n")
    with pytest.raises(CompileError, match=r"bad\.nts:2:12: unknown name `nope`"):
        nts.compile(bad)
    result = CliRunner().invoke(main, ["compile", str(bad)])
    assert result.exit_code == 1 and "E0101" in result.output
    assert not (tmp_path / ".ntc").exists()


def test_emit_py_and_ir_print_what_the_strategy_became():
    runner = CliRunner()
    py = runner.invoke(main, ["compile", str(EXAMPLE), "--emit", "py"])
    assert py.exit_code == 0
    assert "@hot(inline=\"always\")\ndef step_spy_bars(ev, i, state, ctx, out):" in py.output
    assert "kept_calls_0 = ema_update(ind, 0, kept_data_3, int(params[0]))  # ema_cross.nts:13" in py.output
    compile(py.output, "generated.py", "exec")  # it is valid Python
    ir_text = runner.invoke(main, ["compile", str(EXAMPLE), "--emit", "ir"]).output
    assert "handler on_bar_spy_bars(ev, i, state, ctx, out)" in ir_text and "entry step:spy.bars" in ir_text


def test_nts_compile_keeps_its_artifact_beside_the_source(tmp_path):
    source = tmp_path / "ema_cross.nts"
    shutil.copy(EXAMPLE, source)
    strategy = nts.compile(source)
    assert strategy.directory == tmp_path / ".ntc" / "ema_cross"
    assert nts.compile(source).manifest.source_sha256 == strategy.manifest.source_sha256
    os.utime(source)  # touching without changing leaves it up to date
    assert not write_artifact(source)[1]
