"""Reductions of the tile dialect: `tile.reduce`, `tile.softmax`, `tile.dim_size`, `tile.mask_fill`.

`tile.reduce` states its neutral element and combiner per kind (masking fills lanes past a
range's end with the neutral element; a looped reduction folds chunks with the combiner).

`tile.dim_size`: how many elements a tile value really holds along one dim. `x.mean(1)` is
`x.sum(1) / (size of dim 1)`, but a tile's dims are `?` until `shape-inference`, so the frontend
cannot name the divisor; the `resolve-dim-sizes` pass replaces the op once shapes are known: a
whole dim gives its extent (`_m`, never the padded `_RDIM_SIZE_1`), a loop tile's dim its valid
lanes (`end - begin`, shorter for the last tile), a literal dim its value.

`tile.mask_fill`: set the lanes of a tile that lie past the end of a range (along one dim) to a
value; `masking` inserts it before a reduction, `mask-elision` removes it where proven useless.
"""

from __future__ import annotations

from xdsl.dialects.builtin import I64, IntegerAttr, StringAttr, UnitAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.dtypes import i32, is_float
from kopt.dialects.enums import ReduceKindAttr, enum_attr
from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape, OrdersLanes, Reduces
from kopt.dialects.shape_rules import reduced_map, reduced_shape, right_aligned
from kopt.dialects.tile_elementwise import AddOp, GtOp, LtOp, MaximumOp, MinimumOp, MulOp
from kopt.dialects.types import RangeType, TileType

# the value that leaves a reduction unchanged; integers use the i32 extremes (Triton's max/min of int blocks)
_NEUTRAL = {"sum": "0", "prod": "1", "max": "-inf", "argmax": "-inf", "min": "inf", "argmin": "inf"}
_INT_NEUTRAL = {"max": "-2147483648", "argmax": "-2147483648", "min": "2147483647", "argmin": "2147483647"}
_COMBINER = {"sum": AddOp, "prod": MulOp, "max": MaximumOp, "min": MinimumOp}
_ARG = {"argmax": ("max", GtOp), "argmin": ("min", LtOp)}  # strict: the first occurrence wins, as in torch


def neutral_of(kind: str, element_type: Attribute) -> str:
    return _NEUTRAL[kind] if is_float(element_type) or kind not in _INT_NEUTRAL else _INT_NEUTRAL[kind]


def _dim(op) -> int:
    return op.dim.value.data


def _renumbered(op, operand: SSAValue, dropped: dict) -> dict[str, Attribute] | None:
    """`dim` of an op over `operand`, renumbered for the operand dims that go (None if the dim itself goes)."""
    gone = dropped.get(operand, [])
    if _dim(op) in gone:
        return None
    return {"dim": IntegerAttr(_dim(op) - sum(d < _dim(op) for d in gone), 64)} if gone else {}


@irdl_op_definition
class ReduceOp(IRDLOperation, InfersShape, HasDimMap, Reduces):
    """Reduce one dim: `tile.reduce sum %v dim 1 keepdim : ... -> ...`."""

    name = "tile.reduce"
    operand = operand_def(TileType)
    result = result_def(TileType)
    kind = prop_def(ReduceKindAttr)
    dim = prop_def(IntegerAttr[I64])
    keepdim = opt_prop_def(UnitAttr)
    nan = opt_prop_def(UnitAttr)  # max/min/argmax/argmin as torch: a NaN wins (the user's reductions)
    traits = traits_def(Pure())
    assembly_format = ("$kind $operand `dim` $dim (`keepdim` $keepdim^)? (`nan` $nan^)? attr-dict `:` type($operand) "
                       "`->` type($result)")

    def __init__(self, kind: str, operand: SSAValue, dim: int, keepdim: bool, result_type: Attribute,
                 nan: bool = False):
        props = {"kind": enum_attr(ReduceKindAttr, kind, "tile.reduce"), "dim": IntegerAttr(dim, 64)}
        if keepdim:
            props["keepdim"] = UnitAttr()
        if nan and kind in ("max", "min", "argmax", "argmin") and is_float(operand.type.element_type):
            props["nan"] = UnitAttr()
        super().__init__(operands=[operand], result_types=[result_type], properties=props)

    @property
    def propagates_nan(self) -> bool:
        """A NaN in the reduced lanes is the result (its index, for argmax/argmin), as in torch. Internal maxima
        (softmax's, logsumexp's) leave it off: a NaN reaches their result through the exp anyway."""
        return self.nan is not None

    @property
    def kind_name(self) -> str:
        return self.kind.data.value

    @property
    def keeps_dim(self) -> bool:
        return self.keepdim is not None

    @property
    def reduced_size(self) -> str:
        """The size of the dim it reduces."""
        return self.operand.type.dims[_dim(self)]

    def infer_dims(self, sizes) -> list[str]:
        return reduced_shape(self.operand.type.dims, _dim(self), self.keeps_dim)

    def result_dims(self) -> list[list[DimRef] | None]:
        return reduced_map(self.operand, _dim(self), self.keeps_dim)

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        if self.keeps_dim and _dim(self) in dropped.get(self.result, []) and _dim(self) not in dropped.get(self.operand, []):
            return None  # the kept unit dim is tied to a dropped one, but the property makes it
        return _renumbered(self, self.operand, dropped)

    def reduced_dims(self) -> list[DimRef]:
        return [(self.operand, _dim(self))]

    def neutral(self, element_type: Attribute) -> str:
        return neutral_of(self.kind_name, element_type)

    def combiner(self) -> type | None:
        """The binary op that folds two partial results (None for argmax/argmin, which carry an index)."""
        return _COMBINER.get(self.kind_name)

    def arg_parts(self) -> tuple[str, type] | None:
        """For argmax/argmin: the kind of the value reduction beside it and the strict comparison that
        says a chunk's best beats the running one."""
        return _ARG.get(self.kind_name)

    def verify_(self) -> None:
        rank = self.operand.type.rank
        if not 0 <= _dim(self) < rank:
            raise VerifyException(f"tile.reduce: dim {_dim(self)} out of range for rank {rank}")


