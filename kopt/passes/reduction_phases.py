"""Looped reductions, the rewrite: a kernel body becomes phases, each a loop over chunks of one whole dim
(the plan of kopt/ir/row_plan.py; a private helper of reduction-lowering).

Phase p is one `tile.for ... sequential` loop over chunks that recomputes from loads the row values
it needs, folds every reduction of level p into its accumulators (`iter_args`, with the reduction's
combiner, kopt/dialects/tile_reduce.py), and stores every row value of level p - 1.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i1
from kopt.dialects.types import RangeType, TileType
from kopt.ir.extents import canonical_tensor_dims
from kopt.ir.row_plan import Plan, used_values
from kopt.ir.util import set_type


def accumulators(r: T.ReduceOp) -> list[tuple[str, TileType, str]]:
    """(name, type, initial value) of the loop-carried values one reduction needs."""
    kind, t = r.kind_name, r.result.type
    hint = r.result.name_hint or kind
    if r.arg_parts() is not None:  # argmax/argmin: the best value so far, and its index
        value_t = t.with_element(r.operand.type.element_type)
        return [(f"{hint}_value", value_t, r.neutral(value_t.element_type)), (hint, t, "0")]
    return [(hint, t, r.neutral(t.element_type))]


def combine(r: T.ReduceOp, chunk_value: SSAValue, acc: list[SSAValue], chunk: SSAValue):
    """Ops folding one chunk into a reduction's accumulators; returns (ops, new accumulator values)."""
    kind, dim, keep = r.kind_name, r.dim.value.data, r.keeps_dim
    nan = r.propagates_nan
    if (combiner := r.combiner()) is not None:  # MaximumOp / MinimumOp propagate a NaN (as torch.maximum)
        part = T.ReduceOp(kind, chunk_value, dim, keep, r.result.type, nan)
        new = combiner(acc[0], part.result, r.result.type)
        return [part, new], [new.result]
    value_kind, beats = r.arg_parts()
    value_t = acc[0].type
    part_v = T.ReduceOp(value_kind, chunk_value, dim, keep, value_t, nan)
    part_i = T.ReduceOp(kind, chunk_value, dim, keep, r.result.type, nan)
    begin = T.TileAttrOp(chunk, "begin")  # i32 (no cast: the interpreter's loop offsets are Python ints)
    global_i = T.AddOp(part_i.result, begin.result, r.result.type)
    flags = value_t.with_element(i1)
    better = beats(part_v.result, acc[0], flags)
    ops = [part_v, part_i, begin, global_i, better]
    if nan:  # a chunk's NaN beats a running value that is no NaN (the first NaN wins, as in torch)
        chunk_nan, acc_num = T.NeOp(part_v.result, part_v.result, flags), T.EqOp(acc[0], acc[0], flags)
        first_nan = T.AndOp(chunk_nan.result, acc_num.result, flags)
        better = T.OrOp(better.result, first_nan.result, flags)
        ops += [chunk_nan, acc_num, first_nan, better]
    new_v = T.WhereOp(better.result, part_v.result, acc[0], value_t)
    new_i = T.WhereOp(better.result, global_i.result, acc[1], r.result.type)
    return [*ops, new_v, new_i], [new_v.result, new_i.result]


def index_whole_dim(op: T.LoadOp | T.StoreOp, extent: str, rng: SSAValue, canon: dict[str, str] | None) -> None:
    """`x[tile, :]` -> `x[tile, %rng]` for the `:` entries over `extent` (a loop's chunk, a row's piece)."""
    spec, operands, idx = [], [], iter(op.indices)
    for s, d in zip(op.spec_list, canonical_tensor_dims(op, canon)):
        if s == ":" and d == extent:
            spec.append("i")
            operands.append(rng)
        else:
            spec.append(s)
            if s == "i":
                operands.append(next(idx))
    op.set_subscript(spec, operands)


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
        if isinstance(new, T.ACCESS_OPS):
            self.chunk_subscript(new, chunk)
        for old_r, new_r in zip(op.results, new.results):
            vmap[old_r] = set_type(new_r, self.retype(old_r.type))

    def chunk_subscript(self, op: T.LoadOp | T.StoreOp, chunk: SSAValue) -> None:
        index_whole_dim(op, self.p.extent, chunk, self.canon)

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
