"""Online softmax statistics: the max and the sum of exponentials in one pass over the row.

`decompose` writes softmax, log_softmax and logsumexp as

    m = max(a, d)            s = sum(exp(a - m), d)      (m expanded back to a's rank if keepdim=0)

and users write the same chain by hand. Looped lowering would need one pass for
m and a second for s. Online lowering (as FlashAttention does) carries both and
rescales the running sum whenever the running max grows:

    m_new = max(m, max(chunk));   s = s * exp(m - m_new) + sum(exp(chunk - m_new))

This file only recognizes the chain (`find_pairs`) and writes the per-chunk
update (`OnlinePair.combine`); reduction-lowering (kopt/passes/reduction_phases.py) places it in
the max's phase, and reduction-variants asks whether a kernel has such a chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i1
from kopt.dialects.types import TileType
from kopt.ir.row_plan import reduced_dim

EXP = T.ExpOp


@dataclass(frozen=True)
class OnlinePair:
    """`max` and `sum` reductions of one max→sub→exp→sum chain (`expand` re-inserts the max's dim)."""

    max: T.ReduceOp
    sum: T.ReduceOp
    expand: T.ExpandOp | None

    def accumulators(self) -> list[tuple[str, TileType, str]]:
        return [(self.max.result.name_hint or "max", self.max.result.type, "-inf"),
                (self.sum.result.name_hint or "sum", self.sum.result.type, "0")]

    def combine(self, chunk_value: SSAValue, acc: list[SSAValue]) -> tuple[list[Operation], list[SSAValue]]:
        """Ops folding one chunk into (running max, running sum); returns (ops, new values)."""
        m_acc, s_acc = acc
        dim, keep = self.max.dim.value.data, self.max.keeps_dim
        m_t, s_t, a_t = self.max.result.type, self.sum.result.type, chunk_value.type
        part_m = T.ReduceOp("max", chunk_value, dim, keep, m_t, self.max.propagates_nan)
        m_new = T.MaximumOp(m_acc, part_m.result, m_t)
        # every value so far -inf (a masked vocabulary's leading chunks): exp(-inf - -inf) would be NaN; shift by 0
        # instead, which gives the chunk's exp 0 and keeps the sum 0 until a finite value comes
        scalar = TileType([], m_t.element_type)
        ninf, zero = T.ConstantOp("-inf", scalar), T.ConstantOp("0", scalar)
        empty = T.EqOp(m_new.result, ninf.result, m_t.with_element(i1))
        m_safe = T.WhereOp(empty.result, zero.result, m_new.result, m_t)
        ops: list[Operation] = [part_m, m_new, ninf, zero, empty, m_safe]
        m_b = m_safe.result
        if self.expand is not None:
            ex = T.ExpandOp(m_b, self.expand.spec_list, a_t.with_dims(
                [d if i != dim else "1" for i, d in enumerate(a_t.dims)]))
            ops.append(ex)
            m_b = ex.result
        shifted = T.SubOp(chunk_value, m_b, a_t)
        e = EXP(shifted.result)
        part_s = T.ReduceOp("sum", e.result, dim, keep, s_t)
        drop = T.SubOp(m_acc, m_safe.result, m_t)  # <= 0: how much smaller the old max was
        scale = EXP(drop.result)
        kept = T.MulOp(s_acc, scale.result, s_t)
        s_new = T.AddOp(kept.result, part_s.result, s_t)
        ops += [shifted, e, part_s, drop, scale, kept, s_new]
        m_new.result.name_hint = "m_new"
        m_safe.result.name_hint = "m_shift"
        return ops, [m_new.result, s_new.result]


def find_pairs(kernel: T.KernelOp, extent: str) -> list[OnlinePair]:
    """Every `sum(exp(a - max(a)))` over `extent` in the kernel body (top level)."""
    pairs, taken = [], set()
    for op in kernel.body.block.ops:
        if not (isinstance(op, T.ReduceOp) and op.kind_name == "sum" and reduced_dim(op) == extent):
            continue
        e = op.operand.owner
        sub = e.operand.owner if isinstance(e, EXP) else None
        if not isinstance(sub, T.SubOp):
            continue
        a, mx = sub.lhs, sub.rhs
        expand = mx.owner if isinstance(mx.owner, T.ExpandOp) else None
        m = expand.operand.owner if expand is not None else mx.owner
        if not (isinstance(m, T.ReduceOp) and m.kind_name == "max" and m.operand == a and m not in taken):
            continue
        dim, keep = m.dim.value.data, m.keeps_dim
        if op.dim.value.data != dim or op.keeps_dim != keep or (expand is None) != keep:
            continue
        if expand is not None and expand.spec_list.index("None") != dim:
            continue
        if m.result.type.element_type != op.result.type.element_type:
            continue
        taken.add(m)
        pairs.append(OnlinePair(m, op, expand))
    return pairs
