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
from kopt.dialects.dtypes import short_name, torch_name
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
            raise _carried_error(op, c)
        set_type(c.result, c.arg.type)


def _carried_error(op, c):
    """A loop-carried value whose dtype or shape one iteration changes: name what differs and what to do."""
    before, after = c.arg, c.yielded
    hint = before.name_hint or c.init.name_hint or (c.result.name_hint if c.result is not None else None)
    name = f" `{hint.split('.')[0]}`" if hint else ""
    where = op.regions[0].blocks[0].last_op or op  # the terminator that yields it
    a, b = before.type, after.type
    if isinstance(a, TileType) and isinstance(b, TileType) and a.element_type != b.element_type:
        ta, tb = short_name(a.element_type), short_name(b.element_type)
        return op_error(where, f"loop-carried value{name} changes dtype in the loop: {ta} before, {tb} after one "
                               "iteration (the update promotes it)",
                        f"a loop keeps each carried value's dtype: make the accumulator {tb} "
                        f"(hl.zeros(..., dtype=torch.{torch_name(b.element_type)})) or convert the update "
                        f"(`.to(torch.{torch_name(a.element_type)})`)")
    fmt = (lambda t: f"[{', '.join(t.dims)}]") if isinstance(a, TileType) and isinstance(b, TileType) else str
    return op_error(where, f"loop-carried value{name} changes shape in the loop: {fmt(a)} before, {fmt(b)} after "
                           "one iteration",
                    "give the accumulator its final shape before the loop (hl.zeros([tile_m, tile_n], ...))")


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
