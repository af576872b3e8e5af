"""The tile dialect: kopt's high-level IR, the host side and the device side of a kernel.

A module holds, as MLIR's `gpu` dialect does, a host function (`tile.host_func`:
Python statements kept verbatim, and `tile.launch` of a kernel) and the device
kernels it launches (`tile.kernel`). Device values are symbolically shaped
tiles (`!tile.tile<[...], f32>`); loops run over ranges (`!tile.range<n, B>`).
Elementwise ops broadcast like torch; their result shapes are `?` until the
`shape-inference` pass fills them in.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    IntegerAttr,
    ArrayAttr,
    IntAttr,
    StringAttr,
)
from xdsl.ir import Attribute, Block, Dialect, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import IsolatedFromAbove, IsTerminator, NoTerminator, Pure, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.tile_host import HostFuncOp, HostReturnOp, LaunchOp, PyStmtOp, print_sym_header
from kopt.dialects.types import PointerType, RangeType, TensorType, TileType

# ---------------------------------------------------------------- helpers


def _dims_known(t: Attribute) -> bool:
    return not isinstance(t, TileType) or "?" not in t.dims


# ---------------------------------------------------------------- device side


@irdl_op_definition
class KernelOp(IRDLOperation):
    """A device kernel. Entry block arguments are its tensors and scalars.

    Passes record what they decide as attributes: `arg_names`, `grid`,
    `block_sizes`, `constexprs`, `facts`.
    """

    name = "tile.kernel"
    sym_name = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator(), IsolatedFromAbove(), SymbolOpInterface())

    def __init__(self, name: str, arg_types: Sequence[Attribute], arg_names: Sequence[str]):
        block = Block(arg_types=arg_types)
        for arg, hint in zip(block.args, arg_names):
            arg.name_hint = hint
        super().__init__(properties={"sym_name": StringAttr(name)}, regions=[Region(block)])
        self.attributes["arg_names"] = ArrayAttr(StringAttr(n) for n in arg_names)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.data for a in self.attributes["arg_names"].data)

    def print(self, printer: Printer) -> None:
        print_sym_header(printer, self.sym_name)
        printer.print_string("(")
        for i, arg in enumerate(self.body.block.args):
            if i:
                printer.print_string(", ")
            printer.print_block_argument(arg)
        printer.print_string(")")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "KernelOp":
        name = parser.parse_symbol_name().data
        args = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_argument)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        region = parser.parse_region(args)
        op = cls.create(properties={"sym_name": StringAttr(name)}, regions=[region])
        if attrs:
            op.attributes.update(attrs.data)
        return op

    def verify_(self) -> None:
        names = self.attributes.get("arg_names")
        if not isinstance(names, ArrayAttr) or len(names.data) != len(self.body.block.args):
            raise VerifyException("tile.kernel needs an `arg_names` attribute naming each argument")


def print_iter_args(printer: Printer, carried, inits) -> None:
    """` iter_args(%acc = %init : type, ...)`, shared by tile.for and tt.for."""
    if not inits:
        return
    printer.print_string(" iter_args(")
    for i, (arg, init) in enumerate(zip(carried, inits)):
        if i:
            printer.print_string(", ")
        printer.print_block_argument(arg, print_type=False)
        printer.print_string(" = ")
        printer.print_ssa_value(init)
        printer.print_string(" : ")
        printer.print_attribute(init.type)
    printer.print_string(")")


def parse_iter_args(parser: Parser):
    """Parse an optional ` iter_args(...)`; returns (block arguments, init operands)."""
    args, inits = [], []
    if parser.parse_optional_keyword("iter_args"):

        def parse_carried():
            arg = parser.parse_argument(expect_type=False)
            parser.parse_punctuation("=")
            init = parser.parse_unresolved_operand()
            parser.parse_punctuation(":")
            t = parser.parse_type()
            args.append(arg.resolve(t))
            inits.append(parser.resolve_operand(init, t))

        parser.parse_comma_separated_list(parser.Delimiter.PAREN, parse_carried)
    return args, inits


@irdl_op_definition
class ForOp(IRDLOperation):
    """A loop over tiles of one or more ranges.

    `parallel` loops become the launch grid (the `tiling` pass); `sequential` loops
    stay loops inside the kernel. Loop-carried values (accumulators) go through
    `iter_args` and `tile.yield`, as in `scf.for`.
    """

    name = "tile.for"
    iter_args = var_operand_def()
    res = var_result_def()
    kind = prop_def(StringAttr)
    body = region_def("single_block")

    def __init__(self, range_types: Sequence[RangeType], kind: str, iter_args: Sequence[SSAValue] = ()):
        block = Block(arg_types=[*range_types, *(v.type for v in iter_args)])
        super().__init__(
            operands=[list(iter_args)],
            result_types=[[v.type for v in iter_args]],
            properties={"kind": StringAttr(kind)},
            regions=[Region(block)],
        )

    @property
    def ranges(self) -> tuple[SSAValue, ...]:
        return tuple(a for a in self.body.block.args if isinstance(a.type, RangeType))

    @property
    def carried(self) -> tuple[SSAValue, ...]:
        return self.body.block.args[len(self.ranges):]

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        for i, arg in enumerate(self.ranges):
            if i:
                printer.print_string(", ")
            printer.print_block_argument(arg)
        printer.print_string(f" {self.kind.data}")
        print_iter_args(printer, self.carried, self.iter_args)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "ForOp":
        args = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_argument)
        kind = parser.parse_identifier()
        carried, inits = parse_iter_args(parser)
        args += carried
        attrs = parser.parse_optional_attr_dict_with_keyword()
        region = parser.parse_region(args)
        op = cls.create(
            operands=inits,
            result_types=[v.type for v in inits],
            properties={"kind": StringAttr(kind)},
            regions=[region],
        )
        if attrs:
            op.attributes.update(attrs.data)
        return op

    def verify_(self) -> None:
        if self.kind.data not in ("parallel", "sequential"):
            raise VerifyException(f"tile.for kind must be parallel or sequential, got {self.kind.data}")
        if not self.ranges:
            raise VerifyException("tile.for needs at least one range")
        if len(self.carried) != len(self.iter_args):
            raise VerifyException("tile.for: loop-carried block arguments must follow the ranges")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a `tile.for` body, passing loop-carried values to the next iteration."""

    name = "tile.yield"
    values = var_operand_def()
    traits = traits_def(IsTerminator(), Pure())
    assembly_format = "($values^ `:` type($values))? attr-dict"

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[list(values)])


