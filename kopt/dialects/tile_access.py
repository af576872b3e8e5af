"""Tile ops for Helion's tile attributes and its explicit accesses.

`tile.tile_attr` reads an attribute of a loop's range: `tile.index` (the lanes'
indices, a 1-D i32 tile), `tile.begin`, `tile.end`, `tile.block_size`, `tile.id`.

`hl.load(x, [...], extra_mask=m)`, `hl.store(..., extra_mask=m)` and
`hl.atomic_add(x, [...], v)` are ordinary `tile.load` / `tile.store` ops on a
*view* of the tensor: `tile.masked_view` (every access through it also needs
mask `m`) or `tile.atomic_view` (a store through it is an atomic add). Keeping
the access ops themselves unchanged means every pass that masks, elides or
re-indexes loads and stores handles these too; `lower-to-tt` folds the views
into the final `tl.load` / `tl.store` / `tl.atomic_add`.
"""

from __future__ import annotations

from xdsl.ir import Attribute, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.dialects.builtin import IntAttr
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.dtypes import i1, i32
from kopt.dialects.enums import AtomicKindAttr, TileAttrKind, TileAttrKindAttr, enum_attr
from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape
from kopt.dialects.sizes import SizeAttr, parse_size, print_size
from kopt.dialects.types import RangeType, TensorType, TileType

TILE_ATTRS = tuple(k.value for k in TileAttrKind)


@irdl_op_definition
class TileAttrOp(IRDLOperation, InfersShape, HasDimMap):
    """`%i = tile.tile_attr %tile index : !tile.range<n, B> -> !tile.tile<[B], i32>`."""

    name = "tile.tile_attr"
    range = operand_def(RangeType)
    attr = prop_def(TileAttrKindAttr)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$range $attr attr-dict `:` type($range) `->` type($result)"

    def __init__(self, range_: SSAValue, attr: str):
        dims = [range_.type.block.data] if attr == "index" else []
        super().__init__(operands=[range_], result_types=[TileType(dims, i32)],
                         properties={"attr": enum_attr(TileAttrKindAttr, attr, "tile.tile_attr")})

    @property
    def which(self) -> str:
        return self.attr.data.value

    def infer_dims(self, sizes) -> list[str]:
        return [self.range.type.block.data] if self.which == "index" else []

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.range, 0)]] if self.which == "index" else []


class _View(IRDLOperation, InfersShape, HasDimMap):
    """A view of a kernel tensor: a tensor result, no tile dims to infer or map."""

    def infer_dims(self, sizes) -> None:
        return None

    def result_dims(self) -> list[list[DimRef] | None]:
        return []


@irdl_op_definition
class MaskedViewOp(_View):
    """The tensor `x`, seen by accesses that also need `mask` (`hl.load(..., extra_mask=mask)`)."""

    name = "tile.masked_view"
    tensor = operand_def(TensorType)
    mask = operand_def(TileType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$tensor `,` $mask attr-dict `:` type($tensor) `,` type($mask) `->` type($result)"

    def __init__(self, tensor: SSAValue, mask: SSAValue):
        super().__init__(operands=[tensor, mask], result_types=[tensor.type])

    def verify_(self) -> None:
        if self.result.type != self.tensor.type:
            raise VerifyException("tile.masked_view: the view must have its tensor's type")
        if self.mask.type.element_type != i1:
            raise VerifyException("tile.masked_view: the mask must be a tile of i1")


@irdl_op_definition
class AtomicViewOp(_View):
    """The tensor `x`, where a store is an atomic read-modify-write (`hl.atomic_add`)."""

    name = "tile.atomic_view"
    tensor = operand_def(TensorType)
    kind = prop_def(AtomicKindAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$tensor $kind attr-dict `:` type($tensor) `->` type($result)"

    def __init__(self, tensor: SSAValue, kind: str = "add"):
        super().__init__(operands=[tensor], result_types=[tensor.type], properties={"kind": enum_attr(AtomicKindAttr, kind, "tile.atomic_view")})

    def verify_(self) -> None:
        if self.result.type != self.tensor.type:
            raise VerifyException("tile.atomic_view: the view must have its tensor's type")


@irdl_op_definition
class SliceViewOp(_View):
    """`x[:, begin:end]` of a kernel tensor: the tensor `x` narrowed to `begin <= i < end` along `dim`, a view
    with the same strides (lower-to-tt adds `begin * stride` to the pointers). `begin` and `end` are sizes the
    host knows; the launcher checks `0 <= begin <= end <= size` at every call."""

    name = "tile.slice_view"
    tensor = operand_def(TensorType)
    dim = prop_def(IntAttr)
    begin = prop_def(SizeAttr)
    end = prop_def(SizeAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def print(self, printer: Printer) -> None:
        """`tile.slice_view %x dim 1 [n1 : "n1 + n2"] : !tile.tensor<...> -> !tile.tensor<...>`."""
        printer.print_string(" ")
        printer.print_ssa_value(self.tensor)
        printer.print_string(f" dim {self.dim.data} [")
        print_size(printer, self.begin.data)
        printer.print_string(" : ")
        print_size(printer, self.end.data)
        printer.print_string("]")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.tensor.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> "SliceViewOp":
        tensor = parser.parse_unresolved_operand()
        parser.parse_keyword("dim")
        dim = parser.parse_integer()
        parser.parse_punctuation("[")
        begin = parse_size(parser)
        parser.parse_punctuation(":")
        end = parse_size(parser)
        parser.parse_punctuation("]")
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        ttype = parser.parse_type()
        parser.parse_punctuation("->")
        parser.parse_type()  # the result type follows from the operand's and the bounds
        op = cls(parser.resolve_operand(tensor, ttype), dim, begin, end)
        op.attributes.update(attrs)
        return op

    def __init__(self, tensor: SSAValue, dim: int, begin: str, end: str):
        t: TensorType = tensor.type
        dims = list(t.dims)
        dims[dim] = SizeAttr(f"({end}) - ({begin})" if begin != "0" else end).data
        super().__init__(operands=[tensor], result_types=[TensorType(dims, t.element_type, t.stride_names)],
                         properties={"dim": IntAttr(dim), "begin": SizeAttr(begin), "end": SizeAttr(end)})

    def verify_(self) -> None:
        if not 0 <= self.dim.data < self.tensor.type.rank:
            raise VerifyException(f"tile.slice_view: dim {self.dim.data} of a tensor of rank {self.tensor.type.rank}")
        if list(self.result.type.stride_names) != list(self.tensor.type.stride_names):
            raise VerifyException("tile.slice_view: a slice keeps its tensor's strides")


ACCESS_OPS: tuple[type[Attribute], ...] = (TileAttrOp, MaskedViewOp, AtomicViewOp, SliceViewOp)

__all__ = ["TileAttrOp", "MaskedViewOp", "AtomicViewOp", "SliceViewOp", "TILE_ATTRS"]
