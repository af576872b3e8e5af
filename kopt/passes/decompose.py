"""decompose: expand composite ops into primitive ones.

softmax(x, d)     = exp(x - max(x, d)) / sum(exp(x - max(x, d)), d)
log_softmax(x, d) = (x - max(x, d)) - log(sum(exp(x - max(x, d)), d))
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from kopt.dialects import tile as T
from kopt.passes.registry import register_pass


class ExpandSoftmax(RewritePattern):
    """tile.softmax -> reduce max, sub, exp, reduce sum, div (or log-sum for log_softmax)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.SoftmaxOp, rewriter: PatternRewriter) -> None:
        x, dim, t = op.operand, op.dim.value.data, op.result.type
        reduced = t.with_dims(["?"] * t.rank)
        amax = T.ReduceOp("max", x, dim, True, reduced)
        shifted = T.SubOp(x, amax.result, t)
        exp = T.ExpOp(shifted.result)
        total = T.ReduceOp("sum", exp.result, dim, True, reduced)
        if op.is_log:
            log_total = T.LogOp(total.result)
            out = T.SubOp(shifted.result, log_total.result, t)
            new = [amax, shifted, exp, total, log_total, out]
        else:
            out = T.DivOp(exp.result, total.result, t)
            new = [amax, shifted, exp, total, out]
        for n in new:
            n.location = op.location
        amax.result.name_hint, exp.result.name_hint, total.result.name_hint = "amax", "exp", "sum_exp"
        rewriter.replace(op, new, [out.result])


@register_pass
@dataclass(frozen=True)
class DecomposePass(ModulePass):
    """Expand composite ops (softmax, log_softmax) into reductions and elementwise ops."""

    name = "decompose"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ExpandSoftmax(), apply_recursively=False).rewrite_module(op)
