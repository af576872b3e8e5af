"""jagged-masks: the per-lane masks of `hl.jagged_tile` loops.

`for tile_k in hl.jagged_tile(ends)` loops to the largest of `ends`; a lane `(b, k)` is in the loop only
while `k < ends[b]`, where `b` runs along the enclosing tiles `ends` runs along (the frontend states this
with a `tile.jagged %tile_k, %ends` at the top of the loop body). This pass finds, by the provenance of
tile dims (kopt/ir/dim_provenance.py), every op in the loop that sees lanes along `tile_k` and along every
dim of `ends`:
- a load or store gets the mask `index_k < ends` as an extra mask (a `tile.masked_view` of its tensor);
- an op that folds one of those dims (`Reduces`: a sum, a max, a product's K) gets its neutral element in
  the lanes past each end (a `tile.where` on the operand), so that `x.amax(1)` of a jagged tile is the max
  of the lanes that are there, as in Helion.
A store or a reduction that sees `tile_k` without the dims of `ends` has no per-lane end to respect: a
located error. A load without them reads the whole block (the range's own mask guards the memory) and
its extra lanes are masked where they meet the ends. The mask for one placement is built once, at the top
of the loop body (both `ends` and the range are defined there). Runs after `masking` (whose range masks
stay: a load indexed by `tile_k` alone still needs them) and erases the `tile.jagged` markers.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i1
from kopt.dialects.interfaces import MovesLanes, Reduces
from kopt.dialects.shape_rules import broadcast_text
from kopt.dialects.types import RangeType, TileType
from kopt.ir.dim_provenance import EMPTY, index_provenance
from kopt.ir.util import kernels, op_error
from kopt.passes.registry import register_pass


def _access_dims(op: T.LoadOp | T.StoreOp, prov: dict) -> list:
    """The range behind each dim of the block a load or store addresses."""
    out = []
    for _, sources in op.entries():
        if not sources:
            out.append(EMPTY)
            continue
        value, dim = sources[0]
        out.append(value if isinstance(value.type, RangeType) else (prov.get(value) or [None] * value.type.rank)[dim])
    return out


class _JaggedLoop:
    """One `tile.jagged` marker: its range, its ends and the ranges they run along, and the masks built so far."""

    def __init__(self, mark: T.JaggedOp, prov: dict):
        self.mark, self.range, self.ends = mark, mark.range, mark.ends
        self.parents = list(prov.get(self.ends) or [None] * self.ends.type.rank)
        if any(p is None or p == EMPTY for p in self.parents):
            raise op_error(mark, "hl.jagged_tile: cannot tell which enclosing tiles the ends run along",
                           "compute the ends from loads indexed by the enclosing tiles "
                           "(`offsets[tile_b.index + 1] - offsets[tile_b]`)")
        self.masks: dict[tuple[int, int, tuple[int, ...]], SSAValue] = {}

    def describe(self) -> str:
        def name(v):
            return f"`{v.name_hint}`" if v.name_hint else "its ends"
        return f"{name(self.range)} < {name(self.ends)} (hl.jagged_tile)"

    def sees(self, dims: list) -> bool:
        return self.range in dims

    def has_parents(self, dims: list) -> bool:
        return all(p in dims for p in self.parents)

    def mask(self, dims: list, user: Operation) -> SSAValue:
        """`index_k < ends`, its dims placed as in `dims` (a rank-len(dims) tile of i1, unit elsewhere)."""
        rank, k = len(dims), dims.index(self.range)
        positions = tuple(dims.index(p) for p in self.parents)
        if list(positions) != sorted(positions):
            raise op_error(user, "hl.jagged_tile: this op sees the dims of the ends in another order than the "
                                 "ends have them", "keep the enclosing tiles' dims in their order")
        key = (rank, k, positions)
        if key not in self.masks:
            self.masks[key] = self._build(rank, k, positions)
        return self.masks[key]

    def _build(self, rank: int, k: int, positions: tuple[int, ...]) -> SSAValue:
        elem = self.ends.type.element_type
        ops: list[Operation] = [T.TileAttrOp(self.range, "index")]
        index = ops[-1].results[0]
        if index.type.element_type != elem:
            ops.append(T.CastOp(index, index.type.with_element(elem)))
            index = ops[-1].results[0]
        ops.append(_place(index, {k}, rank))
        lanes = ops[-1].results[0]
        ops.append(_place(self.ends, set(positions), rank))
        ends = ops[-1].results[0]
        ops.append(T.LtOp(lanes, ends, TileType(broadcast_text(lanes.type.dims, ends.type.dims), i1)))
        ops[-1].results[0].name_hint = f"in_{self.range.name_hint or 'jagged'}"
        for op in ops:
            op.location = self.mark.location
        self.mark.parent_block().insert_ops_before(ops, self.mark)
        return ops[-1].results[0]


def _place(value: SSAValue, positions: set[int], rank: int) -> T.ExpandOp:
    """`value`'s dims at `positions` of a rank-`rank` tile, unit dims elsewhere (`v[:, None]`-style)."""
    spec, dims, own = [], [], iter(value.type.dims)
    for i in range(rank):
        spec.append(":" if i in positions else "None")
        dims.append(next(own) if i in positions else "1")
    return T.ExpandOp(value, spec, TileType(dims, value.type.element_type))


