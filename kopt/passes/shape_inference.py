"""shape-inference: give every tile value its symbolic shape.

Shapes follow torch: elementwise ops broadcast (dims align from the right; a
dim of 1 stretches), reductions drop or keep their dim, a load has one dim per
subscript entry (a tile's block size, a whole dim's extent, or 1 for `None`;
a tile of indices contributes its own dims, a scalar index none).
Two sizes are equal when their text is equal or the kernel's facts prove it
(`assert n == m`, `--assume`); anything else is a located error naming both shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from kopt.analysis import Answer, FactBase, Tri, parse_expr
from kopt.dialects import tile as T
from kopt.dialects.tile_layout import InfersShape
from kopt.dialects.types import RangeType, TileType
from kopt.errors import KoptError
from kopt.passes.registry import register_pass
from kopt.passes.shape_facts import kernel_facts
from kopt.passes.util import fmt_shape, kernels, op_error, set_type


def broadcast(op: Operation, *shapes: tuple[str, ...], facts: FactBase | None = None) -> list[str]:
    """torch broadcasting of symbolic shapes; two different sizes must be proven equal by `facts`."""
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = list(dict.fromkeys(s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0))
        out.append(merge_dims(op, dims, i - rank, shapes, facts))
    return out


def merge_dims(op: Operation, dims: list[str], where: int, shapes, facts: FactBase | None) -> str:
    """The size that dims of one position broadcast to: all equal (as text, or proven by the
    facts), except those that are 1 (written `1`, or proven to be 1), which stretch."""
    sizes = [d for d in dims if d != "1"]
    if len(sizes) <= 1:
        return sizes[0] if sizes else "1"
    bad = Answer(Tri.UNKNOWN, "no facts to compare them")
    if facts is not None:
        wide = [d for d in sizes if not same_size(facts, d, "1").is_true] or sizes[:1]
        answers = [same_size(facts, wide[0], d) for d in wide[1:]]
        if all(a.is_true for a in answers):
            return wide[0]
        bad = next(a for a in answers if not a.is_true)
    notes = [f"dim {where} differs: {' vs '.join(sorted(sizes))} "
             f"({'the facts say they differ' if bad.is_false else 'not proven equal'}: {bad.reason})"]
    if not bad.is_false:
        notes.append(f"if they are always equal, say so: `assert {sizes[0]} == {sizes[1]}` in the kernel's host "
                     f"code, one name for both in the signature, or --assume \"{sizes[0]} == {sizes[1]}\"")
    raise op_error(op, f"cannot broadcast shapes {' and '.join(fmt_shape(s) for s in shapes)}", *notes)


def same_size(facts: FactBase, a: str, b: str) -> Answer:
    """Are sizes a and b (shape text) equal under the facts? Text outside the shape language is UNKNOWN."""
    if a == b:
        return Answer(Tri.TRUE, "same text")
    try:
        return facts.eq(parse_expr(a), parse_expr(b))
    except KoptError:
        return Answer(Tri.UNKNOWN, f"cannot read {a!r} or {b!r} as sizes")


def access_shape(op: T.LoadOp | T.StoreOp) -> list[str]:
    """The shape a subscript addresses: block size per tile, extent per `:`, 1 per `None`."""
    used = len([s for s in op.spec_list if s != "None"])
    if used != op.tensor.type.rank or op.spec_list.count("i") != len(op.indices):
        raise op_error(op, f"subscript with {used} entries on `{op.tensor.name_hint or 'tensor'}` of shape "
                           f"{fmt_shape(op.tensor.type.dims)} (rank {op.tensor.type.rank})")
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
            else:  # a tile of indices (a gather) puts its own dims here; a scalar index drops the dim
                dims.extend(idx.type.dims)
    return dims


def infer(op: Operation, facts: FactBase | None = None) -> list[str] | None:
    """The result shape of one op, from its operands' shapes; None if it has no tile result."""
    if isinstance(op, T.LoadOp):
        return access_shape(op)
    if isinstance(op, InfersShape):  # ops that carry their own shape rule (tile_layout.py, tile_access.py)
        try:
            return op.infer_dims()
        except ValueError as e:
            raise op_error(op, str(e)) from None
    if isinstance(op, T.ConstantOp):
        return list(op.result.type.dims)  # declared by the frontend (hl.zeros/hl.full) or scalar
    if isinstance(op, T.SymbolOp):
        return []
    if isinstance(op, (*T.BINARY_OPS, T.WhereOp)):
        return broadcast(op, *(o.type.dims for o in op.operands), facts=facts)
    if isinstance(op, (T._Unary, T.CastOp, T.SoftmaxOp, T.MaskFillOp)):
        return list(op.operands[0].type.dims)
    if isinstance(op, T.ReduceOp):
        dims, d = list(op.operand.type.dims), op.dim.value.data
        if not 0 <= d < len(dims):
            raise op_error(op, f"cannot reduce dim {d} of a tile of shape {fmt_shape(dims)} (rank {len(dims)})")
        if op.keepdim.value.data:
            dims[d] = "1"
        else:
            del dims[d]
        return dims
    if isinstance(op, T.ExpandOp):
        it = iter(op.operand.type.dims)
        return [next(it) if s.data == ":" else "1" for s in op.spec.data]
    if isinstance(op, T.DotOp):
        return dot_shape(op, facts)
    if isinstance(op, T.TransposeOp):
        return [op.operand.type.dims[p] for p in op.permutation]
    return None


