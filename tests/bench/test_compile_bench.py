"""`kopt bench compile` on the CPU: compile times of an example, and one compile for the 98 shapes."""

import csv

from kopt.tools.bench import cli


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
