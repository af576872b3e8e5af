"""Malformed kernels and IR files: each is one located KoptError (`file:line:col: error: ...` first),
exit status 1 from the CLI, never a traceback and never an internal compiler error; every
compile is bounded in time. The Python mutants fail the same way through `@kopt.kernel`; bad calls of good
kernels (call_mutants.py) and files that are not clean text (byte_mutants.py) are located too."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
import torch

from kopt.errors import KoptError
from kopt.tools.cli import main
from tests.gauntlet.bounded import bounded
from tests.gauntlet.malformed import byte_mutants, call_mutants, ir_mutants, python_mutants

LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): error: (?P<msg>.+)$")


def cli_error(path, *extra) -> tuple[re.Match, str]:
    """Run `kopt path ...` in-process; the parsed first line of its diagnostic, and all of stderr."""
    import contextlib
    import io

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = bounded(main, [str(path), *extra])
    text = err.getvalue()
    assert code == 1, f"exit {code}; stderr:\n{text}"
    assert "Traceback" not in text and "internal compiler error" not in text, text
    first = text.splitlines()[0] if text else ""
    m = LOCATED.match(first)
    assert m, f"not a located error: {first!r}"
    assert m["file"] == str(path), first
    return m, text


def test_enough_malformed_cases():
    assert len(python_mutants.MUTANTS) + len(ir_mutants.MUTANTS) >= 50
    names = [m.name for m in python_mutants.MUTANTS] + [m.name for m in ir_mutants.MUTANTS]
    assert len(names) == len(set(names)), "mutant names must be unique"


@pytest.mark.parametrize("mutant", python_mutants.MUTANTS, ids=lambda m: m.name)
def test_python_mutant_cli(mutant, tmp_path):
    path = tmp_path / f"{mutant.name}.py"
    path.write_text(mutant.source())
    m, text = cli_error(path, "--signature", python_mutants.SIGNATURES[mutant.base])
    assert int(m["line"]) == mutant.line(), text
    assert mutant.expected in m["msg"], text
    source_line = mutant.source().splitlines()[mutant.line() - 1]
    assert text.splitlines()[1] == source_line, text  # the source line, then a caret under the column
    assert text.splitlines()[2] == " " * (int(m["col"]) - 1) + "^", text


RUNTIME_ARGS = {
    "relu": lambda: (torch.randn(4, 5), torch.randn(4, 5)),
    "rows": lambda: (torch.randn(4, 5),),
    "embedding": lambda: (torch.randint(0, 3, (4,)), torch.randn(3, 5)),
    "polyval": lambda: (torch.randn(5), torch.randn(7)),
    "concat": lambda: (torch.randn(4, 3), torch.randn(4, 2)),
}


@pytest.mark.parametrize("mutant", python_mutants.MUTANTS, ids=lambda m: m.name)
def test_python_mutant_runtime(mutant, tmp_path):
    """The same mutant through `@kopt.kernel`: a KoptError at the same line, raised by the first call."""
    path = tmp_path / f"{mutant.name}.py"
    path.write_text(mutant.source())
    name = f"kopt_mutant_{mutant.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        with pytest.raises(KoptError) as info:
            bounded(getattr(module, mutant.base).compile, *RUNTIME_ARGS[mutant.base]())
    finally:
        sys.modules.pop(name, None)
    e = info.value
    assert e.loc is not None and e.loc.file == str(path), e.format()
    assert e.loc.line == mutant.line(), e.format()
    assert mutant.expected in e.message, e.format()


@pytest.mark.parametrize("mutant", ir_mutants.MUTANTS, ids=lambda m: m.name)
def test_ir_mutant_cli(mutant, tmp_path):
    ir = ir_mutants.base_ir(mutant.base)
    path = tmp_path / f"{mutant.name}.tile"
    path.write_text(mutant.text(ir))
    m, text = cli_error(path)
    line = int(m["line"])
    want = mutant.line(ir)
    if want is not None:
        assert line == want, text
    else:
        assert 1 <= line <= max(1, mutant.text(ir).count("\n") + 1), text


@pytest.mark.parametrize("mutant", call_mutants.MUTANTS, ids=lambda m: m.name)
def test_bad_call_is_located_in_the_kernel(mutant, tmp_path):
    """A good kernel called badly: a KoptError at the def, the parameter, the line that needs the argument to be
    otherwise, or the signature, with the source line and a caret; never a raw TypeError or NameError."""
    path = tmp_path / f"call_{mutant.name}.py"
    path.write_text(call_mutants.source(mutant.base))
    name = f"kopt_call_mutant_{mutant.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        with pytest.raises(KoptError) as info:
            bounded(mutant.call, getattr(module, mutant.base))
    finally:
        sys.modules.pop(name, None)
    e = info.value
    assert e.loc is not None and e.loc.file == str(path) and e.loc.line == mutant.line() and e.loc.col >= 1, \
        e.format()
    assert mutant.expected in e.message, e.format()
    shown = e.format().splitlines()
    assert shown[1] == call_mutants.source(mutant.base).splitlines()[e.loc.line - 1], e.format()
    assert shown[2] == " " * (e.loc.col - 1) + "^", e.format()


@pytest.mark.parametrize("mutant", byte_mutants.MUTANTS, ids=lambda m: m.name)
def test_file_that_is_not_clean_text(mutant, tmp_path):
    path = tmp_path / f"{mutant.name}{mutant.suffix}"
    path.write_bytes(mutant.data)
    m, text = cli_error(path)
    assert (int(m["line"]), int(m["col"])) == (mutant.line, mutant.col), text
    assert mutant.expected in m["msg"], text


def test_the_malformed_input_corpus_has_at_least_200_inputs():
    """Error-corpus case files, Python / IR / tt mutants, bad calls and bad bytes: each test above (and
    tests/errors/test_error_corpus.py, test_malformed_tt.py) checks that its diagnostic is `file:line:col`."""
    from tests.errors.test_error_corpus import CASES
    from tests.gauntlet.test_malformed_tt import TT_MUTANTS

    parts = {"error-corpus cases": len(CASES), "python mutants": len(python_mutants.MUTANTS),
             "ir mutants": len(ir_mutants.MUTANTS), "tt mutants": len(TT_MUTANTS),
             "call mutants": len(call_mutants.MUTANTS), "byte mutants": len(byte_mutants.MUTANTS)}
    assert sum(parts.values()) >= 200, parts
    names = [m.name for m in call_mutants.MUTANTS] + [m.name for m in byte_mutants.MUTANTS]
    assert len(names) == len(set(names)), "mutant names must be unique"
