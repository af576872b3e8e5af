"""masking: guard every access and reduction that a range's last block may overhang.

Two patterns, one per interface:
- an access (`tile.load` / `tile.store`) gets one `masked` flag per range it is indexed by
  (lanes past the extent are not touched);
- an op that folds dims away (`Reduces`: a reduction, a product) needs the lanes past the end of
  the range along each folded dim to hold its neutral element (-inf for max, +inf for min, 0 for
  sum and for a product's K, 1 for prod). A load that reads those lanes already gives them, when
  its `other` is that element or can be made so (it has no other user); transposes and casts
  keep it (`MovesLanes`). Otherwise a `tile.mask_fill` sets them first.

A third pattern is for the one op whose meaning depends on where padding lanes sit, `tile.flip`: a
partial last block holds `[x0..x4, pad, pad, pad]`, whose `tl.flip` is `[pad, pad, pad, x4..x0]`, where
torch flips the five elements. A flip of a load along such a range becomes a load that reads the range
backwards within its valid part (a gather at `begin + end - 1 - index`, masked as gathers are); a flip
of a computed tile there is a located error.

A fourth is for a reverse scan with the user's combine function (`tile.scan_fn ... reverse`, from
`hl.associative_scan(..., reverse=True)`): it meets a partial block's padding lanes first, and a combine
function has no neutral element to fill them with; so the scan carries a flag per lane (1 where valid) and
keeps the other side where a side is padding (`ScanFnOp.with_valid_flags`). A forward scan meets the padding
after every valid lane and needs nothing.

Whether a mask is really needed is `mask-elision`'s question; this pass only skips ranges whose
block is literally their extent.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from kopt.dialects import tile as T
from kopt.dialects.interfaces import MovesLanes, Reduces
from kopt.dialects.dtypes import i1, i32
from kopt.dialects.types import RangeType, TileType
from kopt.ir.dim_provenance import LazyProvenance
from kopt.ir.padding import PaddingAnalysis, choose_load_padding, range_operand_at, reduced_operands
from kopt.ir.scope import dim_range
from kopt.ir.util import apply_patterns, kernels, op_error, replace_keeping_names
from kopt.passes.registry import register_pass


class MaskAccesses(RewritePattern):
    """A load or store masks each range index whose last block may overhang its extent."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.LoadOp | T.StoreOp, rewriter: PatternRewriter) -> None:
        flags = [int(isinstance(i.type, RangeType) and i.type.may_overhang) for i in op.indices]
        if flags != [int(m) for m in op.masked_flags]:
            op.properties["masked"] = ArrayAttr(IntAttr(f) for f in flags)
            rewriter.notify_op_modified(op)


def _single_use(v: SSAValue) -> bool:
    return sum(1 for _ in v.uses) == 1


def _reading_load(operand: SSAValue, r: SSAValue, fill: str) -> tuple[T.LoadOp | None, bool]:
    """The load whose lanes (along range r) reach `operand` unchanged, through transposes and casts that
    keep `fill`, and whether every value on the way has no other user."""
    value, alone = operand, _single_use(operand)
    while isinstance(value.owner, MovesLanes) and value.owner.keeps(fill):
        value = value.owner.operands[0]
        alone = alone and _single_use(value)
    load = value.owner
    return (load, alone) if isinstance(load, T.LoadOp) and r in load.indices else (None, False)


@dataclass
class MaskFoldedLanes(RewritePattern):
    """Lanes past a range's end, along a dim an op folds away, hold the op's neutral element."""

    provenance: dict
    padding: PaddingAnalysis

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, Reduces):
            return
        for value, dim, at in reduced_operands(op):
            r = dim_range(value, dim, op, self.provenance)
            if r is None or not r.type.may_overhang:
                continue
            fill = op.neutral_of_operand(at)
            if self.padding.gives_neutral(op, value, dim, r, fill):
                continue  # (exp(x - max(x)) of an x read as -inf there)
            load, alone = _reading_load(value, r, fill)
            if load is not None and load.other.data == fill:
                continue
            if load is not None and alone:
                load.properties["other"] = StringAttr(fill)
                rewriter.notify_op_modified(load)
                continue
            mf = T.MaskFillOp(value, r, dim, fill)
            mf.location = op.location
            rewriter.insert(mf)  # before the matched op
            op.operands = [mf.result if i == at else o for i, o in enumerate(op.operands)]
            rewriter.notify_op_modified(op)


