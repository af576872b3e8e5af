"""reciprocal-divisions: `x / s` with `s` a per-row value -> `x * (1 / s)`.

softmax's `exp / sum`, a norm's `x / rms`: one division per row and a multiply per element,
instead of a division per element (a multiply is several times cheaper on a GPU). Only where the
divisor is strictly smaller than the result and broadcasts into it (a statistic of a row against
the row), and in floating point.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from kopt.dialects import tile as T
from kopt.dialects.dtypes import is_float
from kopt.dialects.types import TileType
from kopt.ir.util import apply_patterns, kernels, replace_keeping_names
from kopt.passes.registry import register_pass


def _broadcasts_into(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    """Is `small` a strictly smaller shape that broadcasts to `big` (a per-row value against a row)?"""
    if len(small) > len(big) or small == big:
        return False
    padded = ("1",) * (len(big) - len(small)) + tuple(small)
    return all(s == b or s == "1" for s, b in zip(padded, big)) and padded != tuple(big)


class ReciprocalDivision(RewritePattern):
    """`x / s` -> `x * (1.0 / s)` for a floating-point per-row divisor `s`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.DivOp, rewriter: PatternRewriter) -> None:
        elem = op.result.type.element_type
        if not (is_float(elem) and op.rhs.type.element_type == elem
                and _broadcasts_into(op.rhs.type.dims, op.result.type.dims)):
            return
        one = T.ConstantOp("1.0", TileType([], elem))
        inv = T.DivOp(one.result, op.rhs, op.rhs.type)
        mul = T.MulOp(op.lhs, inv.result, op.result.type)
        mul.result.name_hint = op.result.name_hint
        replace_keeping_names(rewriter, op, [one, inv, mul], mul.result)


@register_pass
@dataclass(frozen=True)
class ReciprocalDivisionsPass(ModulePass):
    """Divide by a per-row value once per row: `x / s` -> `x * (1 / s)`."""

    name = "reciprocal-divisions"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            apply_patterns(kernel, ReciprocalDivision())