# ---------------------------------------------------------------- memory


def _print_subscript(printer: Printer, spec: Sequence[str], indices: Sequence[SSAValue]) -> None:
    it = iter(indices)
    parts = []
    printer.print_string("[")
    for i, s in enumerate(spec):
        if i:
            printer.print_string(", ")
        if s == "i":
            printer.print_ssa_value(next(it))
        else:
            printer.print_string(s)
    printer.print_string("]")
    del parts


def _parse_subscript(parser: Parser):
    spec: list[str] = []
    operands = []

    def entry():
        if parser.parse_optional_punctuation(":"):
            spec.append(":")
        elif parser.parse_optional_keyword("None"):
            spec.append("None")
        else:
            operands.append(parser.parse_unresolved_operand())
            spec.append("i")

    parser.parse_comma_separated_list(parser.Delimiter.SQUARE, entry)
    return spec, operands


def _spec_attr(spec: Sequence[str]) -> ArrayAttr[StringAttr]:
    return ArrayAttr(StringAttr(s) for s in spec)


class _Access(IRDLOperation):
    """Shared part of tile.load and tile.store: a tensor, a subscript, an optional mask.

    The subscript `spec` has one entry per subscript position: `i` takes the next
    index operand (a range, or a rank-0 scalar index that drops the dim), `:` is
    the whole dim, `None` a new unit dim. `masked` holds one flag per index
    operand: whether that range's overhang must be masked off.
    """

    @property
    def spec_list(self) -> list[str]:
        return [s.data for s in self.spec.data]

    @property
    def masked_flags(self) -> list[bool]:
        return [bool(m.data) for m in self.masked.data]

    def _print_access(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.tensor)
        _print_subscript(printer, self.spec_list, self.indices)
        if any(self.masked_flags):
            printer.print_string(" masked [" + ", ".join("1" if m else "0" for m in self.masked_flags) + "]")

    @staticmethod
    def _parse_access(parser: Parser):
        tensor = parser.parse_unresolved_operand()
        spec, idx = _parse_subscript(parser)
        masked = [0] * len(idx)
        if parser.parse_optional_keyword("masked"):
            masked = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
        return tensor, spec, idx, masked

    def verify_(self) -> None:
        spec = self.spec_list
        if spec.count("i") != len(self.indices):
            raise VerifyException(f"{self.name}: subscript has {spec.count('i')} index slots, {len(self.indices)} operands")
        if len(self.masked.data) != len(self.indices):
            raise VerifyException(f"{self.name}: need one `masked` flag per index operand")
        if len([s for s in spec if s != "None"]) != self.tensor.type.rank:
            raise VerifyException(
                f"{self.name}: subscript of rank {len([s for s in spec if s != 'None'])} on a tensor of rank {self.tensor.type.rank}"
            )


