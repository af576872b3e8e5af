"""CLI options beyond the basics: --list-passes, --timing, --print-changed, pipeline options, --version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kopt.passes import Pipeline, available_passes, load_plugin, registry
from kopt.passes.pipeline import option_infos
from kopt.tools.cli import main
from kopt.tools.passinfo import summary
from tests.helpers import EXAMPLES

SOFTMAX = str(EXAMPLES / "softmax.py")
OPTIONS_PLUGIN = Path(__file__).resolve().parent / "options_pass_plugin.py"
ROW = re.compile(r"^\s+(?P<ms>\d+\.\d+) ms \(\s*(?P<pct>\d+\.\d)%\)  (?P<name>.+)$")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_passes_shows_every_pass_with_summary_and_options(capsys):
    code, out, _ = run(capsys, "--list-passes")
    assert code == 0
    lines = out.splitlines()
    for name, cls in available_passes().items():
        header = next(line for line in lines if line.split()[:1] == [name])
        assert summary(cls) in header and summary(cls) != "(no description)"
        block = lines[lines.index(header) + 1:]
        for opt, typ, default in option_infos(cls):
            shown = str(default).lower() if isinstance(default, bool) else default  # as a pipeline string writes it
            assert f"      {opt}: {typ} = {shown}" in block[: len(option_infos(cls))]


def test_timing_has_one_row_per_pass_in_order_and_a_total(capsys):
    code, _, err = run(capsys, SOFTMAX, "--timing")
    assert code == 0
    rows = [m.groupdict() for line in err.splitlines() if (m := ROW.match(line))]
    names = [r["name"] for r in rows]
    assert names == ["frontend", *Pipeline.default().names(), "verifier", "backend (Triton source)",
                     "rest (dumps, output)", "Total"]
    total = float(rows[-1]["ms"])
    assert abs(sum(float(r["ms"]) for r in rows[:-1]) - total) <= 0.01 * len(rows)
    assert f"Total Execution Time: {rows[-1]['ms']} ms" in err


def test_timing_aggregates_a_pass_that_runs_twice(capsys):
    code, _, err = run(capsys, SOFTMAX, "--timing", "--no-verify-each", "--emit=tt",
                       "--pass-pipeline=decompose,cse,shape-inference,cse")
    names = [m["name"] for line in err.splitlines() if (m := ROW.match(line))]
    assert code == 0 and names == ["frontend", "decompose", "cse", "shape-inference", "rest (dumps, output)", "Total"]


def test_print_changed_alone_and_with_print_after(capsys):
    pipeline = "--pass-pipeline=decompose,canonicalize,shape-inference"
    code, _, err = run(capsys, SOFTMAX, pipeline, "--emit=tt", "--print-changed")
    headers = [line for line in err.splitlines() if "IR Dump" in line]
    assert code == 0 and headers == ["// -----// IR Dump After decompose //----- //",
                                     "// -----// IR Dump After shape-inference //----- //"]
    code, _, err = run(capsys, SOFTMAX, pipeline, "--emit=tt", "--print-changed", "--print-after=canonicalize")
    assert code == 0 and "IR Dump" not in err


def test_print_before_all(capsys):
    code, _, err = run(capsys, SOFTMAX, "--print-before-all", "--emit=tt")
    headers = [line.split("Before ")[1].split(" //")[0] for line in err.splitlines() if "IR Dump Before" in line]
    assert code == 0 and headers == Pipeline.default().names() and "IR Dump After" not in err


@pytest.fixture
def options_pass():
    """Register tests/cli/options_pass_plugin.py's `test-options` pass for one test."""
    saved = dict(registry._PASSES), dict(registry._ORIGIN)
    load_plugin(str(OPTIONS_PLUGIN))
    yield ["--load-pass-plugin", str(OPTIONS_PLUGIN)]
    for table, before in zip((registry._PASSES, registry._ORIGIN), saved):
        table.clear()
        table.update(before)


