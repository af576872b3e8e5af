"""batch-to-grid: one batch per program — a batched product's batch tile becomes a program index.

`for tile_b, tile_m in hl.tile([bh, m])` around `torch.bmm` tiles the batch dim too, so every
value of the kernel is 3-D ([B, BM, D] for a block of q) with a batch block B that the launcher
sets to 1. Triton then keeps 3-D layouts around 2-D tensor-core products and converts between
them through shared memory at every step: fp16 attention ran at 68 TFLOP/s on an H100 where the
same kernel written with 2-D tiles ran at 196 (benchmarks/results/h100_2026-11-25c/
attention_variants.txt; the hand-written flash-attention kernel: 271). This pass fixes B to 1 at
compile time and drops that dim everywhere: the batch range becomes a range of block 1 whose
`begin` indexes the batch (as `hl.grid` does), loads and stores take that scalar, and every tile,
expand, reduction, transpose and product loses the batch dim. The kernel reads and computes the
same elements; the generated Triton kernel is 2-D, as a hand-written one.

Which dims are "the batch": those tied to a batch range by the ops (a union-find over
(value, dim) pairs: elementwise broadcasting, expands, reductions, transposes, products, loads,
loop-carried values). Every such dim must be B or a unit dim (a `None` the user inserted, as in
`tile_m.index[None, :, None]`); anything else, an op this pass does not know touching the batch,
a batch tiled by a sequential loop, or a config that fixes B to another value leaves the kernel
as it is (the 3-D form still works). Hand-written here: the union-find walk (networkx's UnionFind
holds the classes); xDSL has no rank-reducing rewrite of this kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from networkx.utils import UnionFind
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, DictionaryAttr, IntAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType
from kopt.passes.registry import register_pass
from kopt.passes.util import kernels, set_type

_ELEMENTWISE = (*T.BINARY_OPS, *T.UNARY_OPS.values(), T.CastOp, T.WhereOp)
# ops whose tiles carry no dim another value's dim is tied to (fresh dims)
_SOURCES = (T.ConstantOp, T.SymbolOp, T.ProgramRangeOp, T.YieldOp)


class _Unsupported(Exception):
    """The kernel has something this pass does not rewrite: leave it 3-D."""


def _tile_dims(v: SSAValue) -> list[str]:
    return list(v.type.dims) if isinstance(v.type, TileType) else []


class _Ties:
    """Which (value, dim) pairs must be the same loop dim; a range is the node ("range", value)."""

    def __init__(self):
        self.uf = UnionFind()
        self.values: list[SSAValue] = []

    def add(self, v: SSAValue) -> None:
        if isinstance(v.type, TileType):
            self.values.append(v)
            for i in range(v.type.rank):
                self.uf[(v, i)]  # noqa: B018 - registers the pair

    def tie(self, a, b) -> None:
        self.uf.union(a, b)

    def right_aligned(self, operand: SSAValue, result: SSAValue) -> None:
        """Broadcasting: dims line up from the right."""
        r, o = result.type.rank, operand.type.rank
        for i in range(1, min(r, o) + 1):
            self.tie((operand, o - i), (result, r - i))


def _subscript_axes(op) -> tuple[SSAValue, list[tuple[str | None, object]]]:
    """A load's result (a store's value) and, per dim of it, the subscript entry that makes that dim
    (":", "None", "range" or "gather") and the node it is tied to (None for `:` and `None`). A stored
    value may broadcast: its dims line up with the subscript's from the right."""
    entries: list[tuple[str | None, object]] = []
    indices = iter(op.indices)
    for s in op.spec_list:
        if s in (":", "None"):
            entries.append((s, None))
            continue
        idx = next(indices)
        if isinstance(idx.type, RangeType):
            entries.append(("range", ("range", idx)))
        elif isinstance(idx.type, TileType):  # a gather by a tile of indices: its dims, in order
            entries += [("gather", (idx, i)) for i in range(idx.type.rank)]
    value = op.result if isinstance(op, T.LoadOp) else op.value
    offset = len(entries) - value.type.rank
    return value, [entries[i + offset] if 0 <= i + offset < len(entries) else (None, None)
                   for i in range(value.type.rank)]


