"""shape-inference: give every tile value its symbolic shape.

A generic walk: every op states its own shape rule (`InfersShape`, kopt/dialects/interfaces.py):
elementwise ops broadcast as torch does (dims align from the right; a dim of 1 stretches),
reductions drop or keep their dim, a load has one dim per subscript entry, a product is
[.., M, K] x [.., K, N] -> [.., M, N]. Loops (`LoopCarried`) give their carried values the
initial value's shape and check that one iteration keeps it. Two sizes are equal when their text
is equal or the kernel's facts prove it (`assert n == m`, `--assume`); anything else is a located
error naming both shapes. An op with a tile result and no shape rule is an error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block
from xdsl.passes import ModulePass

from kopt.dialects.interfaces import InfersShape, LoopCarried, ShapeError, missing
from kopt.dialects.shape_rules import Sizes
from kopt.dialects.types import TileType
from kopt.ir.facts import kernel_sizes
from kopt.ir.util import kernels, op_error, set_type, shape_error
from kopt.passes.registry import register_pass


def _infer_loop(op: LoopCarried, sizes: Sizes) -> None:
    for c in op.carried_values():
        set_type(c.arg, c.init.type)
    for region in op.regions:
        for block in region.blocks:
            infer_block(block, sizes)
    for c in op.carried_values():  # the values were retyped: read them again
        if c.yielded is not None and c.yielded.type != c.arg.type:
            raise op_error(op.regions[0].blocks[0].last_op or op,  # the terminator that yields it
                           f"loop-carried value changes type in the loop: {c.arg.type.dims} before, "
                           f"{c.yielded.type.dims} after one iteration",
                           "give the accumulator its final shape and dtype before the loop (hl.zeros)")
        set_type(c.result, c.arg.type)


def infer_block(block: Block, sizes: Sizes) -> None:
    for op in block.ops:
        if isinstance(op, LoopCarried):
            _infer_loop(op, sizes)
            continue
        if not isinstance(op, InfersShape):
            if any(isinstance(r.type, TileType) for r in op.results):
                raise missing(op, InfersShape, "shape-inference")
            continue
        for region in op.regions:  # a branch's results come from what its regions yield
            for inner in region.blocks:
                infer_block(inner, sizes)
        try:
            shapes = op.infer_results(sizes)
        except ShapeError as e:
            raise shape_error(op, e) from None
        for r, dims in zip(op.results, shapes):
            if dims is not None and isinstance(r.type, TileType):
                set_type(r, r.type.with_dims(dims))


@register_pass
@dataclass(frozen=True)
class ShapeInferencePass(ModulePass):
    """Attach a symbolic shape to every tile value; report shape mismatches at the source line."""

    name = "shape-inference"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for k in kernels(op):
            infer_block(k.body.block, kernel_sizes(k))
