"""`tile.dim_size`: how many elements a tile value really holds along one dim.

`x.mean(1)` is `x.sum(1) / (size of dim 1)`, and `var` divides by it too, but a
tile's dims are `?` until `shape-inference`, so the frontend cannot name the
divisor. `reduction-lowering` resolves the op once shapes are known and before
it renames whole dims to blocks: a whole dim gives its extent (`_m`, never the
padded `_RDIM_SIZE_1`), a loop tile's dim its valid lanes (`end - begin`,
shorter for the last tile), a literal dim its value.
"""

from __future__ import annotations

from xdsl.dialects.builtin import I64, IntegerAttr
from xdsl.ir import SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.dtypes import i32
from kopt.dialects.types import TileType


@irdl_op_definition
class DimSizeOp(IRDLOperation):
    """`%n = tile.dim_size %x dim 1 : !tile.tile<[B, _m], f32> -> !tile.tile<[], i32>`."""

    name = "tile.dim_size"
    operand = operand_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int):
        super().__init__(operands=[operand], result_types=[TileType([], i32)], properties={"dim": IntegerAttr(dim, 64)})

    def verify_(self) -> None:
        if not 0 <= self.dim.value.data < self.operand.type.rank:
            raise VerifyException(f"tile.dim_size: dim {self.dim.value.data} out of range for rank {self.operand.type.rank}")