@dataclass
class FlipPartialBlock(RewritePattern):
    """`tile.flip` of a load along a range that may overhang -> the load, read backwards within the valid lanes."""

    provenance: dict

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.FlipOp, rewriter: PatternRewriter) -> None:
        d = op.dim.value.data
        r = dim_range(op.operand, d, op, self.provenance)
        if r is None or not r.type.may_overhang:
            return  # whole blocks: tl.flip is torch's flip
        load = op.operand.owner
        k = range_operand_at(load, d) if isinstance(load, T.LoadOp) else None
        if k is None or load.indices[k] is not r:
            raise op_error(op, f"torch.flip along dim {d} of a computed tile whose last block may be partial "
                               f"(the range over {r.type.extent.data} by {r.type.block.data}): kopt flips loaded tiles there",
                           "flip the tile as you load it (`x[tile].flip(0)`), then compute; or use a block size "
                           "that covers the extent")
        scalar, lanes = TileType([], i32), TileType([r.type.block], i32)
        index, begin, end = T.TileAttrOp(r, "index"), T.TileAttrOp(r, "begin"), T.TileAttrOp(r, "end")
        one = T.ConstantOp("1", scalar)
        past = T.AddOp(begin.result, end.result, scalar)
        last = T.SubOp(past.result, one.result, scalar)
        backwards = T.SubOp(last.result, index.result, lanes)
        indices = [backwards.result if i == k else v for i, v in enumerate(load.indices)]
        masked = [0 if i == k else int(m) for i, m in enumerate(load.masked_flags)]
        new = T.LoadOp.build_load(load.tensor, load.spec_list, indices, op.result.type, masked, load.other.data)
        new.result.name_hint = op.result.name_hint or "flipped"
        self.provenance[new.result] = self.provenance.get(op.result)
        replace_keeping_names(rewriter, op, [index, begin, end, one, past, last, backwards, new], new.result)
        if not load.result.uses:
            rewriter.erase(load)


@dataclass
class ReverseScanPartialBlock(RewritePattern):
    """`tile.scan_fn ... reverse` along a range that may overhang -> the scan with a valid-lane flag per lane."""

    provenance: dict

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.ScanFnOp, rewriter: PatternRewriter) -> None:
        if not op.is_reverse or op.is_flagged:
            return
        like = op.inputs[0]
        r = dim_range(like, op.axis, op, self.provenance)
        if r is None or not r.type.may_overhang:
            return  # whole blocks: no padding lane
        ones = T.FullLikeOp(like, "1", like.type.with_element(i1))
        valid = T.MaskFillOp(ones.result, r, op.axis, "0")
        valid.result.name_hint = "valid"
        new = op.with_valid_flags(valid.result)
        for old, result in zip(op.res, new.res):
            result.name_hint = old.name_hint
        for o in (ones, valid, new):
            o.location = op.location
        rewriter.replace(op, [ones, valid, new], list(new.res)[:-1])


@register_pass
@dataclass(frozen=True)
class MaskingPass(ModulePass):
    """Mask accesses past the end of each range; fill folded lanes with the neutral element."""

    name = "masking"
    choose_padding: bool = True  # pick loads' `other` (kopt/ir/padding.py); false: as the frontend set it

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            provenance = LazyProvenance(kernel)
            apply_patterns(kernel, MaskAccesses())
            padding = PaddingAnalysis(kernel, provenance)
            if self.choose_padding:
                choose_load_padding(kernel, padding)
            apply_patterns(kernel, FlipPartialBlock(provenance), MaskFoldedLanes(provenance, padding),
                           ReverseScanPartialBlock(provenance))
