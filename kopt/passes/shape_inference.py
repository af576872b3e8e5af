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
from xdsl.dialects.builtin import ArrayAttr, FileLineColLoc, ModuleOp, StringAttr
from xdsl.ir import Block
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
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


def _record_assumption(op, a: str, b: str) -> None:
    """An equality the op needed and the facts could not prove: a fact of the kernel from now on, and a check
    the launcher makes at every call, located at this op (`assumed`: [a, b, file, line, col] per entry)."""
    kernel = op.parent_op()
    while kernel is not None and not isinstance(kernel, T.KernelOp):
        kernel = kernel.parent_op()
    if kernel is None:
        return
    kernel.add_facts([f"{a} == {b}"])
    loc = op.location
    where = ([StringAttr(loc.filename.data), StringAttr(str(loc.line.data)), StringAttr(str(loc.column.data))]
             if isinstance(loc, FileLineColLoc) else [])
    old = list(kernel.attributes["assumed"].data) if "assumed" in kernel.attributes else []
    kernel.attributes["assumed"] = ArrayAttr([*old, ArrayAttr([StringAttr(a), StringAttr(b), *where])])


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
        seen = len(sizes.assumed)
        try:
            shapes = op.infer_results(sizes)
        except ShapeError as e:
            raise shape_error(op, e) from None
        for a, b in sizes.assumed[seen:]:
            _record_assumption(op, a, b)
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
            infer_block(k.body.block, Sizes(kernel_sizes(k).facts, assume=True))