def _mask_access(loop: _JaggedLoop, op: T.LoadOp | T.StoreOp, prov: dict) -> None:
    dims = _access_dims(op, prov)
    if not loop.sees(dims):
        return
    if not loop.has_parents(dims):
        if isinstance(op, T.StoreOp):
            raise op_error(op, "a store along a jagged tile must also index the tiles its ends run along",
                           "each lane of the enclosing tile has its own end: index with both (`out[tile_b, tile_k]`)")
        return
    view = T.MaskedViewOp(op.tensor, loop.mask(dims, op))
    view.location = op.location
    op.parent_block().insert_op_before(view, op)
    op.operands = [view.result, *op.operands[1:]]
    _note(op, f"masked past each lane's end: {loop.describe()}")


def _fill_folded(loop: _JaggedLoop, op: Operation, prov: dict) -> None:
    jagged = {loop.range, *loop.parents}
    positions: dict[SSAValue, list[int]] = {}
    for i, o in enumerate(op.operands):
        positions.setdefault(o, []).append(i)
    for value, dim in op.reduced_dims():
        at = positions[value].pop(0)
        dims = list(prov.get(value) or [None] * value.type.rank)
        if not loop.sees(dims) or dims[dim] not in jagged:
            continue
        if not loop.has_parents(dims):
            raise op_error(op, "a reduction along a jagged tile must also see the tiles its ends run along",
                           "each lane of the enclosing tile has its own end: reduce a tile indexed by both")
        text = op.neutral_of_operand(at)
        range_fill = value.owner if isinstance(value.owner, T.MaskFillOp) else None
        if range_fill is not None and range_fill.range is loop.range and range_fill.fill.data == text:
            value = range_fill.operand  # lanes past the loop's end are past every lane's end: one fill does both
        _note(op, f"lanes past each lane's end hold {text}: {loop.describe()}")
        if _reads_masked_load(loop, value, text):
            _use(op, at, value, range_fill)
            continue
        fill = T.ConstantOp(text, TileType([], value.type.element_type))
        where = T.WhereOp(loop.mask(dims, op), value, fill.result, value.type)
        for new in (fill, where):
            new.location = op.location
        op.parent_block().insert_ops_before([fill, where], op)
        prov[where.result] = dims
        _use(op, at, where.result, range_fill)


def _use(op: Operation, at: int, value: SSAValue, replaced: Operation | None) -> None:
    """Operand `at` of `op` becomes `value`; `replaced` (a range's fill it bypasses) goes when unused."""
    op.operands = [value if i == at else o for i, o in enumerate(op.operands)]
    if replaced is not None and not any(True for _ in replaced.results[0].uses):
        replaced.detach()
        replaced.erase()


def _note(op: Operation, text: str) -> None:
    """Say why `op` was masked, for `--emit=shapes` (beside mask-elision's `mask_notes`)."""
    old = [n.data for n in op.attributes.get("jagged_notes", ArrayAttr([])).data]
    if text not in old:
        op.attributes["jagged_notes"] = ArrayAttr([StringAttr(t) for t in (*old, text)])


def _one_use(value: SSAValue) -> bool:
    return sum(1 for _ in value.uses) == 1


def _reads_masked_load(loop: _JaggedLoop, value: SSAValue, fill: str) -> bool:
    """Does `value` hold a load's lanes (through transposes and casts that keep `fill`) where the load is
    masked by this loop's ends and reads `fill` there (made so when the value is the load's only use)?"""
    alone = _one_use(value)
    while isinstance(value.owner, MovesLanes) and value.owner.keeps(fill):
        value = value.owner.operands[0]
        alone = alone and _one_use(value)
    load = value.owner
    if not (isinstance(load, T.LoadOp) and isinstance(load.tensor.owner, T.MaskedViewOp)
            and load.tensor.owner.mask in loop.masks.values()):
        return False
    if load.other.data != fill and alone:
        load.properties["other"] = StringAttr(fill)
    return load.other.data == fill


@register_pass
@dataclass(frozen=True)
class JaggedMasksPass(ModulePass):
    """Mask the lanes of `hl.jagged_tile` loops past each lane's end."""

    name = "jagged-masks"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            marks = [op for op in kernel.walk() if isinstance(op, T.JaggedOp)]
            if not marks:
                continue
            prov = index_provenance(kernel)
            for mark in marks:
                loop = _JaggedLoop(mark, prov)
                body = mark.parent_block()
                for op in list(body.walk()):
                    if isinstance(op, T.ACCESS_OPS):
                        _mask_access(loop, op, prov)
                    elif isinstance(op, Reduces):
                        _fill_folded(loop, op, prov)
                mark.detach()
                mark.erase()
