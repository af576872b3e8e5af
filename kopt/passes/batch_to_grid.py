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
(value, dim) pairs, from every op's dim map: the `HasDimMap` interface's `dim_ties`, which says how
broadcasting, expands, reductions, transposes, products, loads, stores and loops tie dims). Every
such dim must be B or a unit dim (a `None` the user inserted, as in `tile_m.index[None, :, None]`);
a dim an op cannot map (a reshape), an op whose properties cannot lose the dim (`dims_dropped`), a
reduction along the batch, a batch tiled by a sequential loop, or a config that fixes B to another
value leaves the kernel as it is (the 3-D form still works).

Why a hand-written global walk and not rewrite patterns: which dims go is a property of the whole
kernel (a union-find over every op's ties; networkx's UnionFind holds the classes), and every op's
type changes at once; no op can decide it locally, and xDSL has no rank-reducing rewrite of this kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from networkx.utils import UnionFind
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.interfaces import HasDimMap, Reduces, missing
from kopt.dialects.types import RangeType, TileType
from kopt.ir.util import kernels, set_type
from kopt.passes.registry import register_pass


class _Unsupported(Exception):
    """The kernel has something this pass does not rewrite: leave it 3-D."""


def _values(op: Operation) -> list[SSAValue]:
    """The tile values an op defines: its results and its regions' block arguments."""
    defined = [*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)]
    return [v for v in defined if isinstance(v.type, TileType)]


def _ties(kernel: T.KernelOp) -> tuple[UnionFind, list[SSAValue]]:
    """Which (value, dim) pairs must be the same loop dim; a range's dim is (range, 0)."""
    uf, values = UnionFind(), []
    for op in kernel.body.walk():
        if op is kernel:
            continue
        for v in _values(op):
            values.append(v)
            for i in range(v.type.rank):
                uf[(v, i)]  # noqa: B018 - registers the pair
        if not isinstance(op, HasDimMap):
            if any(isinstance(v.type, TileType) and v.type.rank for v in (*op.operands, *op.results)):
                raise missing(op, HasDimMap, "batch-to-grid")
            continue
        if any(srcs is None for srcs in op.result_dims()):
            raise _Unsupported(op.name)  # a dim it cannot follow
        for a, b in op.dim_ties():
            uf.union(a, b)
    return uf, values


def _batch_symbol(kernel: T.KernelOp) -> str | None:
    roles = kernel.attributes.get("dot_dims")
    if not isinstance(roles, DictionaryAttr):
        return None
    batch = [k for k, v in roles.data.items() if v.data == "batch"]
    if len(batch) != 1:
        return None
    sym = batch[0]
    for fact in kernel.plan.fact_list:  # a config's block size is a fact: `_BLOCK_SIZE_0 == 4` keeps the batch block
        fixed = fact.equates()
        if fixed is not None and fixed[0] == sym and fixed[1] != 1:
            return None
    return sym


def _plan(kernel: T.KernelOp, sym: str) -> tuple[SSAValue, dict[SSAValue, list[int]], dict] | None:
    """The batch range, the dims to drop per tile value, and the new properties per op; None when the
    kernel must stay as it is."""
    ranges = [op.result for op in kernel.walk() if isinstance(op, T.ProgramRangeOp) and op.result.type.block.data == sym]
    loops = [a for op in kernel.walk() for r in op.regions for b in r.blocks for a in b.args
             if isinstance(a.type, RangeType) and a.type.block.data == sym]
    if len(ranges) != 1 or loops:
        return None
    try:
        uf, values = _ties(kernel)
    except _Unsupported:
        return None
    root = uf[(ranges[0], 0)]
    for op in kernel.body.walk():  # a reduction along the batch itself is not a per-program one
        if isinstance(op, Reduces) and any(v.type.rank and uf[(v, d)] == root for v, d in op.reduced_dims()):
            return None
    drop: dict[SSAValue, list[int]] = {}
    for v in values:
        dims = v.type.dims
        axes = [i for i in range(len(dims)) if uf[(v, i)] == root]
        if any(dims[i] not in (sym, "1") for i in axes) or any(d == sym and i not in axes for i, d in enumerate(dims)):
            return None  # the batch class holds a dim of another size, or a batch dim escapes it
        if axes:
            drop[v] = axes
    changes = {}
    for op in kernel.body.walk():
        if isinstance(op, HasDimMap) and op is not kernel:
            props = op.dims_dropped(drop)
            if props is None:
                return None  # a property names a dim that would go (a subscript's `None`, a kept reduced dim)
            if props:
                changes[op] = props
    return ranges[0], drop, changes


def _rewrite(kernel: T.KernelOp, sym: str, batch: SSAValue, drop: dict[SSAValue, list[int]], changes: dict) -> None:
    old_range = batch.owner
    new_range = T.ProgramRangeOp(old_range.axis.value.data,
                                 RangeType(batch.type.extent, "1", batch.type.begin))
    index = T.TileAttrOp(new_range.result, "begin")
    for new in (new_range, index):
        new.location = old_range.location
        kernel.body.block.insert_op_before(new, old_range)
    new_range.result.name_hint = batch.name_hint
    index.result.name_hint = batch.name_hint
    for op, props in changes.items():  # ops whose properties name dims: renumbered by the dims that go
        op.properties.update(props)
    for use in list(batch.uses):
        op = use.operation
        if isinstance(op, T.TileAttrOp) and op.which == "index":
            op.result.replace_all_uses_with(index.result)  # the batch's index vector of one: its begin
        elif isinstance(op, T.ACCESS_OPS):  # the batch subscript takes the scalar: its dim goes
            at = list(op.indices).index(batch)
            op.operands = [index.result if o is batch else o for o in op.operands]
            op.properties["masked"] = ArrayAttr([IntAttr(0) if i == at else f for i, f in enumerate(op.masked.data)])
    for v, axes in drop.items():
        t = v.type
        set_type(v, TileType([d for i, d in enumerate(t.dims) if i not in axes], t.element_type))
    batch.replace_all_uses_with(new_range.result)
    for op in list(kernel.body.walk()):
        if isinstance(op, T.TileAttrOp) and op.which == "index" and not op.result.uses:
            op.detach()
            op.erase()
    old_range.detach()
    old_range.erase()
    _drop_symbol(kernel, sym, batch.type.extent.data)


def _drop_symbol(kernel: T.KernelOp, sym: str, extent: str) -> None:
    """The batch block is no launch choice any more: out of the plan and `dot_dims`, 1 in the grid;
    `dot_batch` keeps its extent for the launcher's tile choice (how many programs the batch makes)."""
    roles = kernel.attributes["dot_dims"]
    kernel.attributes["dot_dims"] = DictionaryAttr({k: v for k, v in roles.data.items() if k != sym})
    plan = kernel.plan
    grid = [extent if sym in g.names else g for g in plan.grid_sizes]
    kernel.plan = plan.with_grid(grid).with_blocks(b for b in plan.blocks if b.name != sym) \
        .with_facts(f for f in plan.fact_list if sym not in f.names)
    kernel.attributes["dot_batch"] = StringAttr(extent)


@register_pass
@dataclass(frozen=True)
class BatchToGridPass(ModulePass):
    """Give every program one batch of a batched product: its tiles lose the batch dim (2-D tensor-core tiles)."""

    name = "batch-to-grid"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            sym = _batch_symbol(kernel)
            if sym is None or not kernel.plan.grid_sizes:
                continue
            planned = _plan(kernel, sym)
            if planned is not None:
                _rewrite(kernel, sym, *planned)