def _index_types(parser: Parser, idx) -> list[Attribute]:
    if not idx:
        return []
    parser.parse_punctuation("[")
    types = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_type)
    parser.parse_punctuation("]")
    return types


def _print_index_types(printer: Printer, indices: Sequence[SSAValue]) -> None:
    if indices:
        printer.print_string("[")
        printer.print_list([i.type for i in indices], printer.print_attribute)
        printer.print_string("]")


@irdl_op_definition
class LoadOp(_Access):
    """`%v = tile.load %x[%t, :] : !tile.tensor<...> [index types] -> !tile.tile<...>`.

    Lanes outside a masked range read `other` (the neutral element of the consumer).
    (Operands are declared per class: xDSL orders inherited operand fields after the subclass's.)
    """

    name = "tile.load"
    tensor = operand_def(TensorType)
    indices = var_operand_def()
    spec = prop_def(ArrayAttr[StringAttr])
    masked = prop_def(ArrayAttr[IntAttr])
    other = prop_def(StringAttr)
    result = result_def(TileType)

    @classmethod
    def build_load(cls, tensor: SSAValue, spec, indices, result_type, masked=None, other="0") -> "LoadOp":
        return cls.create(
            operands=[tensor, *indices],
            result_types=[result_type],
            properties={
                "spec": _spec_attr(spec),
                "masked": ArrayAttr(IntAttr(int(m)) for m in (masked or [0] * len(indices))),
                "other": StringAttr(other),
            },
        )

    def print(self, printer: Printer) -> None:
        self._print_access(printer)
        if any(self.masked_flags):
            printer.print_string(f" other {self.other.data}")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.tensor.type)
        printer.print_string(" ")
        _print_index_types(printer, self.indices)
        printer.print_string(" -> " if self.indices else "-> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> "LoadOp":
        tensor, spec, idx, masked = cls._parse_access(parser)
        other = "0"
        if parser.parse_optional_keyword("other"):
            other = _parse_scalar_text(parser)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        ttype = parser.parse_type()
        itypes = _index_types(parser, idx)
        parser.parse_punctuation("->")
        rtype = parser.parse_type()
        op = cls.build_load(
            parser.resolve_operand(tensor, ttype),
            spec,
            [parser.resolve_operand(o, t) for o, t in zip(idx, itypes)],
            rtype,
            masked,
            other,
        )
        op.attributes.update(attrs)
        return op


@irdl_op_definition
class StoreOp(_Access):
    """`tile.store %out[%t, :], %v : !tile.tensor<...> [index types], !tile.tile<...>`."""

    name = "tile.store"
    tensor = operand_def(TensorType)
    indices = var_operand_def()
    value = operand_def(TileType)
    spec = prop_def(ArrayAttr[StringAttr])
    masked = prop_def(ArrayAttr[IntAttr])

    @classmethod
    def build_store(cls, tensor: SSAValue, spec, indices, value: SSAValue, masked=None) -> "StoreOp":
        return cls.build(
            operands=[tensor, list(indices), value],
            properties={
                "spec": _spec_attr(spec),
                "masked": ArrayAttr(IntAttr(int(m)) for m in (masked or [0] * len(indices))),
            },
        )

    def print(self, printer: Printer) -> None:
        self._print_access(printer)
        printer.print_string(", ")
        printer.print_ssa_value(self.value)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.tensor.type)
        if self.indices:
            printer.print_string(" ")
        _print_index_types(printer, self.indices)
        printer.print_string(", ")
        printer.print_attribute(self.value.type)

    @classmethod
    def parse(cls, parser: Parser) -> "StoreOp":
        tensor, spec, idx, masked = cls._parse_access(parser)
        parser.parse_punctuation(",")
        value = parser.parse_unresolved_operand()
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        ttype = parser.parse_type()
        itypes = _index_types(parser, idx)
        parser.parse_punctuation(",")
        vtype = parser.parse_type()
        op = cls.build_store(
            parser.resolve_operand(tensor, ttype),
            spec,
            [parser.resolve_operand(o, t) for o, t in zip(idx, itypes)],
            parser.resolve_operand(value, vtype),
            masked,
        )
        op.attributes.update(attrs)
        return op


