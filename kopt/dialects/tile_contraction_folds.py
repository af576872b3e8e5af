"""Canonicalization patterns of `tile.dot` (kept beside the op, as xDSL keeps
`canonicalization_patterns/<dialect>.py` beside its dialects).

`acc + dot(a, b)` -> `dot(a, b) acc %acc`: one `tl.dot(a, b, acc)` that adds into the
accumulator's registers. This is what `acc = torch.addmm(acc, a, b)`, `acc += a @ b`
and `acc = acc + hl.dot(a, b)` all mean. For fp16/bf16 inputs the frontend writes
`acc + cast<f32>(dot<f16>(a, b))`; the fold drops the intermediate rounding to fp16,
so the product is accumulated in fp32 (more exact than torch's eager rounding, the
point of an fp32 accumulator).

`cast<f32>(dot<f16>(a, b))` -> `dot<f32>(a, b)`: a product rounded to its operands' type and widened straight back
(attention's `torch.bmm(q, k.transpose(1, 2)).to(torch.float32)`) keeps `tl.dot`'s fp32 result instead. As above the
rounding torch's eager code does is dropped (torch.compile's Inductor drops such round trips too unless
`emulate_precision_casts` is set): the scores are more exact, and the two conversions of every score leave the
loop (on an H200, bf16 attention failed the bench's check against the fp32 reference with the rounding kept).
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from kopt.dialects.dtypes import f32, short_name
from kopt.dialects.types import UNKNOWN
from kopt.dialects import tile as T
from kopt.dialects.tile_contraction import DotOp


def _single_user(v: SSAValue) -> Operation | None:
    uses = list(v.uses)
    return uses[0].operation if len(uses) == 1 else None


class FoldWideningCastIntoDot(RewritePattern):
    """dot(a, b) of fp16/bf16 operands, rounded to their type, used once by a cast to fp32: the product in fp32."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DotOp, rewriter: PatternRewriter) -> None:
        cast = _single_user(op.result)
        if op.acc is not None or not isinstance(cast, T.CastOp) or cast.result.type.element_type != f32:
            return
        if short_name(op.result.type.element_type) not in ("f16", "bf16") or op.lhs.type.element_type == f32:
            return
        new = DotOp(op.lhs, op.rhs, cast.result.type)
        new.location = cast.location
        rewriter.replace(cast, [new], [new.result])
        rewriter.erase(op)


class FoldAccumulateIntoDot(RewritePattern):
    """dot(a, b) used once by `x + dot` (possibly through an fp32 cast), x of the sum's exact type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DotOp, rewriter: PatternRewriter) -> None:
        if op.acc is not None:
            return
        value, cast, user = op.result, None, _single_user(op.result)
        if isinstance(user, T.CastOp):
            cast, value = user, user.result
            user = _single_user(value)
        if not isinstance(user, T.AddOp):
            return
        other = user.rhs if user.lhs is value else user.lhs
        rtype = user.result.type
        if other is value or other.type != rtype or value.type != rtype or UNKNOWN in rtype.dims:
            return
        inputs = short_name(op.lhs.type.element_type)
        if not (rtype.element_type == f32 and inputs in ("f16", "bf16", "f32", "f8e4m3", "f8e5m2")
                or rtype.element_type == op.lhs.type.element_type):
            return
        new = DotOp(op.lhs, op.rhs, rtype, other)
        new.location = user.location
        rewriter.replace(user, [new], [new.result])
        if cast is not None:
            rewriter.erase(cast)
        rewriter.erase(op)
