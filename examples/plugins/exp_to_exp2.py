"""exp-to-exp2: rewrite exp(x) as exp2(x * log2(e)), the form GPU special-function units compute.

A kopt pass plugin, walked through in docs/writing-a-pass.md. It works at the tile and the tt
level alike (elementwise ops are `tile.*` ops at both), so it may go anywhere in a pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from kopt.dialects import tile
from kopt.dialects.types import TileType
from kopt.passes import register_pass

ExpOp = tile.UNARY_OPS["exp"]  # a module-level name: op_type_rewrite_pattern reads the annotation
LOG2_E = "1.4426950408889634"  # log2(e) as text: tile.constant keeps the exact digits


class ExpToExp2(RewritePattern):
    """tile.exp %x  ->  tile.exp2 (tile.mul %x, tile.constant log2(e))."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ExpOp, rewriter: PatternRewriter) -> None:
        x = op.operand
        log2e = tile.ConstantOp(LOG2_E, TileType([], x.type.element_type))  # a scalar; mul broadcasts it
        scaled = tile.MulOp(x, log2e.result, x.type)
        exp2 = tile.UNARY_OPS["exp2"](scaled.result, op.result.type)
        for new in (log2e, scaled, exp2):
            new.location = op.location  # diagnostics keep pointing at the user's torch.exp
        log2e.result.name_hint, scaled.result.name_hint = "log2e", "exp_arg"
        exp2.result.name_hint = op.result.name_hint
        rewriter.replace(op, [log2e, scaled, exp2])


@register_pass
@dataclass(frozen=True)
class ExpToExp2Pass(ModulePass):
    """Rewrite exp(x) as exp2(x * log2(e))."""

    name = "exp-to-exp2"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ExpToExp2(), apply_recursively=False).rewrite_module(op)
