"""Looped reductions: split a kernel body into phases, each a loop over chunks of one whole dim.

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
A kernel the model cannot express (a row value feeding a matmul or a user loop,
a tensor stored in one phase and read as a row in a later one) gets no plan: the
caller lowers it persistently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ArrayAttr, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i1
from kopt.dialects.types import RangeType, TileType
from kopt.passes.masking import neutral
from kopt.passes.util import set_type

COMBINE = {"sum": T.AddOp, "prod": T.MulOp, "max": T.MaximumOp, "min": T.MinimumOp}
ARG_BETTER = {"argmax": T.GtOp, "argmin": T.LtOp}  # strict: the first occurrence wins, as in torch


def is_row(v: SSAValue, extent: str) -> bool:
    return isinstance(v.type, TileType) and extent in v.type.dims


def reduced_dim(op: T.ReduceOp) -> str:
    return op.operand.type.dims[op.dim.value.data]


def subscript_dims(op: T.LoadOp | T.StoreOp, canon: dict[str, str] | None = None) -> list[str]:
    """The tensor dim under each subscript entry ('' for `None`), as its canonical extent."""
    dims, out = iter(op.tensor.type.dims), []
    for s in op.spec_list:
        d = "" if s == "None" else next(dims)
        out.append((canon or {}).get(d, d))
    return out


def looped_extent(kernel: T.KernelOp, canon: dict[str, str] | None = None) -> str | None:
    """The whole dim (`:`) that most reductions run over; None when no reduction runs over one."""
    wholes = {d for op in kernel.walk() if isinstance(op, (T.LoadOp, T.StoreOp))
              for d, s in zip(subscript_dims(op, canon), op.spec_list) if s == ":"}
    counts = Counter(reduced_dim(op) for op in kernel.walk() if isinstance(op, T.ReduceOp) and reduced_dim(op) in wholes)
    return counts.most_common(1)[0][0] if counts else None


def used_values(op: Operation):
    """Operands of `op` and of the ops nested in it that are defined outside it."""
    inner = {r for o in op.walk() for r in o.results}
    inner |= {a for o in op.walk() for reg in o.regions for b in reg.blocks for a in b.args}
    return [v for o in op.walk() for v in o.operands if v not in inner]


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
            return None  # row values inside a user loop
        lv = max((p.level.get(v, 0) for v in used), default=0)
        if isinstance(op, T.ReduceOp) and reduced_dim(op) == extent:
            pair = pair_of_sum.get(op)
            lv = p.level[pair.max.result] if pair is not None else p.level.get(op.operand, 0) + 1
            p.reductions.append(op)
        elif isinstance(op, T.StoreOp) and (is_row(op.value, extent) or any(
                s == ":" and d == extent for s, d in zip(op.spec_list, subscript_dims(op, canon)))):
            p.stores.append(op)  # a row value, or a per-row value broadcast along the row
        elif any(is_row(r, extent) for r in op.results):
            if any(r.type.dims.count(extent) > 1 for r in op.results if isinstance(r.type, TileType)):
                return None  # the extent on two dims: which one would loop?
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


# ---------------------------------------------------------------- building the loops


def accumulators(r: T.ReduceOp) -> list[tuple[str, TileType, str]]:
    """(name, type, initial value) of the loop-carried values one reduction needs."""
    kind, t = r.kind.data, r.result.type
    hint = r.result.name_hint or kind
    if kind in ARG_BETTER:
        value_t = t.with_element(r.operand.type.element_type)
        return [(f"{hint}_value", value_t, neutral(kind, value_t.element_type)), (hint, t, "0")]
    return [(hint, t, neutral(kind, t.element_type))]


def combine(r: T.ReduceOp, chunk_value: SSAValue, acc: list[SSAValue], chunk: SSAValue):
    """Ops folding one chunk into a reduction's accumulators; returns (ops, new accumulator values)."""
    kind, dim, keep = r.kind.data, r.dim.value.data, bool(r.keepdim.value.data)
    if kind in COMBINE:
        part = T.ReduceOp(kind, chunk_value, dim, keep, r.result.type)
        new = COMBINE[kind](acc[0], part.result, r.result.type)
        return [part, new], [new.result]
    value_t = acc[0].type  # arg-reductions: the best value so far and its index
    part_v = T.ReduceOp("max" if kind == "argmax" else "min", chunk_value, dim, keep, value_t)
    part_i = T.ReduceOp(kind, chunk_value, dim, keep, r.result.type)
    begin = T.TileAttrOp(chunk, "begin")  # i32 (no cast: the interpreter's loop offsets are Python ints)
    global_i = T.AddOp(part_i.result, begin.result, r.result.type)
    better = ARG_BETTER[kind](part_v.result, acc[0], value_t.with_element(i1))
    new_v = T.WhereOp(better.result, part_v.result, acc[0], value_t)
    new_i = T.WhereOp(better.result, global_i.result, acc[1], r.result.type)
    return [part_v, part_i, begin, global_i, better, new_v, new_i], [new_v.result, new_i.result]


