"""lower-to-tt: tile-level ranges, loads and stores -> Triton-level program ids, aranges,
pointer blocks and masked loads/stores.

A range becomes `indices_k = offset_k + tl.arange(0, BLOCK)` (the suffix k is
the block symbol's number, as in `_BLOCK_SIZE_k`), its mask `indices_k < extent`.
A subscript becomes `tensor + sum(indices_j[...broadcast...] * stride_j)`.
Elementwise ops, reductions, `where` and `expand` are shared with the tile
level and stay as they are.

Each op kind is lowered by a rewrite pattern (`LowerRange`, `LowerLoop`, `LowerLoad`, `LowerStore`,
`LowerMaskFill`, `LowerTileAttr`), run in program order by xDSL's walker; they share one
`_KernelLowering` (the indices, masks and program indices already built for the kernel), since a
load needs the indices its ranges were lowered to.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import i1, i32, i64
from kopt.dialects.plan import read_block_name
from kopt.dialects.shape_rules import broadcast_text
from kopt.dialects.types import DescriptorType, PointerType, RangeType, TileType
from kopt.ir.dim_provenance import access_index_ranges
from kopt.ir.util import apply_patterns, kernels, op_error
from kopt.passes.lower_to_tt_access import (AccessLowering, device_index_checks, rand_offsets, resolve_views,
                                            slice_starts)
from kopt.passes.lower_to_tt_grid import GridLowering
from kopt.passes.registry import register_pass


def _suffix(block: str) -> str:
    """The k of `indices_k`: the block symbol's number, or a literal block's value."""
    found = read_block_name(block)
    return str(found[1]) if found is not None else block


class _KernelLowering(AccessLowering, GridLowering):
    def __init__(self, kernel: T.KernelOp):
        self.kernel = kernel
        self.indices: dict[SSAValue, SSAValue] = {}
        self.starts: dict[SSAValue, SSAValue] = {}  # range -> its block's first index (scalar)
        self.by_block: dict[str, list[SSAValue]] = {}  # block symbol -> the ranges with that block
        self.index_ranges = access_index_ranges(kernel)  # before lowering: which range each index dim runs along
        self.masks: dict[SSAValue, SSAValue] = {}
        self.pid: SSAValue | None = None
        self.old_loops: list[T.ForOp] = []
        self.grid = [g.data for g in kernel.plan.grid_sizes]
        grouping = kernel.attributes.get("l2_grouping")
        self.grouping = grouping.value.data if grouping is not None else 1  # pid order (lower_to_tt_grid.py)
        self.pid_axes: list[SSAValue] | None = None
        self.unit_indices: list[SSAValue] = []  # indices of block-1 (hl.grid) ranges, dropped if unused
        self.descriptors: dict[tuple, SSAValue] = {}  # (tensor, block, ends) -> its tt.make_descriptor, at the start

    def emit(self, op: Operation, before: Operation, hint: str | None = None) -> SSAValue | None:
        op.location = before.location
        before.parent_block().insert_op_before(op, before)
        if hint and op.results:
            op.results[0].name_hint = hint
        return op.results[0] if op.results else None

    def sym(self, text: str, at: Operation) -> SSAValue:
        return self.emit(T.SymbolOp(text, TileType([], i32)), at)

    # ------------------------------------------------------------ ranges

    def program_index(self, axis: int, at: Operation) -> SSAValue:
        if self.pid is None:
            self.pid = self.emit(tt.ProgramIdOp(0, TileType([], i32)), at, "pid")
        if len(self.grid) == 1:
            return self.pid
        if self.grouping > 1:
            if self.pid_axes is None:
                self.pid_axes = self.grouped_program_indices(self.grouping, at)
            return self.pid_axes[axis]
        # a flat launch axis split into grid dims, first dim fastest
        stride = " * ".join(f"({g})" for g in self.grid[:axis]) or "1"
        v = self.pid
        if axis > 0:
            v = self.emit(T.FloorDivOp(v, self.sym(stride, at), TileType([], i32)), at)
        if axis < len(self.grid) - 1:
            v = self.emit(T.RemOp(v, self.sym(self.grid[axis], at), TileType([], i32)), at)
        v.name_hint = f"pid.{axis}"
        return v

    def lower_range(self, op: T.ProgramRangeOp | T.WholeRangeOp) -> None:
        t: RangeType = op.result.type
        k = _suffix(t.block.data)
        arange = self.emit(tt.ArangeOp(TileType([t.block.data], i32)), op)
        start = None
        if isinstance(op, T.ProgramRangeOp):
            # int64 from here on: the row offsets of a tensor of 2^31 elements or more overflow int32
            # (`indices_0[:, None] * x_stride_0`); one cast per program, 64-bit adds per element
            pid = self.emit(T.CastOp(self.program_index(op.axis.value.data, op), TileType([], i64)), op)
            start = pid if t.block.data == "1" else \
                self.emit(T.MulOp(pid, self.sym(t.block.data, op), TileType([], i64)), op, f"offset.{k}")
        if t.begin.data != "0":
            begin = self.sym(t.begin.data, op)
            start = begin if start is None else self.emit(T.AddOp(start, begin, start.type), op)
        idx = arange if start is None else self.emit(
            T.AddOp(start, arange, arange.type.with_element(start.type.element_type)), op)
        idx.name_hint = f"indices.{k}"
        self.indices[op.result] = idx
        if t.block.data == "1":
            self.unit_indices.append(idx)
        self.by_block.setdefault(t.block.data, []).append(op.result)
        if start is not None:
            self.starts[op.result] = start

    def lower_loop(self, op: T.ForOp) -> None:
        """A sequential tile loop -> `tt.for` over offsets; its range's indices start the body."""
        if op.kind_name != "sequential" or len(op.ranges) != 1:
            raise op_error(op, "only sequential loops over one range are lowered to Triton "
                               "(nest `for` loops for several dims)")
        r = op.ranges[0]
        t: RangeType = r.type
        loop = tt.ForOp(t.begin, t.end, t.block, list(op.iter_args))
        loop.location = op.location
        loop.attributes.update(op.attributes)  # e.g. a reduction phase number
        op.parent_block().insert_op_before(loop, op)
        k = _suffix(t.block.data)
        loop.offset.name_hint = f"offset.{k}" if t.block.data != "1" else (r.name_hint or "index")
        body = loop.body.block
        for old, new in zip(op.carried, loop.carried):
            new.name_hint = old.name_hint
            old.replace_all_uses_with(new)
        for inner in list(op.body.block.ops):
            inner.detach()
            body.add_op(inner)
        first = body.first_op
        arange = tt.ArangeOp(TileType([t.block.data], i32))
        idx = T.AddOp(loop.offset, arange.result, arange.result.type)
        idx.result.name_hint = f"indices.{k}"
        for o in (arange, idx):
            o.location = op.location
            body.insert_op_before(o, first)
        self.indices[r] = idx.result
        if t.block.data == "1":
            self.unit_indices.append(idx.result)
        self.by_block.setdefault(t.block.data, []).append(r)
        self.starts[r] = loop.offset
        for old, new in zip(op.results, loop.results):
            new.name_hint = old.name_hint
            old.replace_all_uses_with(new)
        self.old_loops.append(op)

    def mask(self, r: SSAValue, at: Operation) -> SSAValue:
        if r not in self.masks:
            t: RangeType = r.type
            idx = self.indices[r]
            defining = idx.owner
            after = defining.next_op
            bound = T.SymbolOp(t.end, TileType([], i32))
            lt = T.LtOp(idx, bound.result, TileType(idx.type.dims, i1))
            lt.result.name_hint = f"mask.{_suffix(t.block.data)}"
            for o in (bound, lt):
                o.location = defining.location
                defining.parent_block().insert_op_before(o, after)
            self.masks[r] = lt.result
        return self.masks[r]

    # ------------------------------------------------------------ accesses

    def place(self, v: SSAValue, pos: int, rank: int, at: Operation) -> SSAValue:
        """A 1-D value as dim `pos` of a rank-`rank` block (`v[:, None]`-style)."""
        if rank == 1:
            return v
        spec = ["None"] * rank
        spec[pos] = ":"
        dims = ["1"] * rank
        dims[pos] = v.type.dims[0]
        return self.emit(T.ExpandOp(v, spec, TileType(dims, v.type.element_type)), at)

    def pointers_and_mask(self, op: T.LoadOp | T.StoreOp, shape: list[str]):
        rank = len(shape)
        strides = iter(zip(op.tensor.type.stride_names, op.tensor.type.dims))
        indices = iter(enumerate(zip(op.indices, op.masked_flags)))
        device_checks = dict(device_index_checks(op))
        offset, mask, pos, flagged = None, None, 0, []
        for s in op.spec_list:
            if s == "None":
                pos += 1
                continue
            stride, dim = next(strides)
            k, (r, masked) = next(indices)
            if not isinstance(r.type, RangeType):  # a tile of indices, or a scalar index
                if k in device_checks:
                    flagged.append((self.out_of_range(r, dim, pos, rank, op), device_checks[k]))
                term, m = self.index_tile_term(op, r, stride, pos, rank)
                offset = term if offset is None else self.emit(
                    T.AddOp(offset, term, TileType(broadcast_text(offset.type.dims, term.type.dims), i32)), op)
                mask = self.and_masks(mask, [m] if m is not None else [], op)
                pos += r.type.rank
                continue
            term_idx = self.place(self.indices[r], pos, rank, op)
            term = self.emit(T.MulOp(term_idx, self.sym(stride, op), term_idx.type), op)
            offset = term if offset is None else self.emit(
                T.AddOp(offset, term, TileType(broadcast_text(offset.type.dims, term.type.dims), i32)), op)
            if masked:
                m = self.place(self.mask(r, op), pos, rank, op)
                mask = m if mask is None else self.emit(
                    T.AndOp(mask, m, TileType(broadcast_text(mask.type.dims, m.type.dims), i1)), op)
            pos += 1
        for begin, stride in slice_starts(op.tensor):  # `x[:, n1:]`: the view starts n1 columns in
            term = self.emit(T.MulOp(self.sym(begin, op), self.sym(stride, op), TileType([], i32)), op)
            offset = term if offset is None else self.emit(T.AddOp(offset, term, offset.type), op)
        if offset is None:
            offset = self.emit(T.ConstantOp("0", TileType([], i32)), op)
        tensor, extra_masks, _ = resolve_views(op.tensor)  # hl.load/hl.store(extra_mask=...), hl.atomic_add
        mask = self.and_masks(mask, extra_masks, op)
        mask = self.flag_indices(flagged, mask, op)
        ptr_t = TileType(offset.type.dims, PointerType(tensor.type.element_type))
        ptrs = self.emit(tt.AddPtrOp(tensor, offset, ptr_t), op)
        return ptrs, mask

    def descriptor(self, op: T.LoadOp | T.StoreOp) -> SSAValue:
        """The tensor descriptor of `op`'s tensor for `op`'s block (tensor-descriptors marked it), made once at the
        kernel's start: bounded by the ends of the ranges that subscript it, as the masks were."""
        tensor = op.tensor
        blocks = [i.type.block.data if isinstance(i.type, RangeType) else "1" for i in op.indices]
        # a range's end bounds its dim (as its mask did); a scalar index's dim is bounded by the tensor's size
        ends = [i.type.end.data if isinstance(i.type, RangeType) else d for i, d in zip(op.indices, tensor.type.dims)]
        key = (tensor, tuple(blocks), tuple(ends))  # a peeled loop's whole blocks and its rest end apart
        if key not in self.descriptors:
            first = self.kernel.body.block.first_op
            sizes = [self.sym(end, first) for end in ends]
            strides = [self.sym(s, first) for s in tensor.type.stride_names[:-1]]
            made = tt.MakeDescriptorOp(tensor, sizes, strides, DescriptorType(blocks, tensor.type.element_type))
            self.descriptors[key] = self.emit(made, first, f"{self.kernel.arg_names[tensor.index]}_desc")
        return self.descriptors[key]

    def as_i32(self, v: SSAValue, at: Operation) -> SSAValue:
        return v if v.type.element_type == i32 else self.emit(T.CastOp(v, TileType([], i32)), at)

    def lower_descriptor_access(self, op: T.LoadOp | T.StoreOp) -> None:
        desc = self.descriptor(op)
        # TMA coordinates are int32 (a dim of 2^31 elements or more has no descriptor either)
        offsets = [self.as_i32(self.range_start(i, op) if isinstance(i.type, RangeType) else i, op) for i in op.indices]
        block = TileType(desc.type.dims, op.tensor.type.element_type)  # a scalar index's dim is a block of 1 there
        if isinstance(op, T.LoadOp):
            value = self.emit(tt.DescriptorLoadOp(desc, offsets, block), op, op.result.name_hint or "load")
            if block != op.result.type:
                value = self.emit(T.ReshapeOp(value, list(op.result.type.dims), op.result.type), op)
            op.result.replace_all_uses_with(value)
        else:
            value = op.value
            if value.type.element_type != block.element_type:  # a pointer store converts implicitly, TMA does not
                value = self.emit(T.CastOp(value, value.type.with_element(block.element_type)), op)
            if value.type != block:
                value = self.emit(T.ReshapeOp(value, list(block.dims), block), op)
            self.emit(tt.DescriptorStoreOp(desc, offsets, value), op)
        op.detach()
        op.erase()

    def lower_load(self, op: T.LoadOp) -> None:
        if tt.by_descriptor(op):
            return self.lower_descriptor_access(op)
        ptrs, mask = self.pointers_and_mask(op, list(op.result.type.dims))
        new = tt.LoadOp(ptrs, mask, op.other.data if mask is not None else "0", op.result.type)
        self.emit(new, op, op.result.name_hint or "load")
        op.result.replace_all_uses_with(new.result)
        op.detach()
        op.erase()

    def lower_store(self, op: T.StoreOp) -> None:
        if tt.by_descriptor(op):
            return self.lower_descriptor_access(op)
        shape = [d for d in op.value.type.dims]
        ptrs, mask = self.pointers_and_mask(op, shape if len(shape) == _rank(op) else ["?"] * _rank(op))
        atomic = resolve_views(op.tensor)[2]
        self.emit(tt.AtomicRMWOp(atomic, ptrs, op.value, mask) if atomic else tt.StoreOp(ptrs, op.value, mask), op)
        op.detach()
        op.erase()

    def lower_mask_fill(self, op: T.MaskFillOp) -> None:
        rank = op.operand.type.rank
        m = self.place(self.mask(op.range, op), op.dim.value.data, rank, op)
        fill = self.emit(T.ConstantOp(op.fill.data, TileType([], op.operand.type.element_type)), op)
        where = self.emit(T.WhereOp(m, op.operand, fill, op.result.type), op)
        where.name_hint = "masked"
        op.result.replace_all_uses_with(where)
        op.detach()
        op.erase()

    def run(self) -> None:
        self.ranges: list[Operation] = []
        rand_offsets(self.kernel)  # before the ranges lower: it reads which range each dim runs along
        apply_patterns(self.kernel, LowerRange(self), LowerLoop(self), LowerLoad(self), LowerStore(self),
                       LowerMaskFill(self), LowerTileAttr(self))
        self.erase_views()
        self.drop_unused(self.unit_indices)
        for op in self.ranges:  # their indices replaced every use
            op.detach()
            op.erase()
        for loop in self.old_loops:
            loop.detach()
            loop.erase(safe_erase=False)
        pid_type = self.kernel.attributes.get("pid_type")
        if isinstance(pid_type, StringAttr):
            self.loop_over_tiles(pid_type.data)
        self.kernel.attributes["level"] = StringAttr("tt")