def dot_shape(op: T.DotOp, facts: FactBase | None = None) -> list[str]:
    """[.., M, K] x [.., K, N] -> [.., M, N]; K (and the batch) equal as text or by the kernel's facts."""
    a, b = op.lhs.type.dims, op.rhs.type.dims
    for what, x, y in [("contraction", a[-1], b[-2])] + ([("batch", a[0], b[0])] if len(a) == 3 else []):
        if x != y and (facts is None or not same_size(facts, x, y).is_true):
            raise op_error(op, f"matmul of shapes {fmt_shape(a)} and {fmt_shape(b)}: {what} dims differ ({x} vs {y})",
                           "index both operands' inner dim with one tile (`x[tile_m, tile_k] @ y[tile_k, tile_n]`), "
                           f"or state `assert {x} == {y}` in the kernel's host code")
    dims = [*a[:-1], b[-1]]
    if op.acc is not None and list(op.acc.type.dims) != dims:
        raise op_error(op, f"the accumulator of shape {fmt_shape(op.acc.type.dims)} does not match the product's "
                           f"{fmt_shape(dims)}")
    return dims


def check_store(op: T.StoreOp, facts: FactBase | None = None) -> None:
    target = access_shape(op)
    value = op.value.type.dims
    if len(value) > len(target) or broadcast(op, target, value, facts=facts) != target:
        raise op_error(op, f"cannot store a tile of shape {fmt_shape(value)} into "
                           f"`{op.tensor.name_hint or 'tensor'}[...]` of shape {fmt_shape(target)}")


def infer_block(block, facts: FactBase | None = None) -> None:
    for op in block.ops:
        if isinstance(op, T.ForOp):
            for arg, init in zip(op.carried, op.iter_args):
                set_type(arg, init.type)
            infer_block(op.body.block, facts)
            yielded = op.body.block.last_op
            for arg, res, v in zip(op.carried, op.results, yielded.operands):
                if v.type != arg.type:
                    raise op_error(yielded, f"loop-carried value changes type in the loop: {arg.type.dims} "
                                            f"before, {v.type.dims} after one iteration",
                                   "give the accumulator its final shape and dtype before the loop (hl.zeros)")
                set_type(res, arg.type)
            continue
        if isinstance(op, T.StoreOp):
            check_store(op, facts)
            continue
        dims = infer(op, facts)
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
            infer_block(k.body.block, kernel_facts(k))
