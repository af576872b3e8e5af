"""Whether a range's blocks stay inside its extent, and whether a loop body numbers its blocks: what mask-elision,
loop-peeling and split-k ask of a range."""

from __future__ import annotations

from xdsl.ir import SSAValue

from kopt.analysis import FactBase
from kopt.dialects import tile as T
from kopt.dialects.types import RangeType


def covered(facts: FactBase, r: SSAValue, defs: dict[str, str] | None = None) -> tuple[bool, str]:
    """Is every lane of every block of this range inside the extent? (True only when proven)
    `defs` maps launch-time symbols to their definition (the plan's whole-dim blocks), for the reason text."""
    t: RangeType = r.type
    if isinstance(r.owner, T.WholeRangeOp):
        return _whole_dim(facts, t, (defs or {}).get(t.block.data))
    ans = facts.divides(t.block.expr, t.extent.expr)
    return ans.is_true, ans.reason


def _whole_dim(facts: FactBase, t: RangeType, definition: str | None) -> tuple[bool, str]:
    b, e = t.block.data, t.extent.data
    block, extent = t.block.expr, t.extent.expr
    ans = facts.eq(block, extent)
    named = f"{b} = {definition}" if definition else b
    if ans.is_true:
        v = facts.try_const(extent)
        return True, (f"{e} = {v} and {named} = {v}" if v is not None else f"{b} = {e}: {ans.reason}")
    if ans.is_false:
        ev, bv = facts.try_const(extent), facts.try_const(block)
        if ev is not None and bv is not None:
            return False, f"{e} = {ev} but {named} = {bv}"
        return False, f"{named} differs from {e}: {ans.reason}"
    return False, f"{named} may exceed {e}: {ans.reason}"


def numbers_blocks(r: SSAValue) -> bool:
    """Whether the body reads its block's number (`tile.id`), which counts from the range's begin: a loop split at a
    block (loop-peeling, split-k) would number the second part's blocks from 0 again."""
    return any(isinstance(u.operation, T.TileAttrOp) and u.operation.which == "id" for u in r.uses)
