"""Pass plugins: the example exp-to-exp2 plugin on the command line, in a Python pipeline, and in a running kernel."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
import torch

import kopt
from kopt.passes import Pipeline, available_passes, load_plugin, registry
from kopt.tools.cli import main
from tests.helpers import EXAMPLES, ROOT, load_example

PLUGIN = str(EXAMPLES / "plugins" / "exp_to_exp2.py")
SOFTMAX = str(EXAMPLES / "softmax.py")
DEFAULT = ",".join(Pipeline.default().names())


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def clean_registry():
    saved = dict(registry._PASSES), dict(registry._ORIGIN)
    yield
    for table, before in zip((registry._PASSES, registry._ORIGIN), saved):
        table.clear()
        table.update(before)


def test_plugin_at_the_end_of_the_default_pipeline(capsys):
    code, out, err = run(capsys, SOFTMAX, "--load-pass-plugin", PLUGIN, f"--pass-pipeline={DEFAULT},exp-to-exp2",
                         "--print-after=exp-to-exp2")
    assert code == 0, err
    assert err.count("// -----// IR Dump After exp-to-exp2 //----- //") == 1
    dump = err.split("IR Dump After exp-to-exp2")[1]
    assert "tile.exp2" in dump and "tile.exp " not in dump and 'tile.constant "1.4426950408889634"' in dump
    assert "tl.exp2(" in out and "tl.exp(" not in out


def test_plugin_anywhere_in_the_pipeline_timed_and_printed_before(capsys):
    pipeline = DEFAULT.replace("decompose,", "decompose,exp-to-exp2,")
    code, out, err = run(capsys, SOFTMAX, "--load-pass-plugin", PLUGIN, f"--pass-pipeline={pipeline}",
                         "--print-before=exp-to-exp2", "--timing")
    assert code == 0, err
    assert "IR Dump Before exp-to-exp2" in err and "tl.exp2(" in out
    rows = [line.split("%)  ")[1] for line in err.splitlines() if "%)  " in line]
    assert rows[:3] == ["frontend", "decompose", "exp-to-exp2"]


def test_the_documented_command_line_in_a_shell():
    """Exactly as docs/writing-a-pass.md shows it, with `$(kopt --print-pipeline)`."""
    kopt_cmd = f"{shlex.quote(sys.executable)} -m kopt.tools.cli"
    line = (f'{kopt_cmd} examples/softmax.py --load-pass-plugin examples/plugins/exp_to_exp2.py '
            f'--pass-pipeline="$({kopt_cmd} --print-pipeline),exp-to-exp2" --print-after=exp-to-exp2')
    r = subprocess.run(["bash", "-c", line], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "tile.exp2" in r.stderr and "tl.exp2(" in r.stdout


@pytest.mark.parametrize("shape", [(1, 1), (7, 97), (37, 257)])
def test_kernel_compiled_with_the_plugin_stays_correct(shape):
    load_plugin(PLUGIN)
    softmax = load_example("softmax").softmax
    with_object = kopt.kernel(pipeline=Pipeline.default().insert_after("lower-to-tt", "exp-to-exp2"))(softmax.fn)
    with_string = kopt.kernel(pipeline=f"{DEFAULT},exp-to-exp2")(softmax.fn)
    x = torch.randn(shape)
    for k in (with_object, with_string):
        torch.testing.assert_close(k(x), torch.softmax(x, dim=1))
        assert "tl.exp2(" in k.compile(x).triton_source


def test_insert_a_pass_instance_from_python():
    load_plugin(PLUGIN)
    cls = available_passes()["exp-to-exp2"]
    p = Pipeline.default().insert_after("masking", cls())
    assert p.names().index("exp-to-exp2") == p.names().index("masking") + 1
    assert str(p).split(",")[p.names().index("exp-to-exp2")] == "exp-to-exp2"


def test_loading_a_plugin_twice_is_harmless(capsys):
    assert load_plugin(PLUGIN) == ["exp-to-exp2"]
    assert load_plugin(PLUGIN) == ["exp-to-exp2"]
    code, out, _ = run(capsys, "--load-pass-plugin", PLUGIN, "--load-pass-plugin", PLUGIN, "--list-passes")
    assert code == 0 and out.count("exp-to-exp2") == 1 and f"[plugin: {PLUGIN}]" in out


def test_failing_plugin_pass_names_pass_and_file_and_debug_shows_traceback(capsys):
    plugin = str(ROOT / "tests" / "errors" / "plugin_raises_in_apply.py")
    argv = [SOFTMAX, "--load-pass-plugin", plugin, "--pass-pipeline=decompose,raise-in-apply"]
    code, _, err = run(capsys, *argv)
    assert code == 1
    first = err.splitlines()[0]
    assert re.fullmatch(re.escape(plugin) + r":\d+:\d+: error: pass 'raise-in-apply' failed: ValueError: "
                        "no tile.softmax expected here", first), err  # at the line of the plugin that raised
    assert "raised from this line of the plugin file" in err and "Traceback" not in err
    code, _, err = run(capsys, *argv, "--debug")
    assert code == 1 and "Traceback" in err and plugin in err


def test_pass_breaking_the_verifier_is_named_unless_verification_is_off(capsys):
    plugin = str(ROOT / "tests" / "errors" / "plugin_breaks_verifier.py")
    argv = [SOFTMAX, "--load-pass-plugin", plugin, "--pass-pipeline=decompose,break-reduce", "--emit=tt"]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "does not verify after pass 'break-reduce'" in err.splitlines()[0]
    assert 'kind = "bogus"' in err and "builtin.module" not in err  # the op, not the whole module
    code, out, _ = run(capsys, *argv, "--no-verify-each")
    assert code == 0 and 'kind = "bogus"' in out


def test_runtime_skips_verification_unless_asked(monkeypatch, tmp_path):
    """The JIT path does not verify (it is on the hot path); KOPT_VERIFY=1 turns it on."""
    from kopt.runtime import compiler

    monkeypatch.setenv("KOPT_CACHE_DIR", str(tmp_path))  # a real compile each time, not a disk-cache hit
    calls = []
    monkeypatch.setattr(compiler, "verify_after", lambda name, module: calls.append(name))
    softmax = load_example("softmax").softmax
    x = torch.randn(3, 5)
    kopt.kernel(softmax.fn).compile(x)
    assert calls == []
    monkeypatch.setenv("KOPT_VERIFY", "1")
    kopt.kernel(softmax.fn, config=kopt.Config(num_warps=2)).compile(x)
    assert calls[0] == "frontend" and calls[1:] == Pipeline.default().names()


def test_plugin_file_runs_in_a_fresh_process_without_torch():
    code = (f"import sys; from kopt.passes import load_plugin; load_plugin({PLUGIN!r}); "
            "assert 'torch' not in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr


def test_installed_plugins_are_read_only_for_a_pass_kopt_does_not_know(monkeypatch):
    """Scanning the installed packages' entry points costs ~20 ms on a GPU image (most of a first call that compiles
    nothing): a pipeline of registered passes does without it, one naming another pass reads them."""
    from kopt.passes.pipeline import pass_names

    read = []
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    monkeypatch.setattr(registry, "entry_points", lambda group: read.append(group) or [])
    assert registry.passes_named(pass_names(DEFAULT)) and read == []
    with pytest.raises(kopt.KoptError, match="unknown pass 'no-such-pass'"):
        Pipeline.parse(DEFAULT + ",no-such-pass")
    assert read == ["kopt.passes"]
