"""Contractions of the tile dialect: `tile.dot` (matrix product, `tl.dot`) and `tile.transpose`.

Kept apart from tile.py so that the matmul family reads in one place; tile.py
registers these ops in the `tile` dialect. Both ops are shared by the Triton
level, as the elementwise ops are: their operands are then blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.pattern_rewriter import RewritePattern
from xdsl.printer import Printer
from xdsl.traits import HasCanonicalizationPatternsTrait, Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.dtypes import is_float, short_name
from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape, MovesLanes, Reduces, ShapeError
from kopt.dialects.shape_rules import fmt_shape, right_aligned
from kopt.dialects.types import UNKNOWN, TileType


def _same(a: str, b: str) -> bool:
    """Whether two dims may be equal, as far as the op alone can tell: different integers are not.
    Other sizes (`k` vs `k2`, two loops' blocks) may be equal by a fact the kernel states;
    `shape-inference` checks those against the facts."""
    if a == b or UNKNOWN in (a, b):
        return True
    return not (a.isdigit() and b.isdigit())


class DotHasCanonicalizationPatterns(HasCanonicalizationPatternsTrait):
    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from kopt.dialects.tile_contraction_folds import FoldAccumulateIntoDot, FoldWideningCastIntoDot

        return (FoldAccumulateIntoDot(), FoldWideningCastIntoDot())


@irdl_op_definition
class DotOp(IRDLOperation, InfersShape, HasDimMap, Reduces):
    """Matrix product over the last two dims, batched over a leading third one (`tl.dot`).

    `%r = tile.dot %a, %b acc %c`: [.., M, K] x [.., K, N] (+ [.., M, N]) -> [.., M, N].
    Without `acc` the result has the element type torch gives the product (fp16 for
    fp16 inputs), computed in fp32 and rounded; with `acc` the product is added to
    the accumulator in its element type (fp32 for fp16/bf16 inputs, as `tl.dot(a, b, acc)`).
    Canonicalization folds `acc + dot(a, b)` into the accumulating form.
    """

    name = "tile.dot"
    lhs = operand_def(TileType)
    rhs = operand_def(TileType)
    acc = opt_operand_def(TileType)
    result = result_def(TileType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    traits = traits_def(Pure(), DotHasCanonicalizationPatterns())
    assembly_format = (
        "$lhs `,` $rhs (`acc` $acc^)? attr-dict `:` type($lhs) `,` type($rhs) (`,` type($acc)^)? `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute, acc: SSAValue | None = None):
        super().__init__(operands=[lhs, rhs, [acc] if acc is not None else []], result_types=[result_type])

    def infer_dims(self, sizes) -> list[str]:
        """[.., M, K] x [.., K, N] -> [.., M, N]; K (and the batch) equal as text or by the kernel's facts."""
        a, b = self.lhs.type.dims, self.rhs.type.dims
        for what, x, y in [("contraction", a[-1], b[-2])] + ([("batch", a[0], b[0])] if len(a) == 3 else []):
            if not sizes.equal(x, y).is_true:
                raise ShapeError(f"matmul of shapes {fmt_shape(a)} and {fmt_shape(b)}: {what} dims differ ({x} vs {y})",
                                 "index both operands' inner dim with one tile (`x[tile_m, tile_k] @ y[tile_k, tile_n]`), "
                                 f"or state `assert {x} == {y}` in the kernel's host code")
        dims = [*a[:-1], b[-1]]
        if self.acc is not None and list(self.acc.type.dims) != dims:
            raise ShapeError(f"the accumulator of shape {fmt_shape(self.acc.type.dims)} does not match the product's "
                             f"{fmt_shape(dims)}")
        return dims

    def result_dims(self) -> list[list[DimRef] | None]:
        a, b, rank = self.lhs, self.rhs, self.lhs.type.rank
        out = [[(a, 0), (b, 0)]] if rank == 3 else []
        out += [[(a, rank - 2)], [(b, rank - 1)]]
        if self.acc is not None:
            for dims, acc_dims in zip(out, right_aligned(self.result, [self.acc])):
                dims += acc_dims
        return out

    def dim_ties(self) -> list[tuple[DimRef, DimRef]]:
        rank = self.lhs.type.rank  # and the contraction dims run along one loop
        return [*super().dim_ties(), ((self.lhs, rank - 1), (self.rhs, rank - 2))]

    def reduced_dims(self) -> list[DimRef]:
        rank = self.lhs.type.rank
        return [(self.lhs, rank - 1), (self.rhs, rank - 2)]

    def neutral(self, element_type) -> str:
        return "0"  # and not just any value past K's end: inf * 0 is NaN

    def verify_(self) -> None:
        a, b, r = self.lhs.type, self.rhs.type, self.result.type
        if a.rank not in (2, 3) or b.rank != a.rank or r.rank != a.rank:
            raise VerifyException(f"tile.dot: operands and result must all be of rank 2 or all of rank 3, "
                                  f"got {a.rank}, {b.rank} -> {r.rank}")
        if not _same(a.dims[-1], b.dims[-2]):
            raise VerifyException(f"tile.dot: contraction dims differ: {a.dims[-1]} (lhs dim -1) vs "
                                  f"{b.dims[-2]} (rhs dim -2)")
        if a.rank == 3 and not _same(a.dims[0], b.dims[0]):
            raise VerifyException(f"tile.dot: batch dims differ: {a.dims[0]} vs {b.dims[0]}")
        want = (*a.dims[:-1], b.dims[-1])
        if any(not _same(x, y) for x, y in zip(r.dims, want)):
            raise VerifyException(f"tile.dot: result shape {list(r.dims)} does not match the product's {list(want)}")
        if a.element_type != b.element_type:
            raise VerifyException(f"tile.dot: operand element types differ: {short_name(a.element_type)} vs "
                                  f"{short_name(b.element_type)} (cast one first)")
        if not is_float(a.element_type):
            raise VerifyException("tile.dot: operands must be floating point")
        if self.acc is not None:
            c = self.acc.type
            if c.element_type != r.element_type or any(not _same(x, y) for x, y in zip(c.dims, r.dims)) \
                    or c.rank != r.rank:
                raise VerifyException("tile.dot: the accumulator must have the result's shape and element type")


@irdl_op_definition
class TransposeOp(IRDLOperation, InfersShape, HasDimMap, MovesLanes):
    """Permute the dims of a block (`x.T`, `x.transpose(0, 1)`, `x.permute(...)`; `tl.trans`)."""

    name = "tile.transpose"
    operand = operand_def(TileType)
    result = result_def(TileType)
    perm = prop_def(DenseArrayBase)
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, perm: Sequence[int], result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type],
                         properties={"perm": DenseArrayBase.from_list(i64, list(perm))})

    @property
    def permutation(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.perm.get_values())

    def infer_dims(self, sizes) -> list[str]:
        return [self.operand.type.dims[p] for p in self.permutation]

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.operand, p)] for p in self.permutation]

    def dims_dropped(self, dropped: dict):
        gone = dropped.get(self.operand, [])
        if not gone:
            return {}
        perm = [p - sum(d < p for d in gone) for p in self.permutation if p not in gone]
        return {"perm": DenseArrayBase.from_list(i64, perm)}

    def print(self, printer: Printer) -> None:  # `tile.transpose %x [1, 0] : type -> type`
        printer.print_string(" ")
        printer.print_ssa_value(self.operand)
        printer.print_string(" [" + ", ".join(str(p) for p in self.permutation) + "]")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.operand.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> "TransposeOp":
        operand = parser.parse_unresolved_operand()
        perm = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        operand_type = parser.parse_type()
        parser.parse_punctuation("->")
        op = cls(parser.resolve_operand(operand, operand_type), perm, parser.parse_type())
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        perm, rank = self.permutation, self.operand.type.rank
        if sorted(perm) != list(range(rank)):
            raise VerifyException(f"tile.transpose: {list(perm)} is not a permutation of the {rank} dims")
        if self.result.type.rank != rank:
            raise VerifyException("tile.transpose: the result keeps the operand's rank")


CONTRACTION_OPS = (DotOp, TransposeOp)

__all__ = ["DotHasCanonicalizationPatterns", "DotOp", "TransposeOp", "CONTRACTION_OPS"]
