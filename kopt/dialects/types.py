"""Types of the tile dialect: symbolically shaped tensors, tiles and ranges.

Shapes are lists of sizes (`SizeAttr`, kopt/dialects/sizes.py: canonical shape-language text with
its sympy form parsed once: `n`, `_BLOCK_SIZE_0`, `"n // 2"`, or `?` before shape inference).
They print bare when they are a name or an integer and quoted otherwise, so every type prints
and parses back to identical text. `.dims` gives the texts, `.sizes` the attributes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from xdsl.dialects.builtin import ArrayAttr
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer

from kopt.dialects.sizes import UNKNOWN, Interned, SizeAttr, parse_size, print_size

__all__ = ["UNKNOWN", "TensorType", "TileType", "RangeType", "PointerType", "DescriptorType", "SizeAttr"]


def _print_dims(printer: Printer, dims: Sequence[str]) -> None:
    printer.print_string("[")
    for i, dim in enumerate(dims):
        if i:
            printer.print_string(", ")
        print_size(printer, dim)
    printer.print_string("]")


def _parse_dims(parser: AttrParser) -> list[str]:
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: parse_size(parser))


def _dims_attr(dims: Sequence[str | SizeAttr]) -> ArrayAttr[SizeAttr]:
    return ArrayAttr(d if isinstance(d, SizeAttr) else SizeAttr(str(d)) for d in dims)


class _Shaped:
    """Accessors shared by the shaped types."""

    shape: ArrayAttr[SizeAttr]

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(d.data for d in self.shape.data)

    @property
    def sizes(self) -> tuple[SizeAttr, ...]:
        return tuple(self.shape.data)

    @property
    def rank(self) -> int:
        return len(self.shape.data)


@irdl_attr_definition
class TensorType(_Shaped, ParametrizedAttribute, TypeAttribute):
    """A tensor in global memory, passed to a kernel: `!tile.tensor<[n, m], f32, [sx0, sx1]>`.

    Sizes and strides are symbols: one compile serves every size and layout.
    """

    name = "tile.tensor"
    shape: ArrayAttr[SizeAttr]
    element_type: Attribute
    strides: ArrayAttr[SizeAttr]

    def __init__(self, dims: Sequence[str], element_type: Attribute, strides: Sequence[str]):
        super().__init__(_dims_attr(dims), element_type, _dims_attr(strides))

    @property
    def stride_names(self) -> tuple[str, ...]:
        return tuple(s.data for s in self.strides.data)

    @property
    def stride_sizes(self) -> tuple[SizeAttr, ...]:
        return tuple(self.strides.data)

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


class _DimsThenElement:
    """The printed form of a type of dims (`dims`) and an element type: `<[_BLOCK_SIZE_0, _m], f32>`. (No annotations
    here: xDSL would take them for parameters.)"""

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
class TileType(_DimsThenElement, _Shaped, ParametrizedAttribute, TypeAttribute, metaclass=Interned):
    """A block of values held by one program: `!tile.tile<[_BLOCK_SIZE_0, _m], f32>`.

    Rank 0 is a scalar. The element type may be a `!tt.ptr` at the Triton level.
    """

    name = "tile.tile"
    shape: ArrayAttr[SizeAttr]
    element_type: Attribute

    def __init__(self, dims: Sequence[str | SizeAttr], element_type: Attribute):
        super().__init__(_dims_attr(dims), element_type)

    @staticmethod
    def intern_key(dims, element_type) -> Hashable:
        return tuple(d.data if isinstance(d, SizeAttr) else str(d) for d in dims), element_type

    def with_dims(self, dims: Sequence[str | SizeAttr]) -> "TileType":
        return TileType(dims, self.element_type)

    def with_element(self, element_type: Attribute) -> "TileType":
        return TileType(self.dims, element_type)



@irdl_attr_definition
class RangeType(ParametrizedAttribute, TypeAttribute, metaclass=Interned):
    """The indices one program covers along one loop dim: `!tile.range<n, _BLOCK_SIZE_0>`.

    It covers `[begin + k*block, begin + (k+1)*block) ∩ [begin, begin + extent)`.
    Whether the last block overhangs the extent is what masking asks about.
    """

    name = "tile.range"
    extent: SizeAttr
    block: SizeAttr
    begin: SizeAttr

    def __init__(self, extent: str | SizeAttr, block: str | SizeAttr, begin: str | SizeAttr = "0"):
        super().__init__(*(v if isinstance(v, SizeAttr) else SizeAttr(str(v)) for v in (extent, block, begin)))

    @staticmethod
    def intern_key(extent, block, begin="0") -> Hashable:
        return tuple(v.data if isinstance(v, SizeAttr) else str(v) for v in (extent, block, begin))

    @property
    def end(self) -> SizeAttr:
        """The first index past the range: `begin + extent`."""
        return self.extent if self.begin.data == "0" else SizeAttr(f"({self.begin.data}) + ({self.extent.data})")

    @property
    def may_overhang(self) -> bool:
        """Whether the last block may reach past the extent, as far as the text shows (masking asks)."""
        return self.extent != self.block

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            print_size(printer, self.extent.data)
            printer.print_string(", ")
            print_size(printer, self.block.data)
            if self.begin.data != "0":
                printer.print_string(", begin ")
                print_size(printer, self.begin.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        with parser.in_angle_brackets():
            extent = parse_size(parser)
            parser.parse_punctuation(",")
            block = parse_size(parser)
            begin = "0"
            if parser.parse_optional_punctuation(","):
                parser.parse_keyword("begin")
                begin = parse_size(parser)
        return (SizeAttr(extent), SizeAttr(block), SizeAttr(begin))


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


@irdl_attr_definition
class DescriptorType(_DimsThenElement, _Shaped, ParametrizedAttribute, TypeAttribute):
    """A tensor descriptor (Hopper's TMA) and the block it moves: `!tt.desc<[_BLOCK_SIZE_0, _BLOCK_SIZE_2], f16>`."""

    name = "tt.desc"
    shape: ArrayAttr[SizeAttr]
    element_type: Attribute

    def __init__(self, dims: Sequence[str | SizeAttr], element_type: Attribute):
        super().__init__(_dims_attr(dims), element_type)

