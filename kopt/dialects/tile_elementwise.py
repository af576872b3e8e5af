"""Elementwise ops of the tile dialect: binary arithmetic and comparisons, unary math, casts, `where`,
constants and symbol values.

Every op states its meaning on its class: its shape rule and dim map (torch broadcasting, dims
lined up from the right), its Python fold where it has one, and, for unary math, the torch
functions and tensor methods it implements and whether it computes in floating point. The
frontend reads those declarations (a new unary op needs no frontend edit) and each backend
registers an emitter per class (kopt/backends/). These ops are shared by the Triton level, whose
operands are then blocks.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import IntAttr, StringAttr, UnitAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (IRDLOperation, irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def, traits_def,
                       var_operand_def)
from xdsl.traits import Pure

from kopt.dialects.interfaces import CarriesPadding, DimRef, Folds, HasDimMap, InfersShape, MovesLanes, Pad
from kopt.dialects.shape_rules import broadcast, right_aligned
from kopt.dialects.sizes import SizeAttr, parse_size, print_size
from kopt.dialects.types import TileType
from kopt.dialects.dtypes import is_float, short_name


class _Elementwise(IRDLOperation, InfersShape, HasDimMap):
    """Shape and dim map of an elementwise op: its tile operands broadcast (dims from the right)."""

    def _tiles(self) -> list[SSAValue]:
        return [o for o in self.operands if isinstance(o.type, TileType)]

    def infer_dims(self, sizes) -> list[str]:
        return broadcast(sizes, *(o.type.dims for o in self._tiles()))

    def result_dims(self) -> list[list[DimRef] | None]:
        return right_aligned(self.results[0], self._tiles())


# ---------------------------------------------------------------- binary


class BinaryOp(_Elementwise):
    """Elementwise binary op with torch broadcasting; the frontend has promoted both operands to one type."""

    lhs = operand_def(TileType)
    rhs = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[lhs, rhs], result_types=[result_type])


class ArithmeticOp(BinaryOp, Folds):
    """Binary arithmetic: it folds on two Python numbers (`py_operation`)."""


class CompareOp(BinaryOp):
    """A comparison: an i1 tile."""


def _trunc_div(a, b):
    """Integer division truncated toward zero (Triton's and C's `//` on integers; Python's on floats)."""
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return a // b


def _c_rem(a, b):
    """The remainder with the dividend's sign (Triton's and C's `%`)."""
    return a - b * _trunc_div(a, b) if isinstance(a, int) and isinstance(b, int) else math.fmod(a, b)


@irdl_op_definition
class AddOp(ArithmeticOp):
    """a + b"""
    name = "tile.add"
    py_operation = staticmethod(operator.add)


@irdl_op_definition
class SubOp(ArithmeticOp, CarriesPadding):
    """a - b"""
    name = "tile.sub"
    py_operation = staticmethod(operator.sub)

    def padding(self, pads: Sequence[Pad]) -> str | None:
        """-inf - max: -inf where the max is finite or +inf. Where it is -inf or NaN, every valid lane of the block
        is NaN too (-inf - -inf, x - NaN), so a NaN-propagating reduction downstream is NaN either way (the analysis
        asks for one: kopt/ir/padding.py)."""
        return "-inf" if pads[0].value == "-inf" and pads[1].uniform == "row_max" else None


@irdl_op_definition
class MulOp(ArithmeticOp, CarriesPadding):
    """a * b"""
    name = "tile.mul"
    py_operation = staticmethod(operator.mul)

    def padding(self, pads: Sequence[Pad]) -> str | None:
        """-inf or 0 times a finite constant > 0 (a scale) stays what it was."""
        for x, c in (pads, pads[::-1]):
            if x.value in ("-inf", "0") and c.uniform == "positive":
                return x.value
        return None


@irdl_op_definition
class DivOp(ArithmeticOp, CarriesPadding):
    """a / b (true division)"""
    name = "tile.div"
    py_operation = staticmethod(operator.truediv)

    def padding(self, pads: Sequence[Pad]) -> str | None:
        """-inf or 0 divided by a finite constant > 0 stays what it was."""
        return pads[0].value if pads[0].value in ("-inf", "0") and pads[1].uniform == "positive" else None


@irdl_op_definition
class FloorDivOp(ArithmeticOp):
    """a // b of integers, truncated toward zero as in Triton (the frontend builds torch's floor division from it)"""
    name = "tile.floordiv"
    py_operation = staticmethod(_trunc_div)


@irdl_op_definition
class RemOp(ArithmeticOp):
    """a % b with the dividend's sign, as in Triton and C (the frontend builds torch's remainder from it)"""
    name = "tile.rem"
    py_operation = staticmethod(_c_rem)


@irdl_op_definition
class MaximumOp(ArithmeticOp):
    """torch.maximum(a, b)"""
    name = "tile.maximum"
    py_operation = staticmethod(max)


@irdl_op_definition
class MinimumOp(ArithmeticOp):
    """torch.minimum(a, b)"""
    name = "tile.minimum"
    py_operation = staticmethod(min)


@irdl_op_definition
class AndOp(ArithmeticOp):
    """a & b"""
    name = "tile.and"
    py_operation = staticmethod(operator.and_)


@irdl_op_definition
class OrOp(ArithmeticOp):
    """a | b"""
    name = "tile.or"
    py_operation = staticmethod(operator.or_)


@irdl_op_definition
class PowOp(ArithmeticOp):
    """a ** b (the frontend writes it with exp2/log2 or products: Triton has no `**`)"""
    name = "tile.pow"
    py_operation = staticmethod(operator.pow)


@irdl_op_definition
class LtOp(CompareOp):
    """a < b"""
    name = "tile.lt"


@irdl_op_definition
class LeOp(CompareOp):
    """a <= b"""
    name = "tile.le"


@irdl_op_definition
class GtOp(CompareOp):
    """a > b"""
    name = "tile.gt"


@irdl_op_definition
class GeOp(CompareOp):
    """a >= b"""
    name = "tile.ge"


@irdl_op_definition
class EqOp(CompareOp):
    """a == b"""
    name = "tile.eq"


@irdl_op_definition
class NeOp(CompareOp):
    """a != b"""
    name = "tile.ne"


BINARY_OPS = (AddOp, SubOp, MulOp, DivOp, FloorDivOp, RemOp, MaximumOp, MinimumOp, AndOp, OrOp, PowOp,
              LtOp, LeOp, GtOp, GeOp, EqOp, NeOp)
COMPARE_OPS = tuple(c for c in BINARY_OPS if issubclass(c, CompareOp))


# ---------------------------------------------------------------- unary


class UnaryOp(_Elementwise):
    """Elementwise unary op; the result has the operand's shape and element type.

    `TORCH` / `METHODS`: the torch functions and tensor methods it implements (`torch.exp(x)`, `x.exp()`),
    read by the frontend. `FLOAT_MATH`: it is defined on floating point only (an integer operand is converted to
    fp32 first, as torch does), and Triton computes it in fp32 (an fp16/bf16 operand is widened, and the
    result rounded back). Ops with `FLOAT_MATH = False` (abs, neg, relu) keep integer types.
    """

    operand = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    TORCH: ClassVar[tuple[str, ...]] = ()
    METHODS: ClassVar[tuple[str, ...]] = ()
    FLOAT_MATH: ClassVar[bool] = True

    def __init__(self, operand: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[operand], result_types=[result_type or operand.type])


def _torch(name: str, *extra: str) -> tuple[str, ...]:
    return (f"torch.{name}", *extra)


@irdl_op_definition
class ExpOp(UnaryOp, CarriesPadding):
    """elementwise e**x"""

    name = "tile.exp"
    TORCH: ClassVar = _torch("exp")
    METHODS: ClassVar = ("exp",)

    def padding(self, pads: Sequence[Pad]) -> str | None:
        return "0" if pads[0].value == "-inf" else None  # (0 is the neutral element of a sum)


@irdl_op_definition
class Expm1Op(UnaryOp):
    """elementwise e**x - 1, accurate near 0"""
    name = "tile.expm1"
    TORCH: ClassVar = _torch("expm1", "torch.special.expm1")
    METHODS: ClassVar = ("expm1",)


@irdl_op_definition
class Exp2Op(UnaryOp, CarriesPadding):
    """elementwise 2**x"""

    name = "tile.exp2"
    TORCH: ClassVar = _torch("exp2", "torch.special.exp2")
    METHODS: ClassVar = ("exp2",)

    def padding(self, pads: Sequence[Pad]) -> str | None:
        return "0" if pads[0].value == "-inf" else None  # (0 is the neutral element of a sum)


@irdl_op_definition
class LogOp(UnaryOp):
    """elementwise natural logarithm"""
    name = "tile.log"
    TORCH: ClassVar = _torch("log")
    METHODS: ClassVar = ("log",)


@irdl_op_definition
class Log2Op(UnaryOp):
    """elementwise base-2 logarithm"""
    name = "tile.log2"
    TORCH: ClassVar = _torch("log2")
    METHODS: ClassVar = ("log2",)


@irdl_op_definition
class Log1pOp(UnaryOp):
    """elementwise log(1 + x), accurate near 0"""
    name = "tile.log1p"
    TORCH: ClassVar = _torch("log1p", "torch.special.log1p")
    METHODS: ClassVar = ("log1p",)


@irdl_op_definition
class SqrtOp(UnaryOp):
    """elementwise square root"""
    name = "tile.sqrt"
    TORCH: ClassVar = _torch("sqrt")
    METHODS: ClassVar = ("sqrt",)


@irdl_op_definition
class RsqrtOp(UnaryOp):
    """elementwise 1 / sqrt(x)"""
    name = "tile.rsqrt"
    TORCH: ClassVar = _torch("rsqrt")
    METHODS: ClassVar = ("rsqrt",)


@irdl_op_definition
class SigmoidOp(UnaryOp):
    """elementwise 1 / (1 + e**-x)"""
    name = "tile.sigmoid"
    TORCH: ClassVar = _torch("sigmoid", "torch.nn.functional.sigmoid", "torch.special.expit")
    METHODS: ClassVar = ("sigmoid",)


@irdl_op_definition
class TanhOp(UnaryOp):
    """elementwise hyperbolic tangent"""
    name = "tile.tanh"
    TORCH: ClassVar = _torch("tanh")
    METHODS: ClassVar = ("tanh",)


@irdl_op_definition
class AbsOp(UnaryOp):
    """elementwise |x|"""
    name = "tile.abs"
    TORCH: ClassVar = _torch("abs")
    METHODS: ClassVar = ("abs",)
    FLOAT_MATH: ClassVar = False


@irdl_op_definition
class NegOp(UnaryOp):
    """elementwise -x"""
    name = "tile.neg"
    TORCH: ClassVar = _torch("neg")
    METHODS: ClassVar = ("neg",)
    FLOAT_MATH: ClassVar = False


@irdl_op_definition
class ReluOp(UnaryOp):
    """elementwise max(x, 0)"""
    name = "tile.relu"
    TORCH: ClassVar = _torch("relu", "torch.nn.functional.relu")
    METHODS: ClassVar = ("relu",)
    FLOAT_MATH: ClassVar = False


@irdl_op_definition
class SinOp(UnaryOp):
    """elementwise sine"""
    name = "tile.sin"
    TORCH: ClassVar = _torch("sin")
    METHODS: ClassVar = ("sin",)


@irdl_op_definition
class CosOp(UnaryOp):
    """elementwise cosine"""
    name = "tile.cos"
    TORCH: ClassVar = _torch("cos")
    METHODS: ClassVar = ("cos",)


@irdl_op_definition
class ErfOp(UnaryOp):
    """elementwise error function"""
    name = "tile.erf"
    TORCH: ClassVar = _torch("erf", "torch.special.erf")
    METHODS: ClassVar = ("erf",)


@irdl_op_definition
class SiluOp(UnaryOp):
    """elementwise x * sigmoid(x)"""
    name = "tile.silu"
    TORCH: ClassVar = ("torch.nn.functional.silu",)


@irdl_op_definition
class GeluOp(UnaryOp):
    """elementwise x * Phi(x) (exact, erf form; the tanh approximation is built by the frontend)"""
    name = "tile.gelu"
    TORCH: ClassVar = ("torch.nn.functional.gelu",)


@irdl_op_definition
class NotOp(UnaryOp):
    """elementwise bitwise not of booleans or integers"""
    name = "tile.not"
    FLOAT_MATH: ClassVar = False


@irdl_op_definition
class FloorOp(UnaryOp):
    """elementwise floor"""
    name = "tile.floor"
    TORCH: ClassVar = _torch("floor")
    METHODS: ClassVar = ("floor",)


@irdl_op_definition
class CeilOp(UnaryOp):
    """elementwise ceil"""
    name = "tile.ceil"
    TORCH: ClassVar = _torch("ceil")
    METHODS: ClassVar = ("ceil",)


UNARY_CLASSES = (ExpOp, Expm1Op, Exp2Op, LogOp, Log2Op, Log1pOp, SqrtOp, RsqrtOp, SigmoidOp, TanhOp, AbsOp, NegOp,
                 ReluOp, SinOp, CosOp, ErfOp, SiluOp, GeluOp, NotOp, FloorOp, CeilOp)
UNARY_OPS = {cls.name.split(".", 1)[1]: cls for cls in UNARY_CLASSES}  # short name -> class, derived


# ---------------------------------------------------------------- other values


@irdl_op_definition
class CastOp(_Elementwise, MovesLanes):
    """Convert the element type (`.to(dtype)`); the shape is kept."""

    name = "tile.cast"
    operand = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type])

    def keeps(self, fill: str) -> bool:
        """A cast keeps 0 always, and infinities between floating-point types that have them (float8 e4m3 has none:
        its conversion saturates -inf to -448)."""
        src, dst = self.operand.type.element_type, self.result.type.element_type
        return fill == "0" or (is_float(src) and is_float(dst) and "f8e4m3" not in (short_name(src), short_name(dst)))


