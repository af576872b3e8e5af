"""Chunked rows, the rewrite: a kernel's row (the looped extent of kopt/ir/row_plan.py) held as two pieces, an
unmasked power of two and a masked tail (a private helper of reduction-lowering, for the `chunked` variant that
reduction-variants makes).

A persistent row of N elements takes `next_power_of_2(N)` lanes; for N = 8320 that is 16384, half of them masked.
Here the row is `_RDIM_SIZE_a = next_power_of_2(N) // 2` lanes that are all inside it (no mask) and a tail of
`next_power_of_2(N - a)` lanes from `a` on (masked at N): 8320 lanes. Every row op is made once per piece (its row
dim retyped); a reduction over the row reduces each piece and folds the two with its combiner (as a looped
reduction folds its chunks, reduction_phases.combine); a row store stores both pieces. Per-row ops stay as they
are and nothing is recomputed: both pieces stay in registers, as a persistent row does. The launcher runs this
only where N > a >= 1 (the variant's `launch_if`), so the first piece is never past the row's end.

Where the tail fills its block (N = 2^a + 2^b: 10240, 12288; the `chunked_exact` variant, launched only for such rows)
the tail's range is its block (`exact_tail`): no mask on it either, so the row has no masked lane at all.

Elsewhere, in a kernel whose row values do not depend on where a lane sits in the row (`overlap_safe`), the tail is
the block of `next_power_of_2(N - a)` lanes that *ends* at N (the `chunked_overlap` variant, row_tail "overlap"):
it starts at N - tail, inside the first piece, so no lane of it is past the row's end and none is masked. The lanes
it shares with the first piece hold the same values there (the same inputs, the same row reductions): each
reduction over the tail leaves them out (a select to the reduction's neutral element where the lane's index is below
a) and the tail's stores write them again with the values the first piece wrote; a barrier (`tile.barrier`) before
the first store puts every load before every store, so a row stored in place of one the kernel reads (two threads
read a shared element, both write it) is read whole first. Measured on an H200
(benchmarks/results/h200_2026-12-02e/softmax_chunks3.json, hand-written fp16 softmax 4096 x N, one row a program):
an overlapping tail against the masked one, GB/s: 9344 3566 vs 2907, 10112 3571 vs 3050, 11392 3521 vs 2847 (kopt's
padded block 2939), 11904 3527 vs 2936, 12160 3552 vs 3023, 9600 3491 vs 2944, 8832 3236 vs 3123; QuACK ran
3606-3766 on those rows in this session's table. Where the tail's block is as wide as the first piece (12672 = 8192 +
4480: 16384 lanes, as padded) it lost (2718 vs 3219 padded): the launcher takes it only for a tail of at most half
the first piece.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i1, i32
from kopt.dialects.types import RangeType, TileType
from kopt.ir.row_plan import EXACT, OVERLAP, Plan
from kopt.ir.util import set_type
from kopt.passes.reduction_phases import combine, index_whole_dim


# ops whose lanes' values depend only on the same lanes of their operands and on values that are not row-shaped: a
# lane computes what the same element computes in any other block (no index, order, random stream or layout change)
_LANE_LOCAL = (T.LoadOp, T.StoreOp, T.ReduceOp, T.BinaryOp, T.UnaryOp, T.CastOp, T.WhereOp, T.ConstantOp,
               T.SymbolOp, T.ExpandOp, T.BroadcastToOp)


def overlap_safe(p: Plan) -> bool:
    """Whether a tail block overlapping the first piece computes, on the shared lanes, what the first piece does:
    every row op is lane-local (`_LANE_LOCAL`), no access goes through a view (an atomic add twice is not once), and
    every row load comes before every row store in the kernel's body (the barrier PieceBuilder puts between them then
    orders every load before every store, whichever threads make them)."""
    ops = p.row_ops | set(p.stores) | set(p.reductions)
    if not all(isinstance(op, _LANE_LOCAL) for op in ops) or any(
            isinstance(op, T.ACCESS_OPS) and isinstance(op.tensor.owner, (T.AtomicViewOp, T.MaskedViewOp,
                                                                          T.SliceViewOp)) for op in ops):
        return False
    body = list(p.kernel.body.block.ops)
    at = {op: i for i, op in enumerate(body)}
    loads = [op for op in ops if isinstance(op, T.LoadOp)]
    stores = [op for op in ops if isinstance(op, T.StoreOp)]
    if any(op not in at for op in loads + stores):
        return False  # (an access inside a nested region: its order against the others is not the body's)
    return not loads or not stores or max(at[op] for op in loads) < min(at[op] for op in stores)


def splittable(p: Plan) -> bool:
    """Every reduction over the row folds two partial results with a binary op (argmax / argmin carry an index
    that would need the tail's offset: they keep the padded row)."""
    return all(r.combiner() is not None for r in p.reductions)


def piece_sizes(extent: str) -> tuple[str, str]:
    """The two pieces' block sizes: the largest power of two below a row that is no power of two, and the next
    power of two of what is left."""
    first = f"max(next_power_of_2({extent}) // 2, 1)"  # (a row of 1: one lane; an empty row is refused at launch)
    return first, f"next_power_of_2({extent} - {first})"


class PieceBuilder:
    """Rewrites a kernel body so that its row is the two pieces whose block symbols are `pieces`; `tail` says how the
    second one meets the row's end (`row_tail`'s marks; None: masked there)."""

    def __init__(self, p: Plan, pieces: tuple[str, str], canon: dict[str, str] | None = None, tail: str | None = None):
        self.p, self.pieces, self.canon, self.tail = p, pieces, canon, tail
        self.fresh: dict[tuple[int, int], SSAValue] = {}  # the overlapping tail's own lanes, by (dim, rank) placed

    def build(self) -> None:
        p, block = self.p, self.p.kernel.body.block
        first, tail = self.pieces
        if self.tail == OVERLAP:  # the tail's block ending at the row's end (the launch says it is within the row)
            tail_range = RangeType(tail, tail, f"{p.extent} - {tail}")
        else:  # from `first` on, masked at the row's end unless exact (the launch says N - first == tail)
            tail_range = RangeType(tail if self.tail == EXACT else f"{p.extent} - {first}", tail, first)
        ranges = [T.WholeRangeOp(RangeType(first, first)),  # extent = block: every lane inside the row
                  T.WholeRangeOp(tail_range)]
        for r, label in zip(ranges, ("head", "tail")):
            r.result.name_hint = f"{label}.{first.rsplit('_', 1)[1]}"
        at = next((o for o in block.ops if not isinstance(o, T.ProgramRangeOp)), None)
        for r in ranges:
            block.insert_op_before(r, at) if at is not None else block.add_op(r)
        maps: list[dict] = [{}, {}]
        moved = p.row_ops | set(p.stores) | set(p.reductions)
        for op in list(block.ops):
            if op in p.reductions:
                self.fold(op, maps, ranges)
            elif op in moved:
                for k in range(2):
                    self.clone_before(op, maps[k], ranges[k].result, self.pieces[k])
        for op in reversed(list(block.ops)):
            if op in moved:
                block.erase_op(op, safe_erase=False)
        if self.tail == OVERLAP:  # every load (both pieces, every thread) before the first store: see BarrierOp
            first_store = next((op for op in block.ops if isinstance(op, T.StoreOp)), None)
            if first_store is not None:
                barrier = T.BarrierOp()
                barrier.location = first_store.location
                block.insert_op_before(barrier, first_store)

    def clone_before(self, op: Operation, vmap: dict, piece, size: str) -> None:
        new = op.clone(value_mapper=vmap)
        op.parent_block().insert_op_before(new, op)
        if isinstance(new, T.ACCESS_OPS):
            index_whole_dim(new, self.p.extent, piece, self.canon)
        for old_r, new_r in zip(op.results, new.results):
            t = old_r.type
            if isinstance(t, TileType) and self.p.extent in t.dims:
                t = t.with_dims([size if d == self.p.extent else d for d in t.dims])
            vmap[old_r] = set_type(new_r, t)

    def fold(self, r: T.ReduceOp, maps: list[dict], ranges) -> None:
        """A reduction over the row: each piece reduced, the two folded by the reduction's combiner."""
        head = T.ReduceOp(r.kind_name, maps[0].get(r.operand, r.operand), r.dim.value.data, r.keeps_dim,
                          r.result.type, r.propagates_nan)
        tail_value = maps[1].get(r.operand, r.operand)
        left_out = self.shared_lanes_left_out(r, tail_value, ranges[1].result) if self.tail == OVERLAP else []
        if left_out:
            tail_value = left_out[-1].results[0]
        ops, outs = combine(r, tail_value, [head.result], ranges[1].result)
        for o in (head, *left_out, *ops):
            r.parent_block().insert_op_before(o, r)
        outs[0].name_hint = r.result.name_hint
        r.result.replace_all_uses_with(outs[0])

    def shared_lanes_left_out(self, r: T.ReduceOp, value, tail) -> list[Operation]:
        """`where(index >= first, value, neutral)` along the reduced dim: the overlapping tail's lanes that the first
        piece holds too, left out of the reduction (their values are counted once, in the first piece). The lanes'
        mask is made once per placement; later reductions reuse it (it comes before them in the body)."""
        dim, rank, t = r.dim.value.data, value.type.rank, value.type
        ops: list[Operation] = []
        if (dim, rank) not in self.fresh:
            lanes = TileType([self.pieces[1]], i1)
            index = T.TileAttrOp(tail, "index")
            first = T.SymbolOp(self.pieces[0], TileType([], i32))
            fresh = T.GeOp(index.result, first.result, lanes)
            spec = ["None"] * rank
            spec[dim] = ":"
            placed = T.ExpandOp(fresh.result, spec,
                                TileType(["1"] * dim + [self.pieces[1]] + ["1"] * (rank - dim - 1), i1))
            ops += [index, first, fresh, placed]
            self.fresh[(dim, rank)] = placed.result
        neutral = T.ConstantOp(r.neutral(t.element_type), TileType([], t.element_type))
        kept = T.WhereOp(self.fresh[(dim, rank)], value, neutral.result, t)
        kept.result.name_hint = "fresh"
        return [*ops, neutral, kept]
