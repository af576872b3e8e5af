"""Which range a block symbol or a value's dim stands for at a point of a kernel."""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType


def range_in_scope(op: Operation, block: str) -> SSAValue | None:
    """The range with this block symbol that is visible at `op`: the innermost enclosing loop's
    first (looped reductions give every phase its own loop over the same chunk symbol), else one the
    kernel body defines."""
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
