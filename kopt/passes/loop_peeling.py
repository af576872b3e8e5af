"""loop-peeling: a loop whose last block may be partial -> a loop over its whole blocks, then one over what is left.

A sequential loop over `[b, b + E)` by blocks of `B` masks every access along its range, and fills every reduction
along it, in every iteration, though only the last block can overhang. After this pass the loop runs over the whole
blocks, `[b, b + B*(E // B))`, whose extent `B` divides (mask-elision proves it and drops their masks), and a copy of
it runs over the rest, `E - B*(E // B)` lanes (at most one block, none when `B` divides `E`), masked as before; the
carried values go from the first loop to the second. This is MLIR's `scf-for-loop-peeling`, on tile loops.

It is what a hand-written kernel does to keep masks out of its main loop: a matmul's k-loop, attention's loop over
keys (three selects per score before), a looped reduction's chunks (a select per lane before every fold). Peeled:
innermost sequential loops over one range that may overhang (one the facts do not already prove whole) and that index
something by it. Not peeled: a loop that runs backwards (its partial block comes first), a loop with a loop inside
(the copies would multiply), a loop whose body reads its block's number (`tile.id` counts from the range's begin). The two loops are marked (`peel = "whole"`, `peel = "rest"`); the rest's `tl.range`
takes none of Helion's per-loop knobs (pipelining a loop of at most one iteration buys nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern
from xdsl.rewriter import InsertPoint

from kopt.analysis import FactBase
from kopt.dialects import tile as T
from kopt.dialects.types import RangeType
from kopt.ir.coverage import covered, numbers_blocks
from kopt.ir.facts import kernel_facts
from kopt.ir.util import apply_patterns, kernels, set_type
from kopt.passes.registry import register_pass

PEEL = "peel"  # the loop attribute: "whole" (the whole blocks) or "rest" (what is left)


def _indexes_by(r) -> bool:
    return any(isinstance(u.operation, (T.LoadOp, T.StoreOp, T.TileAttrOp)) for u in r.uses)


def _peelable(op: T.ForOp, facts: FactBase) -> bool:
    if op.kind_name != "sequential" or len(op.ranges) != 1 or PEEL in op.attributes or "reverse" in op.attributes:
        return False
    r = op.ranges[0]
    if not r.type.may_overhang or any(isinstance(o, T.ForOp) for o in op.body.walk()):
        return False
    return _indexes_by(r) and not numbers_blocks(r) and not covered(facts, r)[0]


@dataclass
class PeelLastBlock(RewritePattern):
    """`tile.for` over [b, b + E) -> `tile.for` over its whole blocks, then `tile.for` over the rest."""

    facts: FactBase

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.ForOp, rewriter: PatternRewriter) -> None:
        if not _peelable(op, self.facts):
            return
        t: RangeType = op.ranges[0].type
        e, b, begin = t.extent.data, t.block.data, t.begin.data
        whole = f"{b}*(({e}) // {b})"
        rest_begin = whole if begin == "0" else f"({begin}) + {whole}"
        rest = op.clone()  # (the loop itself becomes the whole blocks' loop: one copy, not two)
        set_type(rest.ranges[0], RangeType(f"({e}) - {whole}", b, rest_begin))
        rest.attributes[PEEL] = StringAttr("rest")
        rewriter.insert(rest, InsertPoint.after(op))
        for old, new in zip(op.res, rest.res):
            new.name_hint = old.name_hint
            rewriter.replace_all_uses_with(old, new)
        rest.operands = list(op.res)  # the carried values go on from where the whole blocks left them
        set_type(op.ranges[0], RangeType(whole, b, begin))
        op.attributes[PEEL] = StringAttr("whole")
        rewriter.notify_op_modified(op)


@register_pass
@dataclass(frozen=True)
class LoopPeelingPass(ModulePass):
    """Peel the partial last block off each loop that may have one: the whole blocks run unmasked."""

    name = "loop-peeling"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            if any(isinstance(op, T.ForOp) for op in kernel.walk()):
                apply_patterns(kernel, PeelLastBlock(kernel_facts(kernel)))