class PhaseBuilder:
    """Rewrites a kernel body into the loops of a plan; `chunk` is the chunk's block symbol."""

    def __init__(self, p: Plan, chunk: str, canon: dict[str, str] | None = None):
        self.p, self.chunk, self.canon = p, chunk, canon
        self.block = p.kernel.body.block

    def retype(self, t):
        if isinstance(t, TileType) and self.p.extent in t.dims:
            return t.with_dims([self.chunk if d == self.p.extent else d for d in t.dims])
        return t

    def clone_into(self, op: Operation, body, vmap: dict, chunk: SSAValue) -> None:
        new = op.clone(value_mapper=vmap)
        body.add_op(new)
        if isinstance(new, (T.LoadOp, T.StoreOp)):
            self.chunk_subscript(new, chunk)
        for old_r, new_r in zip(op.results, new.results):
            vmap[old_r] = set_type(new_r, self.retype(old_r.type))

    def chunk_subscript(self, op: T.LoadOp | T.StoreOp, chunk: SSAValue) -> None:
        """`x[tile, :]` -> `x[tile, %chunk]` for the `:` entries over the looped extent."""
        spec, operands, idx = [], [], iter(op.indices)
        for s, d in zip(op.spec_list, subscript_dims(op, self.canon)):
            if s == ":" and d == self.p.extent:
                spec.append("i")
                operands.append(chunk)
            else:
                spec.append(s)
                if s == "i":
                    operands.append(next(idx))
        op.operands = [op.tensor, *operands] + ([op.value] if isinstance(op, T.StoreOp) else [])
        op.properties["spec"] = ArrayAttr(StringAttr(s) for s in spec)
        op.properties["masked"] = ArrayAttr(IntAttr(0) for _ in operands)

    def build(self) -> None:
        p = self.p
        order = list(self.block.ops)
        moved = p.row_ops | set(p.stores) | set(p.reductions)
        slots: dict[int, list[Operation]] = {}
        for op in order:
            if op not in moved:
                slots.setdefault(max((p.level.get(v, 0) for v in used_values(op)), default=0), []).append(op)
        loops = [self.loop(k) for k in range(1, p.phases + 1)]  # built before anything moves
        for op in order:
            op.detach()
        for k in range(p.phases + 1):
            if k:
                for op in loops[k - 1]:
                    self.block.add_op(op)
            for op in slots.get(k, []):
                self.block.add_op(op)
        for op in reversed(order):
            if op in moved:
                op.erase(safe_erase=False)

    def loop(self, phase: int) -> list[Operation]:
        """The initial accumulators and the loop of one phase; uses of its reductions now read the loop."""
        p = self.p
        paired = p.paired_sums()
        reds = [r for r in p.reductions_of(phase) if r not in paired]
        singles = [r for r in reds if r not in p.pairs]
        pairs = [p.pairs[r] for r in reds if r in p.pairs]
        accs = [a for r in singles for a in accumulators(r)] + [a for pr in pairs for a in pr.accumulators()]
        inits = []
        for name, t, fill in accs:
            c = T.ConstantOp(fill, t)
            c.result.name_hint = name
            inits.append(c)
        loop = T.ForOp([RangeType(p.extent, self.chunk)], "sequential", [c.result for c in inits])
        # Which pass over the row this loop is: reread-hints orders cache use and direction by it.
        loop.attributes["phase"] = IntegerAttr(phase, 64)
        chunk = loop.ranges[0]
        chunk.name_hint = "chunk." + self.chunk.rsplit("_", 1)[1]
        body, vmap = loop.body.block, {}
        for op in p.needed(p.roots(phase) + [pr.max.operand for pr in pairs]):
            self.clone_into(op, body, vmap, chunk)
        carried, yields, results = iter(loop.carried), [], []
        for r in singles:
            ops, outs = combine(r, vmap.get(r.operand, r.operand), [next(carried) for _ in accumulators(r)], chunk)
            results.append((r, len(yields) + len(outs) - 1))  # an arg-reduction's index is its last value
            yields += outs
            for o in ops:
                body.add_op(o)
        for pr in pairs:
            ops, outs = pr.combine(vmap.get(pr.max.operand, pr.max.operand), [next(carried) for _ in range(2)])
            results += [(pr.max, len(yields)), (pr.sum, len(yields) + 1)]
            yields += outs
            for o in ops:
                body.add_op(o)
        for s in p.stores_of(phase):
            self.clone_into(s, body, vmap, chunk)
        body.add_op(T.YieldOp(*yields))
        for r, i in results:
            loop.results[i].name_hint = r.result.name_hint
            r.result.replace_all_uses_with(loop.results[i])
        return [*inits, loop]
