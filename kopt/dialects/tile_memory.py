"""Memory ops of the tile dialect: `tile.load` / `tile.store` by subscript, and the ranges programs cover.

A subscript has one entry per position: a range (a loop's tile: `B` lanes), `:` (the whole dim),
`None` (a new unit dim), a rank-0 index (drops the dim: `hl.grid`'s index, an integer) or a tile of
integer indices (a gather: its dims take the place). The ops state the shape a subscript addresses
and which loop range or index dim each of its dims runs along.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, I64, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def, var_operand_def
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape, ShapeError
from kopt.dialects.shape_rules import broadcast, fmt_shape
from kopt.dialects.types import RangeType, TensorType, TileType

# ---------------------------------------------------------------- subscripts


def _print_subscript(printer: Printer, spec: Sequence[str], indices: Sequence[SSAValue]) -> None:
    it = iter(indices)
    printer.print_string("[")
    for i, s in enumerate(spec):
        if i:
            printer.print_string(", ")
        if s == "i":
            printer.print_ssa_value(next(it))
        else:
            printer.print_string(s)
    printer.print_string("]")


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


def spec_attr(spec: Sequence[str]) -> ArrayAttr[StringAttr]:
    return ArrayAttr(StringAttr(s) for s in spec)


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


class Access(IRDLOperation, InfersShape, HasDimMap):
    """Shared part of tile.load and tile.store: a tensor, a subscript, an optional mask.

    The subscript `spec` has one entry per subscript position: `i` takes the next
    index operand (a range, or a rank-0 scalar index that drops the dim, or a tile of
    indices), `:` is the whole dim, `None` a new unit dim. `masked` holds one flag per
    index operand: whether that range's overhang must be masked off.
    """

    @property
    def spec_list(self) -> list[str]:
        return [s.data for s in self.spec.data]

    @property
    def masked_flags(self) -> list[bool]:
        return [bool(m.data) for m in self.masked.data]

    def set_subscript(self, spec: Sequence[str], indices: Sequence[SSAValue], masked: Sequence[int] | None = None) -> None:
        """Replace the subscript (and its index operands; masks reset unless given)."""
        tail = [self.value] if isinstance(self, StoreOp) else []
        self.operands = [self.tensor, *indices, *tail]
        self.properties["spec"] = spec_attr(spec)
        self.properties["masked"] = ArrayAttr(IntAttr(int(m)) for m in (masked or [0] * len(indices)))

    def tensor_dims(self) -> list[str]:
        """The tensor dim under each subscript entry ('' for `None`)."""
        dims, out = iter(self.tensor.type.dims), []
        for s in self.spec_list:
            out.append("" if s == "None" else next(dims))
        return out

    def entries(self) -> list[tuple[str, list[DimRef]]]:
        """Per dim of the block the subscript addresses: the entry that makes it (`None`, `:`, `range`,
        `gather`) and the dims it runs along (the range, or the index tile's dim)."""
        out: list[tuple[str, list[DimRef]]] = []
        indices = iter(self.indices)
        for s in self.spec_list:
            if s in (":", "None"):
                out.append((s, []))
                continue
            idx = next(indices)
            if isinstance(idx.type, RangeType):
                out.append(("range", [(idx, 0)]))
            else:  # a tile of indices puts its own dims here; a scalar index drops the dim
                out += [("gather", [(idx, j)]) for j in range(idx.type.rank)]
        return out

    def access_shape(self) -> list[str]:
        """The shape a subscript addresses: block size per tile, extent per `:`, 1 per `None`."""
        used = len([s for s in self.spec_list if s != "None"])
        if used != self.tensor.type.rank or self.spec_list.count("i") != len(self.indices):
            raise ShapeError(f"subscript with {used} entries on `{self.tensor.name_hint or 'tensor'}` of shape "
                             f"{fmt_shape(self.tensor.type.dims)} (rank {self.tensor.type.rank})")
        dims, tensor_dims, indices = [], iter(self.tensor.type.dims), iter(self.indices)
        for s in self.spec_list:
            if s == "None":
                dims.append("1")
            elif s == ":":
                dims.append(next(tensor_dims))
            else:
                next(tensor_dims)
                idx = next(indices)
                dims.extend([idx.type.block.data] if isinstance(idx.type, RangeType) else idx.type.dims)
        return dims

    def _value_entries(self, value: SSAValue) -> list[tuple[str | None, list[DimRef]]]:
        """The subscript entries lined up with a value's dims from the right (a stored value may broadcast)."""
        entries = self.entries()
        offset = len(entries) - value.type.rank
        return [entries[i + offset] if 0 <= i + offset < len(entries) else (None, []) for i in range(value.type.rank)]

    def _keeps_unit_entries(self, value: SSAValue, dropped: dict) -> bool:
        return not any(self._value_entries(value)[d][0] == "None" for d in dropped.get(value, []))

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


@irdl_op_definition
class LoadOp(Access):
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
                "spec": spec_attr(spec),
                "masked": ArrayAttr(IntAttr(int(m)) for m in (masked or [0] * len(indices))),
                "other": StringAttr(other),
            },
        )

    def infer_dims(self, sizes) -> list[str]:
        return self.access_shape()

    def result_dims(self) -> list[list[DimRef] | None]:
        return [srcs for _, srcs in self.entries()]

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return {} if self._keeps_unit_entries(self.result, dropped) else None  # a `None` entry names the dim

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
class StoreOp(Access):
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
                "spec": spec_attr(spec),
                "masked": ArrayAttr(IntAttr(int(m)) for m in (masked or [0] * len(indices))),
            },
        )

    def infer_dims(self, sizes) -> None:
        """A store has no result; its value must broadcast to the subscript's shape."""
        target = self.access_shape()
        value = self.value.type.dims
        if len(value) > len(target) or broadcast(sizes, target, value) != target:
            raise ShapeError(f"cannot store a tile of shape {fmt_shape(value)} into "
                             f"`{self.tensor.name_hint or 'tensor'}[...]` of shape {fmt_shape(target)}")
        return None

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def dim_ties(self) -> list[tuple[DimRef, DimRef]]:
        return [((self.value, i), src) for i, (_, srcs) in enumerate(self._value_entries(self.value)) for src in srcs]

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return {} if self._keeps_unit_entries(self.value, dropped) else None

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


