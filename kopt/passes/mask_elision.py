"""mask-elision: drop each mask the kernel's shape facts prove redundant, and say why.

Facts come from the IR (shape_facts.py): block sizes are powers of two
(`block_sizes`), `_RDIM_SIZE_k = next_power_of_2(extent)` (`constexprs`), plus
the kernel's `facts` (host asserts, static sizes, config block sizes, user
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

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from kopt.analysis import FactBase, parse_expr
from kopt.dialects import tile as T
from kopt.dialects.types import RangeType
from kopt.passes.registry import register_pass
from kopt.passes.shape_facts import kernel_facts
from kopt.passes.util import kernels

__all__ = ["MaskElisionPass", "covered", "kernel_facts"]  # kernel_facts: re-exported for older imports


def covered(facts: FactBase, r: SSAValue, defs: dict[str, str] | None = None) -> tuple[bool, str]:
    """Is every lane of every block of this range inside the extent? (True only when proven)
    `defs` maps launch-time symbols to their definition (`constexprs`), for the reason text."""
    t: RangeType = r.type
    block, extent = parse_expr(t.block.data), parse_expr(t.extent.data)
    if isinstance(r.owner, T.WholeRangeOp):
        return _whole_dim(facts, t.block.data, t.extent.data, block, extent, (defs or {}).get(t.block.data))
    ans = facts.divides(block, extent)
    return ans.is_true, ans.reason


def _whole_dim(facts: FactBase, b: str, e: str, block, extent, definition: str | None) -> tuple[bool, str]:
    ans = facts.eq(block, extent)
    named = f"{b} = {definition}" if definition else b
    if ans.is_true:
        v = facts.try_const(extent)
        return True, (f"{e} = {v} and {named} = {v}" if v is not None else f"{b} = {e}: {ans.reason}")
    if ans.is_false:
        ev, bv = facts.try_const(extent), facts.try_const(block)
        if ev is not None and bv is not None:
            return False, f"{e} = {ev} but {named} = {bv}"
        return False, f"{named} differs from {e}: {ans.reason}"
    return False, f"{named} may exceed {e}: {ans.reason}"


def _notes(texts) -> ArrayAttr:
    return ArrayAttr(StringAttr(t) for t in texts)


def _add_notes(op: Operation, texts: list[str]) -> None:
    old = [n.data for n in op.attributes.get("mask_notes", ArrayAttr([])).data]
    op.attributes["mask_notes"] = _notes(old + texts)


def _unmasked_note(idx: SSAValue) -> str:
    t = idx.type
    if not isinstance(t, RangeType):
        return "unmasked: not a range (a scalar or a tile of indices)"
    if t.block.data == t.extent.data:
        return f"unmasked: the block {t.block.data} is the whole extent"
    return "unmasked: masking left it unmasked"


@register_pass
@dataclass(frozen=True)
class MaskElisionPass(ModulePass):
    """Remove masks that the shape facts prove redundant; record each decision and its reason."""

    name = "mask-elision"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            facts = kernel_facts(kernel)
            defs = {k: v.data for k, v in kernel.attributes.get("constexprs", DictionaryAttr({})).data.items()}
            cache: dict[SSAValue, tuple[bool, str]] = {}

            def decide(r: SSAValue) -> tuple[bool, str]:
                if r not in cache:
                    cache[r] = covered(facts, r, defs)
                return cache[r]

            for op in list(kernel.walk()):
                if isinstance(op, (T.LoadOp, T.StoreOp)) and op.indices:
                    flags, notes = [], []
                    for idx, m in zip(op.indices, op.masked_flags):
                        if not m:
                            flags.append(0)
                            notes.append(_unmasked_note(idx))
                            continue
                        ok, why = decide(idx)
                        flags.append(0 if ok else 1)
                        notes.append(("elided: " if ok else "kept: ") + why)
                    op.properties["masked"] = ArrayAttr(IntAttr(f) for f in flags)
                    op.attributes["mask_notes"] = _notes(notes)
                elif isinstance(op, T.MaskFillOp):
                    ok, why = decide(op.range)
                    if not ok:
                        op.attributes["mask_notes"] = _notes(["kept: " + why])
                        continue
                    # the fill vanishes: its consumer (the reduction) keeps the record
                    for use in list(op.result.uses):
                        _add_notes(use.operation, ["elided: " + why])
                    op.result.replace_all_uses_with(op.operand)
                    op.detach()
                    op.erase()
