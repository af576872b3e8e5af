"""Types of the tile dialect: symbolically shaped tensors, tiles and ranges.

Shapes are lists of symbolic expressions kept as text (`n`, `_BLOCK_SIZE_0`,
`"n // 2"`, or `?` before shape inference). They print bare when they are a
name or an integer and quoted otherwise, so every type prints and parses back
to identical text. The analysis package turns the text into sympy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer

UNKNOWN = "?"
_BARE = re.compile(r"^(\?|-?\d+|[A-Za-z_][A-Za-z0-9_]*)$")


def print_dim(printer: Printer, dim: str) -> None:
    printer.print_string(dim if _BARE.match(dim) else f'"{dim}"')


def parse_dim(parser: AttrParser) -> str:
    if parser.parse_optional_punctuation("?") is not None:
        return UNKNOWN
    if (value := parser.parse_optional_integer(allow_boolean=False)) is not None:
        return str(value)
    if (name := parser.parse_optional_identifier()) is not None:
        return name
    text = parser.parse_optional_str_literal()
    if text is None:
        parser.raise_error("expected a size: a name, an integer, `?` or a quoted expression")
    return text


def _print_dims(printer: Printer, dims: Sequence[str]) -> None:
    printer.print_string("[")
    for i, dim in enumerate(dims):
        if i:
            printer.print_string(", ")
        print_dim(printer, dim)
    printer.print_string("]")


def _parse_dims(parser: AttrParser) -> list[str]:
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: parse_dim(parser))


def _dims_attr(dims: Sequence[str]) -> ArrayAttr[StringAttr]:
    return ArrayAttr(StringAttr(str(d)) for d in dims)


class _Shaped:
    """Accessors shared by the shaped types."""

    shape: ArrayAttr[StringAttr]

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(d.data for d in self.shape.data)

    @property
    def rank(self) -> int:
        return len(self.shape.data)


@irdl_attr_definition
class TensorType(_Shaped, ParametrizedAttribute, TypeAttribute):
    """A tensor in global memory, passed to a kernel: `!tile.tensor<[n, m], f32, [sx0, sx1]>`.

    Sizes and strides are symbols: one compile serves every size and layout.
    """

    name = "tile.tensor"
    shape: ArrayAttr[StringAttr]
    element_type: Attribute
    strides: ArrayAttr[StringAttr]

    def __init__(self, dims: Sequence[str], element_type: Attribute, strides: Sequence[str]):
        super().__init__(_dims_attr(dims), element_type, _dims_attr(strides))

    @property
    def stride_names(self) -> tuple[str, ...]:
        return tuple(s.data for s in self.strides.data)

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            _print_dims(printer, self.dims)
            printer.print_string(", ")
            printer.print_attribute(self.element_type)
            printer.print_string(", ")
            _print_dims(printer, self.stride_names)

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        with parser.in_angle_brackets():
            dims = _parse_dims(parser)
            parser.parse_punctuation(",")
            element_type = parser.parse_type()
            parser.parse_punctuation(",")
            strides = _parse_dims(parser)
        return (_dims_attr(dims), element_type, _dims_attr(strides))


@irdl_attr_definition
class TileType(_Shaped, ParametrizedAttribute, TypeAttribute):
    """A block of values held by one program: `!tile.tile<[_BLOCK_SIZE_0, _m], f32>`.

    Rank 0 is a scalar. The element type may be a `!tt.ptr` at the Triton level.
    """

    name = "tile.tile"
    shape: ArrayAttr[StringAttr]
    element_type: Attribute

    def __init__(self, dims: Sequence[str], element_type: Attribute):
        super().__init__(_dims_attr(dims), element_type)

    def with_dims(self, dims: Sequence[str]) -> "TileType":
        return TileType(dims, self.element_type)

    def with_element(self, element_type: Attribute) -> "TileType":
        return TileType(self.dims, element_type)

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            _print_dims(printer, self.dims)
            printer.print_string(", ")
            printer.print_attribute(self.element_type)

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        with parser.in_angle_brackets():
            dims = _parse_dims(parser)
            parser.parse_punctuation(",")
            element_type = parser.parse_type()
        return (_dims_attr(dims), element_type)


@irdl_attr_definition
class RangeType(ParametrizedAttribute, TypeAttribute):
    """The indices one program covers along one loop dim: `!tile.range<n, _BLOCK_SIZE_0>`.

    It covers `[begin + k*block, begin + (k+1)*block) ∩ [begin, begin + extent)`.
    Whether the last block overhangs the extent is what masking asks about.
    """

    name = "tile.range"
    extent: StringAttr
    block: StringAttr
    begin: StringAttr

    def __init__(self, extent: str, block: str, begin: str = "0"):
        super().__init__(StringAttr(str(extent)), StringAttr(str(block)), StringAttr(str(begin)))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            print_dim(printer, self.extent.data)
            printer.print_string(", ")
            print_dim(printer, self.block.data)
            if self.begin.data != "0":
                printer.print_string(", begin ")
                print_dim(printer, self.begin.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        with parser.in_angle_brackets():
            extent = parse_dim(parser)
            parser.parse_punctuation(",")
            block = parse_dim(parser)
            begin = "0"
            if parser.parse_optional_punctuation(","):
                parser.parse_keyword("begin")
                begin = parse_dim(parser)
        return (StringAttr(extent), StringAttr(block), StringAttr(begin))


@irdl_attr_definition
class PointerType(ParametrizedAttribute, TypeAttribute):
    """A pointer into global memory at the Triton level: `!tt.ptr<f32>`."""

    name = "tt.ptr"
    pointee: Attribute

    def __init__(self, pointee: Attribute):
        super().__init__(pointee)

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.pointee)

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        with parser.in_angle_brackets():
            return (parser.parse_type(),)
