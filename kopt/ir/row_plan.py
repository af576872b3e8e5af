"""Looped reductions, the analysis: which phase (pass over a row) every op of a kernel body belongs to.

A value is *row-shaped* when its shape has the looped extent (`_m` of `x[tile, :]`);
every other value is *per-row*. The level of a value counts the passes over the
row that must finish before it exists: loads and constants are level 0, a
reduction over the row is one more than its input, anything else the maximum of
its operands. Phase p is one `tile.for ... sequential` loop over chunks that

  - recomputes from loads the row-shaped values it needs (a row does not fit in
    registers, so row values never live across phases),
  - accumulates every reduction of level p (`iter_args`, folded chunk by chunk),
  - stores every row-shaped value of level p - 1 (softmax's `exp(x - m) / s`).

Per-row ops of level k run between loop k and loop k + 1. Softmax is three
phases (max, sum, normalize), RMS norm two, a row sum one. An online pair (see
reduction_online.py) computes a sum in the same phase as the max it rescales by.
A kernel the model cannot express (a row value feeding a matmul or a user loop or
a user's combine function, a tensor stored in one phase and read as a row in a later
one) gets no plan: the caller lowers it persistently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import elem_bytes
from kopt.dialects.interfaces import OrdersLanes
from kopt.dialects.types import TensorType, TileType
from kopt.ir.extents import canonical_tensor_dims


def is_row(v: SSAValue, extent: str) -> bool:
    return isinstance(v.type, TileType) and extent in v.type.dims


def reduced_dim(op: T.ReduceOp) -> str:
    return op.reduced_size


def looped_extent(kernel: T.KernelOp, canon: dict[str, str] | None = None) -> str | None:
    """The whole dim (`:`) that most reductions run over; None when no reduction runs over one."""
    wholes = {d for op in kernel.walk() if isinstance(op, T.ACCESS_OPS)
              for d, s in zip(canonical_tensor_dims(op, canon), op.spec_list) if s == ":"}
    counts = Counter(reduced_dim(op) for op in kernel.walk() if isinstance(op, T.ReduceOp) and reduced_dim(op) in wholes)
    return counts.most_common(1)[0][0] if counts else None


def used_values(op: Operation):
    """Operands of `op` and of the ops nested in it that are defined outside it."""
    inner = {r for o in op.walk() for r in o.results}
    inner |= {a for o in op.walk() for reg in o.regions for b in reg.blocks for a in b.args}
    return [v for o in op.walk() for v in o.operands if v not in inner]


# reduction-variants marks the two-piece clones whose tail is not masked at the row's end: launched only for rows whose
# tail fills its block ("exact"), or holding a tail block that ends at the row's end ("overlap",
# kopt/passes/reduction_pieces.py); reduction-lowering builds the tail so, the launcher picks its warps by it
ROW_TAIL, EXACT, OVERLAP = "row_tail", "exact", "overlap"


def row_tail(kernel: T.KernelOp) -> str | None:
    """How `kernel`'s tail piece is marked (`EXACT`, `OVERLAP`), or None for a tail masked at the row's end."""
    mark = kernel.attributes.get(ROW_TAIL)
    return mark.data if isinstance(mark, StringAttr) else None


@dataclass
class Plan:
    """Which phase every op of a kernel body belongs to."""

    kernel: T.KernelOp
    extent: str
    level: dict[SSAValue, int] = field(default_factory=dict)
    row_ops: set[Operation] = field(default_factory=set)  # ops with a row-shaped result
    reductions: list[T.ReduceOp] = field(default_factory=list)  # reductions over the row
    stores: list[T.StoreOp] = field(default_factory=list)  # stores of row-shaped values
    pairs: dict[T.ReduceOp, object] = field(default_factory=dict)  # max -> OnlinePair
    phases: int = 0

    def store_phase(self, op: T.StoreOp) -> int:
        return max((self.level.get(v, 0) for v in op.operands), default=0) + 1

    def paired_sums(self) -> set[T.ReduceOp]:
        return {pair.sum for pair in self.pairs.values()}

    def reductions_of(self, phase: int) -> list[T.ReduceOp]:
        return [r for r in self.reductions if self.level[r.result] == phase]

    def stores_of(self, phase: int) -> list[T.StoreOp]:
        return [s for s in self.stores if self.store_phase(s) == phase]

    def roots(self, phase: int) -> list[SSAValue]:
        """The row values phase `phase` reads: reduction inputs and stored values (and their indices)."""
        paired = self.paired_sums()
        out = [r.operand for r in self.reductions_of(phase) if r not in paired]
        return out + [v for s in self.stores_of(phase) for v in s.operands]

    def needed(self, roots: list[SSAValue]) -> list[Operation]:
        """The row ops that compute `roots`, in program order."""
        seen: set[Operation] = set()
        stack = [v.owner for v in roots if v.owner in self.row_ops]
        while stack:
            op = stack.pop()
            if op not in seen:
                seen.add(op)
                stack += [v.owner for v in op.operands if v.owner in self.row_ops]
        return [op for op in self.kernel.body.block.ops if op in seen]


def plan(kernel: T.KernelOp, extent: str, pairs: list, canon: dict[str, str] | None = None) -> Plan | None:
    """Levels of every top-level value, or None when the body does not fit the phase model."""
    p = Plan(kernel, extent, pairs={pair.max: pair for pair in pairs})
    pair_of_sum = {pair.sum: pair for pair in pairs}
    for op in kernel.body.block.ops:
        used = used_values(op)
        if op.regions and any(is_row(v, extent) for o in op.walk() for v in (*o.operands, *o.results)):
            # row values inside a user loop, or folded by a combine region (`tile.reduce_fn` / `tile.scan_fn`: a
            # user's combine function has no merge of chunk results kopt knows): the kernel stays persistent
            return None
        lv = max((p.level.get(v, 0) for v in used), default=0)
        if isinstance(op, T.ReduceOp) and reduced_dim(op) == extent:
            pair = pair_of_sum.get(op)
            lv = p.level[pair.max.result] if pair is not None else p.level.get(op.operand, 0) + 1
            p.reductions.append(op)
        elif isinstance(op, T.StoreOp) and (is_row(op.value, extent) or any(
                s == ":" and d == extent for s, d in zip(op.spec_list, canonical_tensor_dims(op, canon)))):
            p.stores.append(op)  # a row value, or a per-row value broadcast along the row
        elif any(is_row(r, extent) for r in op.results):
            if any(r.type.dims.count(extent) > 1 for r in op.results if isinstance(r.type, TileType)):
                return None  # the extent on two dims: which one would loop?
            if isinstance(op, OrdersLanes) and any(op.operands[0].type.dims[d] == extent for d in op.ordered_dims()):
                return None  # a scan or flip along the row: its chunks depend on each other in order
            p.row_ops.add(op)
        elif any(is_row(v, extent) for v in used):
            return None  # a row consumed by something other than a reduction over it (a matmul, ...)
        for r in op.results:
            p.level[r] = lv
    p.phases = max([p.level[r.result] for r in p.reductions] + [p.store_phase(s) for s in p.stores], default=0)
    if p.phases == 0 or _reads_after_write(p):
        return None
    return p


def _reads_after_write(p: Plan) -> bool:
    """Would phasing change what a load of a written tensor sees? A row load after a store of the
    same tensor (in program order), or run in a later phase than the store, must see the new values,
    which the loops would not give it."""
    order = {op: i for i, op in enumerate(p.kernel.body.block.ops)}
    stores = []  # (tensor, position, time: the phase of a row store, level + 0.5 of a per-row one)
    for op in p.kernel.body.block.ops:
        if isinstance(op, T.StoreOp):
            lv = max((p.level.get(v, 0) for v in op.operands), default=0)
            stores.append((op.tensor, order[op], p.store_phase(op) if op in p.stores else lv + 0.5))
    if not stores:
        return False
    for phase in range(1, p.phases + 1):
        roots = p.roots(phase) + [pr.max.operand for pr in p.pairs.values() if p.level[pr.max.result] == phase]
        for op in p.needed(roots):
            if isinstance(op, T.LoadOp) and any(t == op.tensor and (order[op] > pos or phase > time)
                                                for t, pos, time in stores):
                return True
    return False


def row_element_bytes(kernel: T.KernelOp, extent: str) -> int:
    """Element size of the widest tensor with a row along `extent` (what a persistent row costs)."""
    sizes = [elem_bytes(a.type.element_type) for a in kernel.body.block.args
             if isinstance(a.type, TensorType) and extent in a.type.dims]
    return max(sizes, default=4)
