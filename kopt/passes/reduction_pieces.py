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
"""

from __future__ import annotations

from xdsl.ir import Operation

from xdsl.dialects.builtin import StringAttr

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType
from kopt.ir.row_plan import Plan
from kopt.ir.util import set_type
from kopt.passes.reduction_phases import combine, index_whole_dim


# reduction-variants marks the clone launched only for rows whose tail fills its block; reduction-lowering reads it
ROW_TAIL, EXACT = "row_tail", "exact"


def has_exact_tail(kernel: T.KernelOp) -> bool:
    """Is `kernel` marked `row_tail = "exact"` (launched only where N - first piece == the tail's block)?"""
    mark = kernel.attributes.get(ROW_TAIL)
    return isinstance(mark, StringAttr) and mark.data == EXACT


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
    """Rewrites a kernel body so that its row is the two pieces whose block symbols are `pieces`."""

    def __init__(self, p: Plan, pieces: tuple[str, str], canon: dict[str, str] | None = None, exact_tail: bool = False):
        self.p, self.pieces, self.canon, self.exact_tail = p, pieces, canon, exact_tail

    def build(self) -> None:
        p, block = self.p, self.p.kernel.body.block
        first, tail = self.pieces
        tail_extent = tail if self.exact_tail else f"{p.extent} - {first}"  # (the launch says N - first == tail)
        ranges = [T.WholeRangeOp(RangeType(first, first)),  # extent = block: every lane inside the row
                  T.WholeRangeOp(RangeType(tail_extent, tail, first))]  # from `first` on, masked unless exact
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
        ops, outs = combine(r, maps[1].get(r.operand, r.operand), [head.result], ranges[1].result)
        for o in (head, *ops):
            r.parent_block().insert_op_before(o, r)
        outs[0].name_hint = r.result.name_hint
        r.result.replace_all_uses_with(outs[0])
