"""masking: guard every access and reduction that a range's last block may overhang.

A load or store gets one `masked` flag per range it is indexed by (lanes past
the extent are not touched); a reduction over such a range first sets those
lanes to the reduction's neutral element (`tile.mask_fill`: -inf for max,
+inf for min, 0 for sum, 1 for prod), or, when it reads a load directly, makes
that load's `other` the neutral element. Whether a mask is really needed is
`mask-elision`'s question; this pass only skips ranges whose block is
literally their extent.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.dtypes import is_float
from kopt.dialects.types import RangeType
from kopt.passes.dim_provenance import index_provenance
from kopt.passes.registry import register_pass
from kopt.passes.util import kernels

NEUTRAL = {"sum": "0", "prod": "1", "max": "-inf", "argmax": "-inf", "min": "inf", "argmin": "inf"}
INT_NEUTRAL = {"max": "-2147483648", "argmax": "-2147483648", "min": "2147483647", "argmin": "2147483647"}


def may_overhang(r: RangeType) -> bool:
    return r.extent.data != r.block.data


def neutral(kind: str, elem) -> str:
    return NEUTRAL[kind] if is_float(elem) or kind not in INT_NEUTRAL else INT_NEUTRAL[kind]


def range_in_scope(op: Operation, block: str) -> SSAValue | None:
    """The range with this block symbol that is visible at `op`: the innermost enclosing loop's
    first (looped reductions give every phase its own loop over the same chunk symbol)."""
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, T.KernelOp):
        for a in (a for r in parent.regions for b in r.blocks for a in b.args):
            if isinstance(a.type, RangeType) and a.type.block.data == block:
                return a
        parent = parent.parent_op()
    if parent is None:
        return None
    for top in parent.body.block.ops:
        for v in top.results:
            if isinstance(v.type, RangeType) and v.type.block.data == block:
                return v
    return None


def dim_range(value: SSAValue, dim: int, at: Operation, prov: dict) -> SSAValue | None:
    """The range a value's dim runs along: traced back through the IR where possible (two loop
    dims may share a literal block size such as 16), else the range of that block in scope."""
    traced = (prov.get(value) or [None] * value.type.rank)[dim]
    if isinstance(traced, SSAValue):
        return traced
    return range_in_scope(at, value.type.dims[dim])


def mask_reduction(op: T.ReduceOp, prov: dict) -> None:
    dim = op.dim.value.data
    r = dim_range(op.operand, dim, op, prov)
    if r is None or not may_overhang(r.type):
        return
    fill = neutral(op.kind.data, op.operand.type.element_type)
    src = op.operand.owner
    if isinstance(src, T.LoadOp) and sum(1 for _ in op.operand.uses) == 1 and r in src.indices:
        src.properties["other"] = StringAttr(fill)
        return
    mf = T.MaskFillOp(op.operand, r, dim, fill)
    mf.location = op.location
    op.parent_block().insert_op_before(mf, op)
    op.operands = [mf.result]


def mask_contraction(op: T.DotOp, prov: dict) -> None:
    """A dot sums over K: lanes past K's end must be 0 in both operands (inf * 0 is NaN), which a
    load masked there already gives (`other 0`); any other operand is filled with 0 first."""
    rank = op.lhs.type.rank
    r = dim_range(op.lhs, rank - 1, op, prov)
    if r is None or not may_overhang(r.type):
        return
    for i, (operand, dim) in enumerate(((op.lhs, rank - 1), (op.rhs, rank - 2))):
        src = operand.owner
        while isinstance(src, (T.TransposeOp, T.CastOp)):  # they keep a zero a zero
            src = src.operand.owner
        if isinstance(src, T.LoadOp) and r in src.indices and src.other.data == "0":
            continue
        mf = T.MaskFillOp(operand, r, dim, "0")
        mf.location = op.location
        op.parent_block().insert_op_before(mf, op)
        op.operands = [mf.result if j == i else o for j, o in enumerate(op.operands)]


@register_pass
@dataclass(frozen=True)
class MaskingPass(ModulePass):
    """Mask accesses past the end of each range; fill reduced lanes with the neutral element."""

    name = "masking"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            prov = index_provenance(kernel)
            for op in list(kernel.walk()):
                if isinstance(op, (T.LoadOp, T.StoreOp)):
                    flags = [int(isinstance(i.type, RangeType) and may_overhang(i.type)) for i in op.indices]
                    op.properties["masked"] = ArrayAttr(IntAttr(f) for f in flags)
                elif isinstance(op, T.ReduceOp):
                    mask_reduction(op, prov)
                elif isinstance(op, T.DotOp):
                    mask_contraction(op, prov)