def _rank(op: T.StoreOp) -> int:
    """Rank of the block a subscript addresses (a tile of indices adds its own rank)."""
    tiles = sum(i.type.rank - 1 for i in op.indices if isinstance(i.type, TileType))
    return len(op.spec_list) + tiles


@dataclass
class _Lowers(RewritePattern):
    """A pattern of lower-to-tt: one op kind, lowered with the kernel's shared lowering state."""

    lowering: _KernelLowering


class LowerRange(_Lowers):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.ProgramRangeOp | T.WholeRangeOp, rewriter: PatternRewriter) -> None:
        self.lowering.lower_range(op)
        self.lowering.ranges.append(op)


class LowerLoop(_Lowers):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.ForOp, rewriter: PatternRewriter) -> None:
        self.lowering.lower_loop(op)


class LowerLoad(_Lowers):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.LoadOp, rewriter: PatternRewriter) -> None:
        self.lowering.lower_load(op)


class LowerStore(_Lowers):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.StoreOp, rewriter: PatternRewriter) -> None:
        self.lowering.lower_store(op)


class LowerMaskFill(_Lowers):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.MaskFillOp, rewriter: PatternRewriter) -> None:
        self.lowering.lower_mask_fill(op)


class LowerTileAttr(_Lowers):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.TileAttrOp, rewriter: PatternRewriter) -> None:
        self.lowering.lower_tile_attr(op)


@register_pass
@dataclass(frozen=True)
class LowerToTTPass(ModulePass):
    """Lower ranges, loads, stores and mask fills to Triton-level ops (tt dialect)."""

    name = "lower-to-tt"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            _KernelLowering(kernel).run()
