"""lower-to-tt, the part for Helion-style accesses: tile attributes, tiles of indices, access views.

- `tile.tile_attr`: `tile.index` is the range's `indices_k`; `begin` its first
  index (`offset_k`), `end` = min(begin + block, end of the range),
  `block_size` the block symbol, `id` = (begin - range begin) // block.
- An index operand that is a tile of integers (`weight[ids[tile_b], tile_e]`,
  `x[tile.index + 1]`, or a scalar `x[i, :]`) adds `idx[..broadcast..] * stride`
  to the pointer block, its dims placed where the subscript puts them. Along
  each dim of the index tile, the lanes past the end of the range that dim runs
  along (dim_provenance.py) are masked off: they hold indices nobody asked for,
  which may point outside the tensor.
- `tile.rand`'s `like` operand becomes each lane's global linear index (int64), from the ranges its dims run
  along (dim_provenance.py): Philox then gives the same values whatever the block sizes.
- `tile.masked_view` adds its mask to every access through it;
  `tile.atomic_view` turns a store through it into `tl.atomic_add`.

Used as a mixin of lower_to_tt's `_KernelLowering` (it needs that class's
`indices`, `mask`, `emit` and `sym`).
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import from_short, i1, i32, is_float, promote
from kopt.dialects.shape_rules import broadcast_text
from kopt.dialects.types import RangeType, TileType
from kopt.ir.dim_provenance import EMPTY, index_provenance
from kopt.ir.index_intervals import FLAGS
from kopt.ir.scope import dim_range
from kopt.ir.util import op_error


def device_index_checks(op) -> list[tuple[int, int]]:
    """(index operand, check number) of the accesses bounds-checks marked for KOPT_CHECK_INDICES."""
    marks = op.attributes.get("device_index_checks")
    return [(pair.data[0].data, pair.data[1].data) for pair in marks.data] if marks is not None else []


def resolve_views(tensor: SSAValue) -> tuple[SSAValue, list[SSAValue], str | None]:
    """The kernel tensor behind a chain of views, the extra masks, and the atomic kind (if any)."""
    masks, atomic = [], None
    while isinstance(tensor.owner, (T.MaskedViewOp, T.AtomicViewOp, T.SliceViewOp)):
        view = tensor.owner
        if isinstance(view, T.MaskedViewOp):
            masks.append(view.mask)
        elif isinstance(view, T.AtomicViewOp):
            atomic = view.kind.data.value
        tensor = view.tensor
    return tensor, masks, atomic


def rand_offsets(kernel: T.KernelOp) -> None:
    """Give every `tile.rand` its lanes' global linear indices: sum over dims of index_d * (extents after d)."""
    rands = [op for op in kernel.walk() if isinstance(op, (T.RandOp, T.RandIntOp))]
    if not rands:
        return
    prov = index_provenance(kernel)
    i64 = from_short("i64")
    for op in rands:
        like, rank = op.like, op.like.type.rank
        ranges = [dim_range(like, d, op, prov) for d in range(rank)]
        built: list[Operation] = []
        total = None
        for d, r in enumerate(ranges):
            if like.type.dims[d] == "1":
                continue
            if r is None:
                raise op_error(op, f"random values: cannot tell which loop dim {d} runs along",
                               "shape the random tile by tiles: hl.rand([tile_m, tile_n], seed)")
            index = T.TileAttrOp(r, "index")
            wide = T.CastOp(index.result, TileType(index.result.type.dims, i64))
            spec = ["None"] * rank
            spec[d] = ":"
            placed = T.ExpandOp(wide.result, spec, TileType(["1"] * d + [r.type.block.data] + ["1"] * (rank - d - 1), i64))
            built += [index, wide, placed]
            term = placed.result
            later = [ranges[e].type.extent.data for e in range(d + 1, rank) if like.type.dims[e] != "1"]
            if later:
                stride = T.SymbolOp(" * ".join(f"({x})" for x in later), TileType([], i64))
                term_op = T.MulOp(term, stride.result, term.type)
                built += [stride, term_op]
                term = term_op.result
            if total is not None:
                add = T.AddOp(total, term, TileType(broadcast_text(total.type.dims, term.type.dims), i64))
                built.append(add)
                term = add.result
            total = term
        if total is None:  # a single element
            zero = T.ConstantOp("0", TileType([], i64))
            built.append(zero)
            total = zero.result
        for new in built:
            new.location = op.location
        op.parent_block().insert_ops_before(built, op)
        op.operands = [op.seed, total]


def slice_starts(tensor: SSAValue) -> list[tuple[str, str]]:
    """(begin, stride) of every `tile.slice_view` in a chain of views: what the pointers move by."""
    out = []
    while isinstance(tensor.owner, (T.MaskedViewOp, T.AtomicViewOp, T.SliceViewOp)):
        view = tensor.owner
        if isinstance(view, T.SliceViewOp) and view.begin.data != "0":
            out.append((view.begin.data, view.tensor.type.stride_names[view.dim.data]))
        tensor = view.tensor
    return out