@irdl_op_definition
class SoftmaxOp(IRDLOperation, InfersShape, HasDimMap, Reduces):
    """softmax (or log_softmax with `log`) along one dim; the `decompose` pass expands it."""

    name = "tile.softmax"
    operand = operand_def(TileType)
    result = result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    log = opt_prop_def(UnitAttr)
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim (`log` $log^)? attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int, log: bool, result_type: Attribute):
        props = {"dim": IntegerAttr(dim, 64)}
        if log:
            props["log"] = UnitAttr()
        super().__init__(operands=[operand], result_types=[result_type], properties=props)

    @property
    def is_log(self) -> bool:
        return self.log is not None

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return right_aligned(self.result, [self.operand])

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return _renumbered(self, self.operand, dropped)

    def reduced_dims(self) -> list[DimRef]:
        return [(self.operand, _dim(self))]

    def neutral(self, element_type: Attribute) -> str:
        return "-inf"  # exp(-inf) = 0: a lane past the end takes no share


@irdl_op_definition
class DimSizeOp(IRDLOperation, InfersShape, HasDimMap):
    """`%n = tile.dim_size %x dim 1 : !tile.tile<[B, _m], f32> -> !tile.tile<[], i32>`."""

    name = "tile.dim_size"
    operand = operand_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int):
        super().__init__(operands=[operand], result_types=[TileType([], i32)], properties={"dim": IntegerAttr(dim, 64)})

    def infer_dims(self, sizes) -> list[str]:
        return []

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return _renumbered(self, self.operand, dropped)

    def verify_(self) -> None:
        if not 0 <= _dim(self) < self.operand.type.rank:
            raise VerifyException(f"tile.dim_size: dim {_dim(self)} out of range for rank {self.operand.type.rank}")


@irdl_op_definition
class MaskFillOp(IRDLOperation, InfersShape, HasDimMap):
    """Set the lanes of `operand` that lie past the end of `range` (along `dim`) to `fill`."""

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

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return right_aligned(self.result, [self.operand])

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return _renumbered(self, self.operand, dropped)


@irdl_op_definition
class ScanOp(IRDLOperation, InfersShape, HasDimMap, OrdersLanes):
    """`torch.cumsum(x, d)` / `torch.cumprod(x, d)`: inclusive prefix sums (products) along dim `d`
    (`tl.cumsum` / `tl.cumprod`). Forward only: lanes past a range's end come after every valid lane and
    change none of them, so no mask is needed."""

    name = "tile.scan"
    operand = operand_def(TileType)
    result = result_def(TileType)
    kind = prop_def(ReduceKindAttr)
    dim = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = "$kind $operand `dim` $dim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, kind: str, operand: SSAValue, dim: int, result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type],
                         properties={"kind": enum_attr(ReduceKindAttr, kind, "tile.scan"), "dim": IntegerAttr(dim, 64)})

    @property
    def kind_name(self) -> str:
        return self.kind.data.value

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.operand, i)] for i in range(self.operand.type.rank)]

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        gone, d = dropped.get(self.operand, []), self.dim.value.data
        if d in gone:
            return None
        return {"dim": IntegerAttr(d - sum(g < d for g in gone), 64)} if gone else {}

    def ordered_dims(self) -> list[int]:
        return [self.dim.value.data]

    def verify_(self) -> None:
        if self.kind_name not in ("sum", "prod"):
            raise VerifyException(f"tile.scan: kind {self.kind_name} (sum or prod)")
        if not 0 <= self.dim.value.data < self.operand.type.rank:
            raise VerifyException(f"tile.scan: dim {self.dim.value.data} out of range for rank {self.operand.type.rank}")


REDUCE_OPS = (ReduceOp, SoftmaxOp, DimSizeOp, MaskFillOp, ScanOp)

__all__ = ["ReduceOp", "SoftmaxOp", "DimSizeOp", "MaskFillOp", "ScanOp", "REDUCE_OPS", "neutral_of"]