def _tie_op(op: Operation, ties: _Ties) -> None:
    for v in op.results:
        ties.add(v)
    for region in op.regions:
        for block in region.blocks:
            for a in block.args:
                ties.add(a)
    if isinstance(op, _ELEMENTWISE):
        for operand in op.operands:
            if isinstance(operand.type, TileType):
                ties.right_aligned(operand, op.results[0])
    elif isinstance(op, T.ExpandOp):
        kept = [i for i, s in enumerate(s.data for s in op.spec.data) if s != "None"]
        for i, out in enumerate(kept):
            ties.tie((op.operand, i), (op.result, out))
    elif isinstance(op, T.ReduceOp):
        d = op.dim.value.data
        out = 0
        for i in range(op.operand.type.rank):
            if i == d:
                out += bool(op.keepdim.value.data)
                continue
            ties.tie((op.operand, i), (op.result, out))
            out += 1
    elif isinstance(op, T.SoftmaxOp):
        ties.right_aligned(op.operand, op.result)
    elif isinstance(op, T.TransposeOp):
        for out, src in enumerate(op.permutation):
            ties.tie((op.operand, src), (op.result, out))
    elif isinstance(op, T.DotOp):
        a, b, r = op.lhs, op.rhs, op.result
        rank = r.type.rank
        ties.tie((a, rank - 2), (r, rank - 2))
        ties.tie((b, rank - 1), (r, rank - 1))
        ties.tie((a, rank - 1), (b, rank - 2))
        if rank == 3:
            ties.tie((a, 0), (r, 0))
            ties.tie((b, 0), (r, 0))
        if op.acc is not None:
            ties.right_aligned(op.acc, r)
    elif isinstance(op, (T.LoadOp, T.StoreOp)):
        value, axes = _subscript_axes(op)
        for i, (_, node) in enumerate(axes):
            if node is not None:
                ties.tie((value, i), node)
    elif isinstance(op, T.ForOp):
        body = op.body.block
        args = list(body.args[1:])  # the first block argument is the loop's range
        yields = body.last_op.operands if isinstance(body.last_op, T.YieldOp) else []
        for group in zip(op.iter_args, args, op.res, yields):
            for v in group[1:]:
                ties.right_aligned(group[0], v)
    elif isinstance(op, T.TileAttrOp):
        if op.attr.data == "index":
            ties.tie((op.result, 0), ("range", op.range))
    elif isinstance(op, _SOURCES) or not any(isinstance(v.type, TileType) and v.type.rank
                                              for v in (*op.operands, *op.results)):
        return
    else:
        raise _Unsupported(op.name)


def _batch_symbol(kernel: T.KernelOp) -> str | None:
    roles = kernel.attributes.get("dot_dims")
    if not isinstance(roles, DictionaryAttr):
        return None
    batch = [k for k, v in roles.data.items() if v.data == "batch"]
    if len(batch) != 1:
        return None
    sym = batch[0]
    facts = [f.data for f in kernel.attributes.get("facts", ArrayAttr([])).data]
    for f in facts:  # a config's block size is a fact: `_BLOCK_SIZE_0 == 4` keeps the batch block
        m = re.fullmatch(rf"\s*{sym}\s*==\s*(\d+)\s*", f)
        if m and m.group(1) != "1":
            return None
    return sym


def _plan(kernel: T.KernelOp, sym: str) -> tuple[list[SSAValue], dict[SSAValue, list[int]]] | None:
    """The batch ranges, and per tile value the dims to drop; None when the kernel must stay as it is."""
    ranges = [op.result for op in kernel.walk() if isinstance(op, T.ProgramRangeOp) and op.result.type.block.data == sym]
    loops = [a for op in kernel.walk() for r in op.regions for b in r.blocks for a in b.args
             if isinstance(a.type, RangeType) and a.type.block.data == sym]
    if len(ranges) != 1 or loops:
        return None
    ties = _Ties()
    try:
        for op in kernel.body.walk():
            if op is not kernel:
                _tie_op(op, ties)
    except _Unsupported:
        return None
    root = ties.uf[("range", ranges[0])]
    for op in kernel.body.walk():  # a reduction over the batch itself is not a per-program one
        if isinstance(op, (T.ReduceOp, T.SoftmaxOp)) and op.operand.type.rank \
                and ties.uf[(op.operand, op.dim.value.data)] == root:
            return None
    drop: dict[SSAValue, list[int]] = {}
    for v in ties.values:
        dims = v.type.dims
        axes = [i for i in range(len(dims)) if ties.uf[(v, i)] == root]
        if any(dims[i] not in (sym, "1") for i in axes) or any(d == sym and i not in axes for i, d in enumerate(dims)):
            return None  # the batch class holds a dim of another size, or a batch dim escapes it
        if axes:
            drop[v] = axes
    if any(_unit_dim_by_property(op, drop) for op in kernel.body.walk()):
        return None
    return ranges, drop


