"""`kopt bench compile` on the CPU: compile times of an example, and one compile for the 98 shapes."""

import csv
import os
import shutil
import subprocess
import sys

import pytest

from kopt.tools.bench import cli
from tests.helpers import ROOT


def test_bench_compile_softmax(tmp_path, capsys):
    code = cli.main(["compile", "--examples", "softmax", "--repeat", "3", "--peers", "none", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "kopt bench compile  shapes=tritonbench (98)" in out and "per stage, median ms:" in out
    rows = list(csv.DictReader(open(tmp_path / "compile_tritonbench.csv")))
    got = {(r["kernel"], r["metric"]): r["value"] for r in rows if r["impl"] == "kopt"}
    for kernel in ("softmax", "softmax_decomposed"):
        assert got[(kernel, "compiles")] == "1"  # one kopt compile serves all 98 shapes
        assert float(got[(kernel, "warm_ms")]) > 0 and (kernel, "stage_ms:mask-elision") in got
    assert any(r["impl"] == "kopt-cli" for r in rows) and (tmp_path / "compile_tritonbench.txt").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_bench_compile_writes_under_an_ignored_folder_and_prints_no_torch_warnings(tmp_path):
    # A run from a checkout with the default --out: the files go to out/bench/, which .gitignore ignores, and the
    # torch.compile peer's dynamo warnings (dynamo_pgo force disabled ...) stay out of the output.
    shutil.copy(ROOT / ".gitignore", tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    status = ["git", "status", "--porcelain", "--untracked-files=all"]
    before = subprocess.run(status, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRITON_INTERPRET": "1", "KOPT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONWARNINGS", None)
    r = subprocess.run([sys.executable, "-m", "kopt.tools.bench", "compile", "--examples", "add", "--shapes", "small",
                        "--repeat", "1", "--peers", "compile", "--peer-shapes", "1"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Warning" not in r.stderr and "torch/_dynamo" not in r.stderr, r.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "out" / "bench" / "compile_small.csv")))
    assert any(r["impl"] == "compile" and r["status"] == "ok" for r in rows), rows  # the peer did run
    after = subprocess.run(status, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert after == before, after
