"""Embedding kopt: build a row softmax as tile IR with xDSL builders, compile it, run it.

This is what another compiler does with kopt: no Python DSL, no torch at compile
time. The module mirrors what `kopt examples/softmax.py --emit=tile` prints: a
host function (Python statements and a launch that binds every size and stride
symbol to a host expression) and a kernel (a parallel loop over row blocks that
loads whole rows, applies softmax, and stores them).

    python examples/embed_build_ir.py      # prints the Triton source, then checks it against torch
"""

from __future__ import annotations

import sys

from xdsl.builder import Builder
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Region
from xdsl.rewriter import InsertPoint

from kopt import api
from kopt.api import RangeType, TensorType, TileType, f32, tile


def build_row_softmax() -> ModuleOp:
    """`row_softmax(x)`: softmax over dim 1 of a 2-D f32 tensor of any size and strides."""
    x_type = TensorType(["n", "m"], f32, ["x_stride_0", "x_stride_1"])
    out_type = TensorType(["n", "m"], f32, ["out_stride_0", "out_stride_1"])

    host = Block()
    host.add_ops([
        tile.PyStmtOp("n, m = x.size()"),
        tile.PyStmtOp("out = torch.empty_like(x)"),
        tile.LaunchOp("_row_softmax_kernel", ["x", "out"], {
            "n": "n", "m": "m", "x_stride_0": "x.stride(0)", "x_stride_1": "x.stride(1)",
            "out_stride_0": "out.stride(0)", "out_stride_1": "out.stride(1)"}),
        tile.HostReturnOp("out"),
    ])
    host_func = tile.HostFuncOp("row_softmax", ["x"], Region(host))

    kernel = tile.KernelOp("_row_softmax_kernel", [x_type, out_type], ["x", "out"])
    x, out = kernel.body.block.args
    loop = tile.ForOp([RangeType("n", "_BLOCK_SIZE_0")], "parallel")  # one program per block of rows
    Builder(InsertPoint.at_end(kernel.body.block)).insert(loop)
    (rows,) = loop.ranges
    rows.name_hint = "rows"
    b = Builder(InsertPoint.at_end(loop.body.block))
    unknown = TileType(["?", "?"], f32)  # shapes are `?` until the shape-inference pass
    values = b.insert(tile.LoadOp.build_load(x, ["i", ":"], [rows], unknown))  # x[rows, :]
    probs = b.insert(tile.SoftmaxOp(values.result, 1, False, unknown))
    b.insert(tile.StoreOp.build_store(out, ["i", ":"], [rows], probs.result))  # out[rows, :] = probs
    b.insert(tile.YieldOp())
    return ModuleOp([host_func, kernel])


def main() -> None:
    module = build_row_softmax()
    api.verify(module)
    result = api.compile_module(module, api.Pipeline.default())
    assert "torch" not in sys.modules, "compiling must not import torch"
    print(result.triton_source)

    import torch

    row_softmax = api.load_kernel(result, "row_softmax")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for shape in [(1, 1), (7, 97), (257, 1000)]:
        x = torch.randn(shape, device=device)
        torch.testing.assert_close(row_softmax(x), torch.softmax(x, dim=1))
        print(f"# row_softmax matches torch.softmax on {shape} ({device})")


if __name__ == "__main__":
    main()
