"""The tt dialect: the Triton level.

It holds what Triton's Python API has and the tile dialect has not: program ids,
`arange`, pointer arithmetic and loads/stores through pointer blocks with an
explicit mask and `other`. Elementwise math, reductions, `where` and `expand`
keep using the tile dialect's ops (as MLIR's `arith` is shared by every level);
their operands are then Triton blocks with block-size shapes.
"""

from __future__ import annotations

from xdsl.dialects.builtin import I64, IntegerAttr, StringAttr
from xdsl.ir import Attribute, Dialect, SSAValue
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
from xdsl.traits import Pure

from kopt.dialects.types import PointerType, TensorType, TileType


@irdl_op_definition
class ProgramIdOp(IRDLOperation):
    """`tl.program_id(axis)`."""

    name = "tt.program_id"
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "`axis` $axis attr-dict `:` type($result)"

    def __init__(self, axis: int, result_type: TileType):
        super().__init__(properties={"axis": IntegerAttr(axis, 64)}, result_types=[result_type])


@irdl_op_definition
class ArangeOp(IRDLOperation):
    """`tl.arange(0, BLOCK)`: the block size is the one dim of the result type."""

    name = "tt.arange"
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, result_type: TileType):
        super().__init__(result_types=[result_type])


@irdl_op_definition
class AddPtrOp(IRDLOperation):
    """`base + offsets`: a block of pointers into a tensor argument."""

    name = "tt.addptr"
    base = operand_def(TensorType)
    offsets = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$base `,` $offsets attr-dict `:` type($base) `,` type($offsets) `->` type($result)"

    def __init__(self, base: SSAValue, offsets: SSAValue, result_type: Attribute):
        super().__init__(operands=[base, offsets], result_types=[result_type])


@irdl_op_definition
class LoadOp(IRDLOperation):
    """`tl.load(ptrs, mask, other=other)`; without a mask every lane is read."""

    name = "tt.load"
    ptrs = operand_def(TileType)
    mask = opt_operand_def(TileType)
    other = prop_def(StringAttr)
    result = result_def(TileType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = (
        "$ptrs (`mask` $mask^)? `other` $other attr-dict `:` type($ptrs) (`,` type($mask)^)? `->` type($result)"
    )

    def __init__(self, ptrs: SSAValue, mask: SSAValue | None, other: str, result_type: Attribute):
        super().__init__(
            operands=[ptrs, [mask] if mask is not None else []],
            result_types=[result_type],
            properties={"other": StringAttr(other)},
        )


@irdl_op_definition
class StoreOp(IRDLOperation):
    """`tl.store(ptrs, value, mask)`."""

    name = "tt.store"
    ptrs = operand_def(TileType)
    value = operand_def(TileType)
    mask = opt_operand_def(TileType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = (
        "$ptrs `,` $value (`mask` $mask^)? attr-dict `:` type($ptrs) `,` type($value) (`,` type($mask)^)?"
    )

    def __init__(self, ptrs: SSAValue, value: SSAValue, mask: SSAValue | None):
        super().__init__(operands=[ptrs, value, [mask] if mask is not None else []])


TT = Dialect("tt", [ProgramIdOp, ArangeOp, AddPtrOp, LoadOp, StoreOp], [PointerType])