def test_list_passes_shows_option_types_and_defaults(capsys, options_pass):
    code, out, _ = run(capsys, *options_pass, "--list-passes")
    block = out.split("  test-options ")[1].splitlines()
    assert code == 0 and block[0].strip().startswith("Do nothing, with options.  [plugin: ")
    assert block[1:5] == ["      count: int = 2", "      label: str = x", "      scale: float | None = None",
                          "      sizes: tuple[int, ...] = ()"]


def test_print_pipeline_normalizes_a_given_pipeline(capsys, options_pass):
    code, out, _ = run(capsys, *options_pass, "--print-pipeline",
                       "--pass-pipeline=decompose,test-options{count=2 label=y},cse")
    assert code == 0 and out.strip() == 'decompose,test-options{label="y"},cse'


OPTIONS_NOTE = "note: options of 'test-options': count: int = 2, label: str = x, scale: float | None = None, sizes: tuple[int, ...] = ()"


@pytest.mark.parametrize("spec, first", [
    ("decompose,test-options{bogus=1}", "<pass-pipeline>:1:11: error: pass 'test-options' has no option 'bogus'"),
    ("test-options{count=x}", "<pass-pipeline>:1:1: error: option 'count' of pass 'test-options' expects int, got 'x'"),
    ("test-options{count}", "<pass-pipeline>:1:1: error: option 'count' of pass 'test-options' expects int, got no value"),
    ("test-options{sizes=a,b}",
     "<pass-pipeline>:1:1: error: option 'sizes' of pass 'test-options' expects tuple[int, ...], got 'a,b'"),
])
def test_pipeline_option_errors_name_pass_option_and_list_options(capsys, options_pass, spec, first):
    code, _, err = run(capsys, *options_pass, SOFTMAX, f"--pass-pipeline={spec}")
    lines = err.splitlines()
    assert code == 1 and lines[0] == first
    assert lines[1] == spec and lines[2].endswith("^")
    assert OPTIONS_NOTE in lines


def test_pipeline_options_reach_the_pass(options_pass):
    p = Pipeline.parse("test-options{count=3 scale=0.5 sizes=1,2}")
    assert (p.passes[0].count, p.passes[0].scale, p.passes[0].sizes, p.passes[0].label) == (3, 0.5, (1, 2), "x")
    assert Pipeline.parse(str(p)).passes == p.passes


def test_pipeline_editing_accepts_pipeline_strings():
    p = Pipeline.default().remove("canonicalize").insert_before("lower-to-tt", "cse,dce").append("canonicalize")
    names = Pipeline.default().names()
    assert p.names() == [*names[:-3], "cse", "dce", "lower-to-tt", "reread-hints", "canonicalize"]


def test_version(capsys):
    from kopt import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith(f"kopt {__version__} (xDSL ")


def test_bad_command_line_is_one_error_line_and_exit_1(capsys):
    code, _, err = run(capsys, SOFTMAX, "--frobnicate")
    col = len(f"kopt {SOFTMAX} ") + 1  # at the word, on the command line as one line
    assert code == 1 and err.splitlines()[0] == f"<command line>:1:{col}: error: unrecognized arguments: --frobnicate"
    assert err.splitlines()[2] == " " * (col - 1) + "^"


def test_tile_text_on_stdin_compiles_like_the_file(capsys, monkeypatch, tmp_path):
    import io
    import sys

    code, tile_text, _ = run(capsys, SOFTMAX, "--emit=tile")
    monkeypatch.setattr(sys, "stdin", io.StringIO(tile_text))
    code, from_stdin, _ = run(capsys, "-")
    _, from_py, _ = run(capsys, SOFTMAX)
    assert code == 0 and _unlocated(from_stdin) == _unlocated(from_py)  # launch checks: located in <stdin>


def _unlocated(source: str) -> str:
    import re

    return re.sub(r"SourceLoc\([^)]*\)", "SourceLoc(...)", source)