ACCESS_OPS = (LoadOp, StoreOp)


@irdl_op_definition
class BarrierOp(IRDLOperation, InfersShape, HasDimMap):
    """`tile.barrier`: every access the program's threads make before it is performed, for all of them, before any
    access after it (Triton's `tl.debug_barrier`, PTX `bar.sync`). The overlapping-tail row (reduction_pieces.py)
    loads some elements in two threads and stores them from both: the barrier puts every load before every store, so
    a tensor stored in place of one it reads is read whole first. No operands, no results; not pure (it orders
    memory), so no pass drops it."""

    name = "tile.barrier"
    assembly_format = "attr-dict"

    def infer_dims(self, sizes) -> None:
        return None

    def result_dims(self) -> list[list[DimRef] | None]:
        return []


# ---------------------------------------------------------------- ranges (after tiling)


class _RangeSource(IRDLOperation, InfersShape, HasDimMap):
    """An op that makes a range (no tile result: nothing to infer, no dims to map)."""

    def infer_dims(self, sizes) -> None:
        return None

    def result_dims(self) -> list[list[DimRef] | None]:
        return []


@irdl_op_definition
class ProgramRangeOp(_RangeSource):
    """The range this program covers along grid axis `axis` (made by `tiling`)."""

    name = "tile.program_range"
    axis = prop_def(IntegerAttr[I64])
    result = result_def(RangeType)
    traits = traits_def(Pure())
    assembly_format = "`axis` $axis attr-dict `:` type($result)"

    def __init__(self, axis: int, result_type: RangeType):
        super().__init__(properties={"axis": IntegerAttr(axis, 64)}, result_types=[result_type])


@irdl_op_definition
class WholeRangeOp(_RangeSource):
    """One block covering a whole dim (`:` in a subscript), made by `reduction-lowering`
    in persistent mode: block = next_power_of_2(extent)."""

    name = "tile.whole_range"
    result = result_def(RangeType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, result_type: RangeType):
        super().__init__(result_types=[result_type])


RANGE_OPS = (ProgramRangeOp, WholeRangeOp)

__all__ = ["Access", "LoadOp", "StoreOp", "BarrierOp", "ProgramRangeOp", "WholeRangeOp", "ACCESS_OPS", "RANGE_OPS",
           "spec_attr"]