def _parse_scalar_text(parser: Parser) -> str:
    """A scalar literal as written in the IR: `0`, `-inf`, `1.5`, `inf`."""
    neg = parser.parse_optional_punctuation("-") is not None
    if (kw := parser.parse_optional_keyword_in(("inf", "nan"))) is not None:
        text = kw
    else:
        num = parser.parse_optional_number()
        if num is None:
            parser.raise_error("expected a number, `inf` or `nan`")
        text = repr(num) if isinstance(num, float) else str(num)
    return ("-" + text) if neg else text


# ---------------------------------------------------------------- values


class _Binary(IRDLOperation):
    """Elementwise binary op with torch broadcasting and type promotion."""

    lhs = operand_def(TileType)
    rhs = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[lhs, rhs], result_types=[result_type])


def _binary(op_name: str, doc: str) -> type[_Binary]:
    cls = type(op_name.split(".")[1].title() + "Op", (_Binary,), {"name": op_name, "__doc__": doc})
    return irdl_op_definition(cls)


AddOp = _binary("tile.add", "a + b")
SubOp = _binary("tile.sub", "a - b")
MulOp = _binary("tile.mul", "a * b")
DivOp = _binary("tile.div", "a / b (true division)")
FloorDivOp = _binary("tile.floordiv", "a // b of integers, truncated toward zero as in Triton (the frontend builds torch's floor division from it)")
RemOp = _binary("tile.rem", "a % b with the dividend's sign, as in Triton and C (the frontend builds torch's remainder from it)")
MaximumOp = _binary("tile.maximum", "torch.maximum(a, b)")
MinimumOp = _binary("tile.minimum", "torch.minimum(a, b)")
AndOp = _binary("tile.and", "a & b")
OrOp = _binary("tile.or", "a | b")
PowOp = _binary("tile.pow", "a ** b")
LtOp = _binary("tile.lt", "a < b")
LeOp = _binary("tile.le", "a <= b")
GtOp = _binary("tile.gt", "a > b")
GeOp = _binary("tile.ge", "a >= b")
EqOp = _binary("tile.eq", "a == b")
NeOp = _binary("tile.ne", "a != b")

BINARY_OPS = (AddOp, SubOp, MulOp, DivOp, FloorDivOp, RemOp, MaximumOp, MinimumOp, AndOp, OrOp, PowOp,
              LtOp, LeOp, GtOp, GeOp, EqOp, NeOp)
COMPARE_OPS = (LtOp, LeOp, GtOp, GeOp, EqOp, NeOp)


class _Unary(IRDLOperation):
    """Elementwise unary op; the result has the operand's shape and element type."""

    operand = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[operand], result_types=[result_type or operand.type])


def _unary(op_name: str, doc: str) -> type[_Unary]:
    cls = type(
        op_name.split(".")[1].title().replace("_", "") + "Op",
        (_Unary,),
        {"name": op_name, "__doc__": doc},
    )
    return irdl_op_definition(cls)


UNARY_NAMES = ("exp", "exp2", "log", "log2", "log1p", "sqrt", "rsqrt", "sigmoid", "tanh", "abs",
               "neg", "relu", "sin", "cos", "erf", "silu", "gelu", "not", "floor", "ceil")
UNARY_OPS = {n: _unary(f"tile.{n}", f"elementwise {n}") for n in UNARY_NAMES}


@irdl_op_definition
class CastOp(IRDLOperation):
    """Convert the element type (`.to(dtype)`); the shape is kept."""

    name = "tile.cast"
    operand = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type])


@irdl_op_definition
class ConstantOp(IRDLOperation):
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
class SymbolOp(IRDLOperation):
    """The value of a size, stride or block-size symbol (or a symbolic expression of them)."""

    name = "tile.symbol"
    expr = prop_def(StringAttr)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$expr attr-dict `:` type($result)"

    def __init__(self, expr: str, result_type: TileType):
        super().__init__(properties={"expr": StringAttr(expr)}, result_types=[result_type])


@irdl_op_definition
class WhereOp(IRDLOperation):
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


REDUCE_KINDS = ("sum", "max", "min", "prod", "argmax", "argmin")


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """Reduce one dim: `tile.reduce sum %v dim 1 keepdim : ... -> ...`."""

    name = "tile.reduce"
    operand = operand_def(TileType)
    result = result_def(TileType)
    kind = prop_def(StringAttr)
    dim = prop_def(IntegerAttr[I64])
    keepdim = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = "$kind $operand `dim` $dim `keepdim` $keepdim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, kind: str, operand: SSAValue, dim: int, keepdim: bool, result_type: Attribute):
        super().__init__(
            operands=[operand],
            result_types=[result_type],
            properties={"kind": StringAttr(kind), "dim": IntegerAttr(dim, 64), "keepdim": IntegerAttr(int(keepdim), 64)},
        )

    def verify_(self) -> None:
        if self.kind.data not in REDUCE_KINDS:
            raise VerifyException(f"tile.reduce: unknown kind {self.kind.data!r}; known: {', '.join(REDUCE_KINDS)}")
        rank = self.operand.type.rank
        if not 0 <= self.dim.value.data < rank:
            raise VerifyException(f"tile.reduce: dim {self.dim.value.data} out of range for rank {rank}")