def _unit_dim_by_property(op: Operation, drop: dict[SSAValue, list[int]]) -> bool:
    """A batch-tied unit dim that an op's properties make (a subscript's `None`, a kept reduced dim): dropping
    it would take a rewrite of those properties this pass does not do, so the kernel stays 3-D."""
    if isinstance(op, (T.LoadOp, T.StoreOp)):
        value, axes = _subscript_axes(op)
        return any(axes[a][0] == "None" for a in drop.get(value, []))
    if isinstance(op, T.ReduceOp) and op.keepdim.value.data:
        d = op.dim.value.data
        return d in drop.get(op.result, []) and d not in drop.get(op.operand, [])
    return False


def _renumber(axis: int, dropped: list[int]) -> int:
    return axis - sum(d < axis for d in dropped)


def _rewrite(kernel: T.KernelOp, sym: str, batch: SSAValue, drop: dict[SSAValue, list[int]]) -> None:
    old_range = batch.owner
    new_range = T.ProgramRangeOp(old_range.axis.value.data,
                                 RangeType(batch.type.extent.data, "1", batch.type.begin.data))
    index = T.TileAttrOp(new_range.result, "begin")
    for new in (new_range, index):
        new.location = old_range.location
        kernel.body.block.insert_op_before(new, old_range)
    new_range.result.name_hint = batch.name_hint
    index.result.name_hint = batch.name_hint
    # ops whose properties name dims: renumber them by the dims their operand loses
    for op in list(kernel.body.walk()):
        if isinstance(op, T.ExpandOp) and op.result in drop:
            spec = [s.data for i, s in enumerate(op.spec.data) if i not in drop[op.result]]
            op.properties["spec"] = ArrayAttr([StringAttr(s) for s in spec])
        elif isinstance(op, (T.ReduceOp, T.SoftmaxOp)) and op.operand in drop:
            op.properties["dim"] = IntegerAttr(_renumber(op.dim.value.data, drop[op.operand]), 64)
        elif isinstance(op, T.TransposeOp) and op.operand in drop:
            gone = drop[op.operand]
            perm = [_renumber(p, gone) for p in op.permutation if p not in gone]
            op.properties["perm"] = DenseArrayBase.from_list(i64, perm)
        elif isinstance(op, T.TileAttrOp) and op.range is batch and op.attr.data == "index":
            op.result.replace_all_uses_with(index.result)  # the batch's index vector of one: its begin
        elif isinstance(op, (T.LoadOp, T.StoreOp)):
            indices = list(op.indices)
            if batch in indices:
                at = indices.index(batch)
                op.operands = [index.result if o is batch else o for o in op.operands]
                flags = [IntAttr(0) if i == at else f for i, f in enumerate(op.masked.data)]
                op.properties["masked"] = ArrayAttr(flags)
    for v, axes in drop.items():
        t = v.type
        set_type(v, TileType([d for i, d in enumerate(t.dims) if i not in axes], t.element_type))
    batch.replace_all_uses_with(new_range.result)
    for op in list(kernel.body.walk()):
        if isinstance(op, T.TileAttrOp) and op.attr.data == "index" and not op.result.uses:
            op.detach()
            op.erase()
    old_range.detach()
    old_range.erase()
    _drop_symbol(kernel, sym, batch.type.extent.data)


def _drop_symbol(kernel: T.KernelOp, sym: str, extent: str) -> None:
    """The batch block is no launch choice any more: out of `block_sizes` and `dot_dims`, 1 in the grid;
    `dot_batch` keeps its extent for the launcher's tile choice (how many programs the batch makes)."""
    for key in ("block_sizes", "dot_dims"):
        attr = kernel.attributes[key]
        kernel.attributes[key] = DictionaryAttr({k: v for k, v in attr.data.items() if k != sym})
    grid = [g.data for g in kernel.attributes["grid"].data]
    grid = [extent if g == f"cdiv({extent}, {sym})" else g for g in grid]
    kernel.attributes["grid"] = ArrayAttr([StringAttr(g) for g in grid])
    kernel.attributes["dot_batch"] = StringAttr(extent)
    facts = [f for f in kernel.attributes.get("facts", ArrayAttr([])).data if not re.search(rf"\b{sym}\b", f.data)]
    kernel.attributes["facts"] = ArrayAttr(facts)


@register_pass
@dataclass(frozen=True)
class BatchToGridPass(ModulePass):
    """Give every program one batch of a batched product: its tiles lose the batch dim (2-D tensor-core tiles)."""

    name = "batch-to-grid"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            sym = _batch_symbol(kernel)
            if sym is None or "grid" not in kernel.attributes:
                continue
            planned = _plan(kernel, sym)
            if planned is None:
                continue
            ranges, drop = planned
            _rewrite(kernel, sym, ranges[0], drop)
