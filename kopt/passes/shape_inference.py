"""shape-inference: give every tile value its symbolic shape.

Shapes follow torch: elementwise ops broadcast (dims align from the right; a
dim of 1 stretches), reductions drop or keep their dim, a load has one dim per
subscript entry (a tile's block size, a whole dim's extent, or 1 for `None`).
Two sizes are equal when their symbolic text is equal; anything else is a
located error naming both shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType
from kopt.passes.registry import register_pass
from kopt.passes.util import fmt_shape, kernels, op_error, set_type


def broadcast(op: Operation, *shapes: tuple[str, ...]) -> list[str]:
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        dims.discard("1")
        if len(dims) > 1:
            raise op_error(op, f"cannot broadcast shapes {' and '.join(fmt_shape(s) for s in shapes)}",
                           f"dim {i - rank} differs: {' vs '.join(sorted(dims))}")
        out.append(dims.pop() if dims else "1")
    return out


def access_shape(op: T.LoadOp | T.StoreOp) -> list[str]:
    """The shape a subscript addresses: block size per tile, extent per `:`, 1 per `None`."""
    dims, tensor_dims, indices = [], iter(op.tensor.type.dims), iter(op.indices)
    for s in op.spec_list:
        if s == "None":
            dims.append("1")
        elif s == ":":
            dims.append(next(tensor_dims))
        else:
            next(tensor_dims)
            idx = next(indices)
            if isinstance(idx.type, RangeType):
                dims.append(idx.type.block.data)
    return dims


def infer(op: Operation) -> list[str] | None:
    """The result shape of one op, from its operands' shapes; None if it has no tile result."""
    if isinstance(op, T.LoadOp):
        return access_shape(op)
    if isinstance(op, T.ConstantOp):
        return list(op.result.type.dims)  # declared by the frontend (hl.zeros/hl.full) or scalar
    if isinstance(op, T.SymbolOp):
        return []
    if isinstance(op, (*T.BINARY_OPS, T.WhereOp)):
        return broadcast(op, *(o.type.dims for o in op.operands))
    if isinstance(op, (T._Unary, T.CastOp, T.SoftmaxOp, T.MaskFillOp)):
        return list(op.operands[0].type.dims)
    if isinstance(op, T.ReduceOp):
        dims, d = list(op.operand.type.dims), op.dim.value.data
        if op.keepdim.value.data:
            dims[d] = "1"
        else:
            del dims[d]
        return dims
    if isinstance(op, T.ExpandOp):
        it = iter(op.operand.type.dims)
        return [next(it) if s.data == ":" else "1" for s in op.spec.data]
    return None


def check_store(op: T.StoreOp) -> None:
    target = access_shape(op)
    value = op.value.type.dims
    if len(value) > len(target) or broadcast(op, target, value) != target:
        raise op_error(op, f"cannot store a tile of shape {fmt_shape(value)} into "
                           f"`{op.tensor.name_hint or 'tensor'}[...]` of shape {fmt_shape(target)}")


def infer_block(block) -> None:
    for op in block.ops:
        if isinstance(op, T.ForOp):
            for arg, init in zip(op.carried, op.iter_args):
                set_type(arg, init.type)
            infer_block(op.body.block)
            yielded = op.body.block.last_op
            for arg, res, v in zip(op.carried, op.results, yielded.operands):
                if v.type != arg.type:
                    raise op_error(yielded, f"loop-carried value changes type in the loop: {arg.type.dims} "
                                            f"before, {v.type.dims} after one iteration",
                                   "give the accumulator its final shape and dtype before the loop (hl.zeros)")
                set_type(res, arg.type)
            continue
        if isinstance(op, T.StoreOp):
            check_store(op)
            continue
        dims = infer(op)
        if dims is not None:
            for r in op.results:
                if isinstance(r.type, TileType):
                    set_type(r, r.type.with_dims(dims))


@register_pass
@dataclass(frozen=True)
class ShapeInferencePass(ModulePass):
    """Attach a symbolic shape to every tile value; report shape mismatches at the source line."""

    name = "shape-inference"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for k in kernels(op):
            infer_block(k.body.block)