@irdl_op_definition
class SoftmaxOp(IRDLOperation):
    """softmax (or log_softmax when `log` is 1) along one dim; the `decompose` pass expands it."""

    name = "tile.softmax"
    operand = operand_def(TileType)
    result = result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    log = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim `log` $log attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int, log: bool, result_type: Attribute):
        super().__init__(
            operands=[operand],
            result_types=[result_type],
            properties={"dim": IntegerAttr(dim, 64), "log": IntegerAttr(int(log), 64)},
        )


@irdl_op_definition
class ExpandOp(IRDLOperation):
    """Reshape by inserting unit dims: `spec` has `:` for each kept dim and `None` for each new one."""

    name = "tile.expand"
    operand = operand_def(TileType)
    result = result_def(TileType)
    spec = prop_def(ArrayAttr[StringAttr])
    traits = traits_def(Pure())
    assembly_format = "$operand $spec attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, spec: Sequence[str], result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type], properties={"spec": _spec_attr(spec)})


# ---------------------------------------------------------------- after tiling


@irdl_op_definition
class ProgramRangeOp(IRDLOperation):
    """The range this program covers along grid axis `axis` (made by `tiling`)."""

    name = "tile.program_range"
    axis = prop_def(IntegerAttr[I64])
    result = result_def(RangeType)
    traits = traits_def(Pure())
    assembly_format = "`axis` $axis attr-dict `:` type($result)"

    def __init__(self, axis: int, result_type: RangeType):
        super().__init__(properties={"axis": IntegerAttr(axis, 64)}, result_types=[result_type])


@irdl_op_definition
class WholeRangeOp(IRDLOperation):
    """One block covering a whole dim (`:` in a subscript), made by `reduction-lowering`
    in persistent mode: block = next_power_of_2(extent)."""

    name = "tile.whole_range"
    result = result_def(RangeType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, result_type: RangeType):
        super().__init__(result_types=[result_type])


@irdl_op_definition
class MaskFillOp(IRDLOperation):
    """Set the lanes of `operand` that lie past the end of `range` (along `dim`) to `fill`.

    Inserted by `masking` before a reduction over a range that may overhang, with
    the neutral element of the reduction; `mask-elision` removes it when proven useless.
    """

    name = "tile.mask_fill"
    operand = operand_def(TileType)
    range = operand_def(RangeType)
    result = result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    fill = prop_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$operand `,` $range `dim` $dim `fill` $fill attr-dict `:` type($operand) `,` type($range) `->` type($result)"

    def __init__(self, operand: SSAValue, range_: SSAValue, dim: int, fill: str):
        super().__init__(
            operands=[operand, range_],
            result_types=[operand.type],
            properties={"dim": IntegerAttr(dim, 64), "fill": StringAttr(fill)},
        )


from kopt.dialects.tile_contraction import DotOp, TransposeOp  # noqa: E402 - ops of their own files
from kopt.dialects.tile_access import AtomicViewOp, MaskedViewOp, TileAttrOp  # noqa: E402
from kopt.dialects.tile_layout import BroadcastToOp, FullLikeOp, ReshapeOp  # noqa: E402
from kopt.dialects.tile_reduce import DimSizeOp  # noqa: E402

Tile = Dialect(
    "tile",
    [
        HostFuncOp, PyStmtOp, LaunchOp, HostReturnOp, KernelOp, ForOp, YieldOp, LoadOp, StoreOp,
        *BINARY_OPS, *UNARY_OPS.values(), CastOp, ConstantOp, SymbolOp, WhereOp, ReduceOp, SoftmaxOp,
        ExpandOp, ProgramRangeOp, WholeRangeOp, MaskFillOp, DotOp, TransposeOp,
        TileAttrOp, MaskedViewOp, AtomicViewOp, ReshapeOp, BroadcastToOp, FullLikeOp, DimSizeOp,
    ],
    [TensorType, TileType, RangeType],
)

__all__ = ["Tile", "PointerType", "DotOp", "TransposeOp", "TileAttrOp", "MaskedViewOp", "AtomicViewOp",
           "ReshapeOp", "BroadcastToOp", "FullLikeOp", "DimSizeOp"]
