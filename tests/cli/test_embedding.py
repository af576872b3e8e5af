"""kopt as a library: examples/embed_build_ir.py end to end, and the stable surface in kopt.api."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest
import torch

from kopt import api
from tests.helpers import EXAMPLES, ROOT


def test_embed_example_prints_triton_and_matches_torch(tmp_path):
    env = {**os.environ, "TRITON_INTERPRET": "1", "KOPT_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, str(EXAMPLES / "embed_build_ir.py")], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "@triton.jit\ndef _row_softmax_kernel(" in r.stdout and "def row_softmax(x):" in r.stdout
    assert r.stdout.count("matches torch.softmax") == 3


def _module():
    sys.path.insert(0, str(EXAMPLES))
    try:
        from embed_build_ir import build_row_softmax
    finally:
        sys.path.remove(str(EXAMPLES))
    return build_row_softmax()


def test_built_ir_prints_parses_and_compiles_with_a_string_pipeline():
    module = _module()
    text = str(module)
    assert str(api.parse_module(text)) == text  # the IR is the interface: print -> parse -> print
    result = api.compile_module(module, "decompose,shape-inference,tiling,reduction-lowering,masking,lower-to-tt")
    # masking ran: the row is read as -inf past its end (the max's neutral element; kopt/ir/padding.py)
    assert "other=float('-inf')" in result.triton_source
    assert set(result.timings) >= {"decompose", "lower-to-tt", "backend"}


def test_load_kernel_runs_on_cpu_and_names_a_missing_host_function():
    result = api.compile_module(_module())
    row_softmax = api.load_kernel(result, "row_softmax", device="cpu")
    x = torch.randn(5, 33)
    torch.testing.assert_close(row_softmax(x), torch.softmax(x, dim=1))
    with pytest.raises(api.KoptError, match="no host function 'softmax'"):
        api.load_kernel(result, "softmax")


def test_verify_names_the_op_a_builder_got_wrong():
    module = _module()
    load = next(o for o in module.walk() if isinstance(o, api.tile.LoadOp))
    reduce = api.tile.ReduceOp("max", load.result, 5, True, api.TileType(["?", "?"], api.f32))
    store = next(o for o in module.walk() if isinstance(o, api.tile.StoreOp))
    store.parent_block().insert_op_before(reduce, store)
    with pytest.raises(api.KoptError, match=r"IR does not verify as built: 'tile.reduce' op: dim 5 out of range"):
        api.verify(module)


def test_a_builder_cannot_make_an_op_of_an_unknown_kind():
    """Kinds are typed attributes: a misspelt one is refused when the op is built, naming the kinds there are."""
    load = next(o for o in _module().walk() if isinstance(o, api.tile.LoadOp))
    with pytest.raises(api.KoptError, match=r"tile.reduce: unknown kind 'bogus'; known: sum, max, min, prod, argmax"):
        api.tile.ReduceOp("bogus", load.result, 1, True, api.TileType(["?", "?"], api.f32))


@pytest.mark.parametrize("name", api.__all__)
def test_public_names_exist_and_are_documented(name):
    obj = getattr(api, name)
    if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
        assert inspect.getdoc(obj), f"kopt.api.{name} has no docstring"