class AccessLowering:
    """Mixin: lowering of tile attributes, index tiles and views (see the module docstring)."""

    indices: dict[SSAValue, SSAValue]
    starts: dict[SSAValue, SSAValue]
    by_block: dict[str, list[SSAValue]]
    index_ranges: dict  # (access op, index operand k) -> the range along each dim of that index tile

    # ------------------------------------------------------------ tile attributes

    def range_start(self, r: SSAValue, at: Operation) -> SSAValue:
        """The first index of the block this program (or iteration) covers."""
        if r in self.starts:
            return self.starts[r]
        begin = r.type.begin.data
        return self.emit(T.ConstantOp("0", TileType([], i32)), at) if begin == "0" else self.sym(begin, at)

    def lower_tile_attr(self, op: T.TileAttrOp) -> None:
        r, attr = op.range, op.which
        if r not in self.indices:
            raise op_error(op, f"`tile.{attr}` of a range that is not lowered here")
        scalar = TileType([], i32)
        t: RangeType = r.type
        if attr == "index":
            value = self.indices[r]
        elif attr == "block_size":
            value = self.sym(t.block.data, op)
        else:
            start = self.range_start(r, op)
            if attr == "begin":
                value = start
            elif attr == "end":
                stop = self.emit(T.AddOp(start, self.sym(t.block.data, op), scalar), op)
                value = self.emit(T.MinimumOp(stop, self.sym(t.end.data, op), scalar), op)
            else:  # id
                rel = start if t.begin.data == "0" else self.emit(T.SubOp(start, self.sym(t.begin.data, op), scalar), op)
                value = self.emit(T.FloorDivOp(rel, self.sym(t.block.data, op), scalar), op)
        op.result.replace_all_uses_with(value)
        op.detach()
        op.erase()

    # ------------------------------------------------------------ tiles of indices

    def place_tile(self, v: SSAValue, pos: int, rank: int, at: Operation) -> SSAValue:
        """A rank-k tile as dims pos..pos+k-1 of a rank-`rank` block."""
        k = v.type.rank
        if k in (0, rank):
            return v
        spec = ["None"] * pos + [":"] * k + ["None"] * (rank - pos - k)
        dims = ["1"] * pos + list(v.type.dims) + ["1"] * (rank - pos - k)
        return self.emit(T.ExpandOp(v, spec, TileType(dims, v.type.element_type)), at)

    def index_tile_term(self, op, idx: SSAValue, stride: str, pos: int, rank: int):
        """(offset term, mask or None) for a tile-of-indices operand at subscript position `pos`."""
        if is_float(idx.type.element_type) or idx.type.element_type == i1:
            raise op_error(op, "a tensor index must be a tile of integers (convert with .to(torch.int64))")
        placed = self.place_tile(idx, pos, rank, op)
        elem = promote(placed.type.element_type, i32)
        term = self.emit(T.MulOp(placed, self.sym(stride, op), TileType(placed.type.dims, elem)), op)
        mask = None
        k = list(op.indices).index(idx)
        along = self.index_ranges.get((op, k)) or [None] * idx.type.rank
        for j, d in enumerate(idx.type.dims):
            r = along[j] if j < len(along) else None
            if r == EMPTY or d == "1":
                continue
            if r is None:  # provenance unknown: the block size names the range, if only one range has it
                candidates = self.by_block.get(d, [])
                if len(candidates) > 1 and len({c.type.extent.data for c in candidates}) > 1:
                    raise op_error(op, f"cannot tell which loop's bounds guard dim {j} of this tensor index "
                                       f"(several loops have block size {d})",
                                   "give those loops different block sizes, or build the index without a reshape")
                r = candidates[0] if candidates else None
            if r is None or r.type.extent.data == r.type.block.data or r not in self.indices:
                continue
            m = self.place_tile(self.mask(r, op), pos + j, rank, op)
            mask = m if mask is None else self.emit(T.AndOp(mask, m, TileType(broadcast_text(mask.type.dims, m.type.dims), i1)), op)
        return term, mask

    # ------------------------------------------------------------ KOPT_CHECK_INDICES (bounds-checks' device checks)

    def out_of_range(self, idx: SSAValue, dim: str, pos: int, rank: int, at: Operation) -> SSAValue:
        """`idx < 0 | idx >= dim`, placed as the subscript puts the index."""
        placed = self.place_tile(idx, pos, rank, at)
        cond = TileType(placed.type.dims, i1)
        zero = self.emit(T.ConstantOp("0", TileType([], i32)), at)
        below = self.emit(T.LtOp(placed, zero, cond), at)
        above = self.emit(T.GeOp(placed, self.sym(dim, at), cond), at)
        return self.emit(T.OrOp(below, above, cond), at, "out_of_range")

    def flag_indices(self, flagged: list[tuple[SSAValue, int]], mask: SSAValue | None, at: Operation):
        """Record each out-of-range lane the access would use in the flag buffer, and mask those lanes off."""
        if not flagged:
            return mask
        flags = self.kernel.body.block.args[self.kernel.arg_names.index(FLAGS)]
        for bad, check in flagged:
            used = bad if mask is None else self.emit(
                T.AndOp(bad, mask, TileType(broadcast_text(bad.type.dims, mask.type.dims), i1)), at)
            self.emit(tt.IndexFlagOp(flags, used, check), at)
            ok = self.emit(T.NotOp(bad, bad.type), at, "in_range")
            mask = self.and_masks(mask, [ok], at)
        return mask

    # ------------------------------------------------------------ views

    def and_masks(self, mask: SSAValue | None, extra: list[SSAValue], at: Operation) -> SSAValue | None:
        for m in extra:
            mask = m if mask is None else self.emit(T.AndOp(mask, m, TileType(broadcast_text(mask.type.dims, m.type.dims), i1)), at)
        return mask

    def erase_views(self) -> None:
        views = [op for op in self.kernel.walk() if isinstance(op, (T.MaskedViewOp, T.AtomicViewOp, T.SliceViewOp))]
        for op in reversed(views):
            if not any(True for _ in op.result.uses):
                op.detach()
                op.erase()