@irdl_op_definition
class WhereOp(_Elementwise):
    """torch.where(cond, a, b) with broadcasting."""

    name = "tile.where"
    cond = operand_def(TileType)
    lhs = operand_def(TileType)
    rhs = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = (
        "$cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, cond: SSAValue, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[cond, lhs, rhs], result_types=[result_type])


class _Source(IRDLOperation, InfersShape, HasDimMap):
    """A value of its own: its declared dims, none from an operand."""

    def infer_dims(self, sizes) -> list[str]:
        return list(self.results[0].type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[] for _ in range(self.results[0].type.rank)]


@irdl_op_definition
class ConstantOp(_Source):
    """A constant, written as text so that `inf` and `-inf` print exactly.

    Rank 0 is a scalar; a shaped result is a block filled with the value
    (`hl.zeros([tile_m, tile_n])`, `hl.full(...)`) and keeps its declared shape.
    """

    name = "tile.constant"
    value = prop_def(StringAttr)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$value attr-dict `:` type($result)"

    def __init__(self, value: str, result_type: TileType):
        super().__init__(properties={"value": StringAttr(value)}, result_types=[result_type])


@irdl_op_definition
class SymbolOp(_Source):
    """The value of a size, stride or block-size symbol (or a symbolic expression of them): a scalar.
    `tile.symbol n : !tile.tile<[], i32>` (the size bare when a name or an integer, else quoted)."""

    name = "tile.symbol"
    expr = prop_def(SizeAttr)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, expr: str | SizeAttr, result_type: TileType):
        super().__init__(properties={"expr": expr if isinstance(expr, SizeAttr) else SizeAttr(expr)},
                         result_types=[result_type])

    def print(self, printer) -> None:
        printer.print_string(" ")
        print_size(printer, self.expr.data)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser) -> "SymbolOp":
        expr = parse_size(parser)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        op = cls(expr, parser.parse_type())
        op.attributes.update(attrs)
        return op

@irdl_op_definition
class InlineAsmOp(_Elementwise):
    """`hl.inline_asm_elementwise(asm, constraints, args, dtype, is_pure, pack)`: PTX applied elementwise to the
    broadcast `args` (`tl.inline_asm_elementwise`). GPU only: the interpreter cannot run assembly."""

    name = "tile.inline_asm"
    args = var_operand_def(TileType)
    asm = prop_def(StringAttr)
    constraints = prop_def(StringAttr)
    pack = prop_def(IntAttr)
    pure = opt_prop_def(UnitAttr)
    result = result_def(TileType)
    assembly_format = ("$asm $constraints `pack` $pack (`pure` $pure^)? `(` $args `)` attr-dict `:` type($args) `->`"
                       " type($result)")

    def __init__(self, asm: str, constraints: str, args: list[SSAValue], pack: int, pure: bool,
                 result_type: TileType):
        props = {"asm": StringAttr(asm), "constraints": StringAttr(constraints), "pack": IntAttr(pack)}
        if pure:
            props["pure"] = UnitAttr()
        super().__init__(operands=[args], properties=props, result_types=[result_type])
