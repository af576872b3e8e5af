"""mask-elision: drop each mask the kernel's shape facts prove redundant, and say why.

Facts come from the kernel's plan (kopt/ir/facts.py): block sizes are powers of two,
`_RDIM_SIZE_k = next_power_of_2(extent)`, plus the plan's `facts` (host asserts, static sizes, config block sizes, user
assumptions). A grid or loop range needs no mask when its block divides its
extent; a whole-dim range when its block equals its extent. Only a proof
(TRUE) elides: UNKNOWN and FALSE keep the mask.

Every decision is recorded as `mask_notes` (one line per index of a load or
store, in index order: `kept: ...`, `elided: ...`, or `unmasked: ...` for an
index that `masking` left alone; on a kept `tile.mask_fill`; and, for an
elided `tile.mask_fill`, on the op that consumed it), so that `--emit=shapes`
can print them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from kopt.analysis import FactBase
from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType
from kopt.ir.coverage import covered
from kopt.ir.dim_provenance import access_index_ranges
from kopt.ir.facts import kernel_facts
from kopt.ir.util import apply_patterns, kernels
from kopt.passes.registry import register_pass

__all__ = ["MaskElisionPass", "covered", "kernel_facts"]  # covered, kernel_facts: re-exported for older imports


def _notes(texts) -> ArrayAttr:
    return ArrayAttr(StringAttr(t) for t in texts)


def _add_notes(op: Operation, texts: list[str]) -> None:
    old = [n.data for n in op.attributes.get("mask_notes", ArrayAttr([])).data]
    op.attributes["mask_notes"] = _notes(old + texts)


def _unmasked_note(idx: SSAValue, along: list) -> str:
    t = idx.type
    if isinstance(t, TileType) and t.rank > 0:
        ranges = [r for r in along if isinstance(r, SSAValue) and r.type.block.data != r.type.extent.data]
        if ranges:  # lower-to-tt masks each dim of a gather past the end of the range it runs along
            return "kept: a gather, masked past the end of " + ", ".join(
                f"the range over {r.type.extent.data} by {r.type.block.data}" for r in ranges)
        return "unmasked: a gather along whole blocks"
    if not isinstance(t, RangeType):
        return "unmasked: not a range (a scalar)"
    if t.block.data == t.extent.data:
        return f"unmasked: the block {t.block.data} is the whole extent"
    return "unmasked: masking left it unmasked"


@dataclass
class _Decisions:
    """Whether each range is covered, asked once per range of a kernel."""

    facts: FactBase
    defs: dict[str, str]
    cache: dict = field(default_factory=dict)

    def __call__(self, r: SSAValue) -> tuple[bool, str]:
        if r not in self.cache:
            self.cache[r] = covered(self.facts, r, self.defs)
        return self.cache[r]


@dataclass
class ElideAccessMasks(RewritePattern):
    """A load's or store's mask flag goes where the range is proven covered; every index gets a note."""

    decide: _Decisions
    kernel: T.KernelOp
    _along: dict | None = None  # (access, index operand k) -> the range along each dim of a tile of indices

    def along(self, op, k: int) -> list:
        if self._along is None:  # only kernels that gather pay for the provenance walk
            self._along = access_index_ranges(self.kernel)
        return self._along.get((op, k), [])

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.LoadOp | T.StoreOp, rewriter: PatternRewriter) -> None:
        if not op.indices:
            return
        flags, notes = [], []
        for k, (idx, m) in enumerate(zip(op.indices, op.masked_flags)):
            if not m:
                flags.append(0)
                notes.append(_unmasked_note(idx, self.along(op, k) if isinstance(idx.type, TileType) else []))
                continue
            ok, why = self.decide(idx)
            flags.append(0 if ok else 1)
            notes.append(("elided: " if ok else "kept: ") + why)
        op.properties["masked"] = ArrayAttr(IntAttr(f) for f in flags)
        op.attributes["mask_notes"] = _notes(notes)
        rewriter.notify_op_modified(op)


@dataclass
class ElideMaskFill(RewritePattern):
    """A `tile.mask_fill` over a covered range goes (its consumer keeps the note); a kept one gets a note."""

    decide: _Decisions

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.MaskFillOp, rewriter: PatternRewriter) -> None:
        ok, why = self.decide(op.range)
        if not ok:
            op.attributes["mask_notes"] = _notes(["kept: " + why])
            return
        for use in list(op.result.uses):
            _add_notes(use.operation, ["elided: " + why])
        rewriter.replace_all_uses_with(op.result, op.operand)
        rewriter.erase(op)


@register_pass
@dataclass(frozen=True)
class MaskElisionPass(ModulePass):
    """Remove masks that the shape facts prove redundant; record each decision and its reason."""

    name = "mask-elision"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            defs = {b.name: b.size.data for b in kernel.plan.blocks if not b.chosen_at_launch}
            decide = _Decisions(kernel_facts(kernel), defs)
            apply_patterns(kernel, ElideAccessMasks(decide, kernel), ElideMaskFill(decide))
