"""The three shape mistakes (a broadcast of sizes the facts prove different, wrong rank, reduction over a
missing dim) are KoptErrors at compile time, at the user's line, naming the shapes symbolically. (Sizes the
facts cannot tell apart are assumed equal and checked at launch: tests/shapes/test_assumed_equalities.py.)"""

from __future__ import annotations

import re

import pytest
import torch

from kopt.errors import KoptError
from tests.shapes.util import import_file, kernel_file, run_cli

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$")

PY_CASES = {
    "broadcast": ("""@kopt.kernel
def k(x, y):
    n, m = x.size()
    p, q = y.size()
    assert q == m + 1
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :] * y[t, :]
    return out
""", (12, 21), "cannot broadcast shapes [_BLOCK_SIZE_0, m] and [_BLOCK_SIZE_0, q]"),
    "store_rank": ("""@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty([n], device=x.device)
    for t in hl.tile(n):
        out[t] = torch.exp(x[t, :])
    return out
""", (10, 9), "cannot store a tile of shape [_BLOCK_SIZE_0, m] into `out[...]` of shape [_BLOCK_SIZE_0]"),
    "subscript_rank": ("""@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :, None, :]
    return out
""", (10, 21), "3 subscripts for `x`, a tensor of rank 2"),
    "reduce_missing_dim": ("""@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty([n], device=x.device)
    for t in hl.tile(n):
        out[t] = x[t, :].amax(dim=-3)
    return out
""", (10, 35), "dim -3 is out of range for a tile of rank 2"),
}


@pytest.mark.parametrize("name", sorted(PY_CASES))
def test_python_kernel(tmp_path, name):
    body, (line, col), message = PY_CASES[name]
    path = kernel_file(tmp_path, name, body)
    code, _, err = run_cli(str(path), "--emit=shapes")
    assert code == 1
    m = LOCATED.match(err.splitlines()[0])
    assert m, err
    assert (m["file"], int(m["line"]), int(m["col"])) == (str(path), line, col), err
    assert m["msg"] == message
    assert "Traceback" not in err


def test_broadcast_note_names_the_dims(tmp_path):
    path = kernel_file(tmp_path, "bc", PY_CASES["broadcast"][0])
    _, _, err = run_cli(str(path), "--emit=shapes")
    assert "note: dim -1 differs: m vs q (the facts say they differ" in err


def test_the_runtime_raises_before_any_launch(tmp_path):
    module = import_file(kernel_file(tmp_path, "bc_runtime", PY_CASES["broadcast"][0]))
    with pytest.raises(KoptError, match=r"cannot broadcast shapes \[_BLOCK_SIZE_0, m\] and \[_BLOCK_SIZE_0, q\]"):
        module.k(torch.randn(4, 8), torch.randn(4, 9))


KERNEL_HEAD = """builtin.module {
  tile.host_func @k(x) {
    tile.py "n, _m = x.size()"
    tile.py "out = torch.empty_like(x)"
    tile.launch @_k_kernel ["x", "out"] bind {_m = "_m", n = "n", out_stride_0 = "out.stride(0)", out_stride_1 = "out.stride(1)", x_stride_0 = "x.stride(0)", x_stride_1 = "x.stride(1)"}
    tile.host_return "out"
  }
  tile.kernel @_k_kernel(%x: !tile.tensor<[n, _m], f32, [x_stride_0, x_stride_1]>, %out: !tile.tensor<[n, _m], f32, [out_stride_0, out_stride_1]>) attributes {arg_names = ["x", "out"]} {
    tile.for %t: !tile.range<n, _BLOCK_SIZE_0> parallel {
"""
KERNEL_TAIL = """      tile.yield
    }
  }
}
"""
LOAD = ('      %0 = tile.load %x[%t, :] : !tile.tensor<[n, _m], f32, [x_stride_0, x_stride_1]> '
        '[!tile.range<n, _BLOCK_SIZE_0>] -> !tile.tile<[?, ?], f32>\n')

TILE_CASES = {
    # without the verifier, shape-inference is the one to catch these in IR written by hand
    "reduce_missing_dim": (LOAD + '      %1 = tile.reduce sum %0 dim 2 : !tile.tile<[?, ?], f32> '
                                  '-> !tile.tile<[?], f32>\n',
                           11, "cannot reduce dim 2 of a tile of shape [_BLOCK_SIZE_0, _m] (rank 2)"),
    "broadcast": (LOAD + '      %1 = tile.load %x[%t, %t] : !tile.tensor<[n, _m], f32, [x_stride_0, x_stride_1]> '
                         '[!tile.range<n, _BLOCK_SIZE_0>, !tile.range<n, _BLOCK_SIZE_0>] -> !tile.tile<[?, ?], f32>\n'
                         '      %2 = tile.add %0, %1 : !tile.tile<[?, ?], f32>, !tile.tile<[?, ?], f32> '
                         '-> !tile.tile<[?, ?], f32>\n',
                  12, "cannot broadcast shapes [_BLOCK_SIZE_0, _m] and [_BLOCK_SIZE_0, _BLOCK_SIZE_0]"),
}


@pytest.mark.parametrize("name", sorted(TILE_CASES))
def test_tile_ir(tmp_path, name):
    body, line, message = TILE_CASES[name]
    path = tmp_path / f"{name}.tile"
    path.write_text(KERNEL_HEAD + body + KERNEL_TAIL)
    code, _, err = run_cli(str(path), "--no-verify-each", "--pass-pipeline=shape-inference", "--emit=tt")
    assert code == 1
    m = LOCATED.match(err.splitlines()[0])
    assert m, err
    assert (m["file"], int(m["line"]), m["msg"]) == (str(path), line, message), err
