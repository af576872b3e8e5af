"""The `kopt` command as a user runs it: mostly in-process through main(argv), a few real processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kopt.passes.pipeline import Pipeline
from kopt.tools.cli import main
from tests.helpers import EXAMPLES, ROOT

SOFTMAX = str(EXAMPLES / "softmax.py")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_print_after_all_shows_every_pass_then_triton(capsys):
    code, out, err = run(capsys, SOFTMAX, "--print-after-all")
    assert code == 0
    headers = [line for line in err.splitlines() if line.startswith("// -----// IR Dump After")]
    names = Pipeline.default().names()
    # one dump per pass of the default pipeline, in pipeline order (the file's kernels are compiled together)
    assert [h.split("After ")[1].split(" //")[0] for h in headers] == names
    assert "@triton.jit" in out and "tl.load" in out
    assert out.rstrip().endswith("return out")


def test_emit_tile_round_trips_through_a_file(capsys, tmp_path):
    code, tile_text, _ = run(capsys, SOFTMAX, "--emit=tile")
    assert code == 0 and "tile.softmax" in tile_text
    path = tmp_path / "softmax.tile"
    path.write_text(tile_text)
    _, from_tile, _ = run(capsys, str(path))
    _, from_py, _ = run(capsys, SOFTMAX)
    # the same code; launch checks are located in the file the IR came from (the .tile here)
    assert _unlocated(from_tile) == _unlocated(from_py) and "@triton.jit" in from_py


def test_emit_tt_and_output_file(capsys, tmp_path):
    target = tmp_path / "out.mlir"
    code, out, _ = run(capsys, SOFTMAX, "--emit=tt", "-o", str(target))
    assert code == 0 and out == ""
    text = target.read_text()
    assert "tt.program_id" in text and "tt.load" in text and "tile.load" not in text


def test_print_before_and_after_one_pass(capsys):
    code, _, err = run(capsys, SOFTMAX, "--print-before=masking", "--print-after=masking")
    assert code == 0
    assert err.count("// -----// IR Dump Before masking //----- //") == 1
    assert err.count("// -----// IR Dump After masking //----- //") == 1
    assert "IR Dump After tiling" not in err


def test_custom_pipeline_string_and_bad_pass_name(capsys):
    code, out, _ = run(capsys, SOFTMAX, "--pass-pipeline=decompose,shape-inference", "--emit=tt")
    assert code == 0 and "tile.reduce" in out and "tile.softmax" not in out
    code, _, err = run(capsys, SOFTMAX, "--pass-pipeline=decompose,no-such-pass")
    assert code == 1 and "unknown pass 'no-such-pass'" in err.splitlines()[0]


def test_list_passes_and_print_pipeline(capsys):
    code, out, _ = run(capsys, "--list-passes")
    assert code == 0
    for name in Pipeline.default().names():
        assert f"  {name} " in out
    assert "mode: str = auto" in out
    code, out, _ = run(capsys, "--print-pipeline")
    assert out.strip() == ",".join(Pipeline.default().names())


def test_timing_table(capsys):
    code, _, err = run(capsys, SOFTMAX, "--timing")
    assert code == 0
    for row in ["frontend", *Pipeline.default().names(), "backend (Triton source)", "Total"]:
        assert row in err


def test_signature_option(capsys):
    add = str(EXAMPLES / "add.py")
    code, _, err = run(capsys, add)
    assert code == 1 and "cannot infer the rank of argument `x`" in err and "--signature" in err
    code, out, _ = run(capsys, add, "--signature", "x: f16[N], y: f16[N]")
    assert code == 0 and "def _add_kernel(x, y, out," in out


def test_stdin_input(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO((EXAMPLES / "row_sum.py").read_text()))
    code, out, _ = run(capsys, "-")
    assert code == 0 and "def row_sum(x):" in out


@pytest.mark.parametrize("bad", ["missing.py", "missing.tile"])
def test_missing_file(capsys, bad):
    code, _, err = run(capsys, bad)
    assert code == 1 and err.startswith(f"<command line>:1:6: error: cannot read '{bad}'")
    assert err.splitlines()[1:3] == [f"kopt {bad}", "     ^"]  # the command line, a caret under the file name


def test_real_process_emits_without_importing_torch(tmp_path):
    """`kopt FILE.py` reads the AST only; neither torch nor triton is imported."""
    code = ("import sys; from kopt.tools.cli import main; rc = main([sys.argv[1]]); "
            "sys.stderr.write('IMPORTED:' + ','.join(m for m in ('torch', 'triton') if m in sys.modules)); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, SOFTMAX], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "@triton.jit" in r.stdout
    assert r.stderr.strip().endswith("IMPORTED:")


def test_real_process_error_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import kopt\nimport kopt.language as hl\n\n@kopt.kernel\ndef k(x):\n    n, m = x.size()\n"
                   "    for t in hl.tile(n):\n        while True:\n            pass\n    return x\n")
    r = subprocess.run([sys.executable, "-m", "kopt.tools.cli", str(bad)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    assert first == f"{bad}:8:9: error: a `while` loop is not supported inside a tile loop"
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[1] == "        while True:" and r.stderr.splitlines()[2] == "        ^"


def test_help_lists_every_option(capsys):
    """`kopt --help` is the first thing a new user runs: argparse %-formats every help string."""
    code, out, err = run(capsys, "--help")
    assert code == 0, err
    for option in ("--print-after-all", "--pass-pipeline", "--timing", "--assume", "--emit", "--load-pass-plugin"):
        assert option in out
    assert '"_m % 128 == 0"' in out


def _unlocated(source: str) -> str:
    import re

    return re.sub(r"SourceLoc\([^)]*\)", "SourceLoc(...)", source)


def test_a_signature_that_names_a_size_twice_checks_it_at_every_call(capsys, tmp_path):
    """`N` in two tensors is one size: the launcher checks it before launching, a KoptError located at the
    parameter (a --signature is not in the file)."""
    path = tmp_path / "tied.py"
    path.write_text("import torch\nimport kopt\nimport kopt.language as hl\n\n\n@kopt.kernel\ndef k(x, y):\n"
                    "    m, n = x.size()\n    out = torch.empty_like(x)\n    for tm, tn in hl.tile([m, n]):\n"
                    "        out[tm, tn] = x[tm, tn] * y[tn, 0].to(torch.float32)\n    return out\n")
    code, out, err = run(capsys, str(path), "--signature", "x: f32[M, N], y: i32[N, N]")
    assert code == 0, err
    assert (f"if y.size(0) != x.size(1): raise KoptError(f'`y.size(0)` ({{y.size(0)}}) and `x.size(1)` ({{x.size(1)}}) "
            f"must be equal: the signature names both `N`', SourceLoc({str(path)!r}, 7, 10)") in out
