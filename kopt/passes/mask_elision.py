"""mask-elision: drop each mask the kernel's shape facts prove redundant, and say why.

Facts come from the IR: block sizes are powers of two (`block_sizes`),
`_RDIM_SIZE_k = next_power_of_2(extent)` (`constexprs`), plus the kernel's
`facts` (static sizes, config block sizes, user assumptions). A grid or loop
range needs no mask when its block divides its extent; a whole-dim range when
its block equals its extent. Every decision is recorded on the op as
`mask_notes`; an Unknown answer keeps the mask.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from kopt.analysis import FactBase, parse_expr
from kopt.dialects import tile as T
from kopt.dialects.types import RangeType
from kopt.passes.registry import register_pass
from kopt.passes.util import kernels


def kernel_facts(kernel: T.KernelOp) -> FactBase:
    """The fact base a kernel's attributes state."""
    facts = FactBase()
    for block in kernel.attributes.get("block_sizes", DictionaryAttr({})).data:
        facts.assume_power_of_two(parse_expr(block))
    for sym, definition in kernel.attributes.get("constexprs", DictionaryAttr({})).data.items():
        text = definition.data
        if text.startswith("next_power_of_2(") and text.endswith(")"):
            facts.assume_next_power_of_2(parse_expr(sym), parse_expr(text[len("next_power_of_2("):-1]))
    for fact in kernel.attributes.get("facts", ArrayAttr([])).data:
        facts.assume_text(fact.data)
    return facts


def covered(facts: FactBase, r: SSAValue) -> tuple[bool, str]:
    """Is every lane of every block of this range inside the extent? (proven True, else False)"""
    t: RangeType = r.type
    block, extent = parse_expr(t.block.data), parse_expr(t.extent.data)
    if isinstance(r.owner, T.WholeRangeOp):
        ans = facts.eq(block, extent)
    else:
        ans = facts.divides(block, extent)
    return ans.value.is_true, ans.reason


@register_pass
@dataclass(frozen=True)
class MaskElisionPass(ModulePass):
    """Remove masks that the shape facts prove redundant; record each decision and its reason."""

    name = "mask-elision"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            facts = kernel_facts(kernel)
            cache: dict[SSAValue, tuple[bool, str]] = {}

            def decide(r: SSAValue) -> tuple[bool, str]:
                if r not in cache:
                    cache[r] = covered(facts, r)
                return cache[r]

            for op in list(kernel.walk()):
                if isinstance(op, (T.LoadOp, T.StoreOp)):
                    flags, notes = [], []
                    for idx, m in zip(op.indices, op.masked_flags):
                        if not m:
                            flags.append(0)
                            continue
                        ok, why = decide(idx)
                        flags.append(0 if ok else 1)
                        notes.append(("elided: " if ok else "kept: ") + why)
                    op.properties["masked"] = ArrayAttr(IntAttr(f) for f in flags)
                    if notes:
                        op.attributes["mask_notes"] = ArrayAttr(StringAttr(n) for n in notes)
                elif isinstance(op, T.MaskFillOp):
                    ok, why = decide(op.range)
                    if ok:
                        op.result.replace_all_uses_with(op.operand)
                        op.detach()
                        op.erase()
                    else:
                        op.attributes["mask_notes"] = ArrayAttr([StringAttr("kept: " + why)])
