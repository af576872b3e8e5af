"""Tile ops that change a tile's shape: expand (new unit dims), reshape, broadcast_to, full_like.

These are the Helion/torch views on tile values (`v[:, None]`, `.reshape`, `.view`,
`.squeeze`, `.expand`, `torch.zeros_like`; transposes are `tile.transpose`,
in tile_contraction.py). Each op states its own shape rule (`infer_dims`, called by
`shape-inference`), because most of their target shapes mention the operand's dims, which
are `?` until that pass runs. The backend writes them from the result type (`tl.reshape`,
`tl.broadcast_to`, `tl.full`), so renaming dims later (reduction-lowering) is safe.

A shape spec entry is a dim text (`_BLOCK_SIZE_0`, `4`), `-1` (inferred) or
`=k` (the operand's dim k).
"""

from __future__ import annotations

from typing import ClassVar

from collections.abc import Sequence

import sympy
from xdsl.dialects.builtin import I64, ArrayAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.dtypes import f32, i32, is_float
from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape, MovesLanes, OrdersLanes, ShapeError
from kopt.dialects.shape_rules import renumbered_dim, right_aligned
from kopt.dialects.sizes import SizeAttr
from kopt.dialects.types import TileType
from kopt.errors import KoptError


@irdl_op_definition
class ExpandOp(IRDLOperation, InfersShape, HasDimMap):
    """Reshape by inserting unit dims: `spec` has `:` for each kept dim and `None` for each new one."""

    name = "tile.expand"
    operand = operand_def(TileType)
    result = result_def(TileType)
    spec = prop_def(ArrayAttr[StringAttr])
    traits = traits_def(Pure())
    assembly_format = "$operand $spec attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, spec: Sequence[str], result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type], properties={"spec": _strs(spec)})

    @property
    def spec_list(self) -> list[str]:
        return [s.data for s in self.spec.data]

    def infer_dims(self, sizes) -> list[str]:
        it = iter(self.operand.type.dims)
        return [next(it) if s == ":" else "1" for s in self.spec_list]

    def result_dims(self) -> list[list[DimRef] | None]:
        kept = iter(range(self.operand.type.rank))
        return [[(self.operand, next(kept))] if s == ":" else [] for s in self.spec_list]

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        gone = dropped.get(self.result, [])
        return {"spec": _strs([s for i, s in enumerate(self.spec_list) if i not in gone])} if gone else {}


def _strs(items: Sequence[str]) -> ArrayAttr[StringAttr]:
    return ArrayAttr(StringAttr(str(s)) for s in items)


def _product(dims: Sequence[str]) -> str:
    parts = [d for d in dims if d != "1"]
    if not parts:
        return "1"
    return " * ".join(p if p.replace("_", "a").isalnum() else f"({p})" for p in parts)


def resolve_spec(spec: Sequence[str], dims: Sequence[str], what: str) -> list[str]:
    """Turn a shape spec into dims, given the operand's dims (raises ValueError when it cannot)."""
    out = [dims[int(s[1:])] if s.startswith("=") else s for s in spec]
    if out.count("-1") > 1:
        raise ValueError(f"{what}: only one dim may be -1")
    if "-1" in out:
        others = [d for d in out if d not in ("-1", "1")]
        rest = [d for d in dims if d != "1"]
        for d in others:
            if d not in rest:
                raise ValueError(f"{what}: cannot infer the -1 dim of {list(spec)} from a tile of shape {list(dims)}")
            rest.remove(d)
        out[out.index("-1")] = _product(rest)
    return out


def same_count(a: Sequence[str], b: Sequence[str]) -> bool:
    """Do two shapes hold provably the same number of elements? (products of symbols, expanded)"""
    try:
        diff = sympy.expand(SizeAttr(_product(a)).expr - SizeAttr(_product(b)).expr)
    except KoptError:
        return False
    return diff == 0


class _Reshaping(IRDLOperation, InfersShape, HasDimMap):
    """Shared by reshape and broadcast_to: an operand and a target shape spec."""

    operand = operand_def(TileType)
    result = result_def(TileType)
    shape = prop_def(ArrayAttr[StringAttr])
    traits = traits_def(Pure())
    assembly_format = "$operand $shape attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, shape: Sequence[str], result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type], properties={"shape": _strs(shape)})

    @property
    def spec(self) -> list[str]:
        return [s.data for s in self.shape.data]

    def infer_dims(self, sizes) -> list[str]:
        return _resolved(self.spec, self.operand.type.dims, self.name)

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return None if dropped.get(self.result) or dropped.get(self.operand) else {}  # the spec names dims

    def verify_(self) -> None:
        for s in self.spec:
            if s.startswith("=") and not (s[1:].isdigit() and int(s[1:]) < self.operand.type.rank):
                raise VerifyException(f"{self.name}: `{s}` names no dim of a rank-{self.operand.type.rank} tile")


@irdl_op_definition
class ReshapeOp(_Reshaping):
    """`x.reshape(...)`, `x.view(...)`, `x.squeeze(d)`: same elements, new shape (`tl.reshape`)."""

    name = "tile.reshape"

    def result_dims(self) -> list[list[DimRef] | None]:
        return [None] * self.result.type.rank  # elements move between dims: no dim runs along one of the operand's

    def infer_dims(self, sizes) -> list[str]:
        dims = self.operand.type.dims
        out = _resolved(self.spec, dims, self.name)
        if not same_count(dims, out) and not sizes.same(_product(dims), _product(out)).is_true:
            raise ShapeError(f"tile.reshape: a tile of shape [{', '.join(dims)}] cannot become "
                             f"[{', '.join(out)}] (the number of elements differs or is not provably equal)")
        return out


@irdl_op_definition
class BroadcastToOp(_Reshaping):
    """`x.expand(...)`: stretch unit dims (`tl.broadcast_to`); `=k` keeps dim k as it is."""

    name = "tile.broadcast_to"

    def result_dims(self) -> list[list[DimRef] | None]:
        return right_aligned(self.result, [self.operand])

    def infer_dims(self, sizes) -> list[str]:
        dims = list(self.operand.type.dims)
        out = _resolved(self.spec, dims, self.name)
        pad = ["1"] * (len(out) - len(dims)) + dims
        for want, have in zip(out, pad):
            if have not in ("1", want):
                raise ShapeError(f"tile.broadcast_to: cannot expand dim {have} to {want}")
        return out


@irdl_op_definition
class FullLikeOp(IRDLOperation, InfersShape, HasDimMap):
    """`torch.full_like(x, v)` / `zeros_like` / `ones_like`: a block of `value` shaped like `like`."""

    name = "tile.full_like"
    like = operand_def(TileType)
    result = result_def(TileType)
    value = prop_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$like $value attr-dict `:` type($like) `->` type($result)"

    def __init__(self, like: SSAValue, value: str, result_type: Attribute):
        super().__init__(operands=[like], result_types=[result_type], properties={"value": StringAttr(value)})

    def infer_dims(self, sizes) -> list[str]:
        return list(self.like.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[] for _ in range(self.result.type.rank)]  # constant values: no lane depends on a range


@irdl_op_definition
class FlipOp(IRDLOperation, InfersShape, HasDimMap, MovesLanes, OrdersLanes):
    """`torch.flip(x, [d])`: the lanes of dim `d` in reverse order (`tl.flip`)."""

    name = "tile.flip"
    operand = operand_def(TileType)
    result = result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int):
        super().__init__(operands=[operand], result_types=[operand.type], properties={"dim": IntegerAttr(dim, 64)})

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.operand, i)] for i in range(self.operand.type.rank)]

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return renumbered_dim(self.dim.value.data, self.operand, dropped)

    def ordered_dims(self) -> list[int]:
        return [self.dim.value.data]

    def verify_(self) -> None:
        if not 0 <= self.dim.value.data < self.operand.type.rank:
            raise VerifyException(f"tile.flip: dim {self.dim.value.data} out of range for rank {self.operand.type.rank}")


class _Random(IRDLOperation, InfersShape, HasDimMap):
    """Random values shaped like `like`, from Philox at each lane's global linear index, so that the values do
    not depend on block sizes. lower-to-tt replaces `like` by those indices (int64), from the ranges its dims run
    along. (Operands are declared per class: xDSL does not inherit IRDL fields.)"""

    ELEMENT: ClassVar = f32

    def __init__(self, seed: SSAValue, like: SSAValue):
        super().__init__(operands=[seed, like], result_types=[TileType(list(like.type.dims), self.ELEMENT)])

    def infer_dims(self, sizes) -> list[str]:
        return list(self.like.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.like, i)] for i in range(self.like.type.rank)]

    def verify_(self) -> None:
        if self.seed.type.rank != 0 or is_float(self.seed.type.element_type):
            raise VerifyException(f"{self.name}: the seed must be an integer scalar")


@irdl_op_definition
class RandOp(_Random):
    """`hl.rand([tile_m, tile_n], seed)` / `torch.rand_like(x)`: uniform fp32 values in [0, 1) (`tl.rand`)."""

    name = "tile.rand"
    seed = operand_def(TileType)
    like = operand_def(TileType)
    result = result_def(TileType)
    assembly_format = "$seed `,` $like attr-dict `:` type($seed) `,` type($like) `->` type($result)"


@irdl_op_definition
class RandIntOp(_Random):
    """`hl.randint(...)`'s draw: 31 random bits per lane as a non-negative int32 (`tl.randint`); the frontend
    maps them into [low, high)."""

    name = "tile.randint"
    ELEMENT: ClassVar = i32
    seed = operand_def(TileType)
    like = operand_def(TileType)
    result = result_def(TileType)
    assembly_format = "$seed `,` $like attr-dict `:` type($seed) `,` type($like) `->` type($result)"


@irdl_op_definition
class SplitOp(IRDLOperation, InfersShape, HasDimMap):
    """`hl.split(x)`: the two halves of a last dim of size 2, as two tiles without it (`tl.split`)."""

    name = "tile.split"
    operand = operand_def(TileType)
    lo = result_def(TileType)
    hi = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($lo) `,` type($hi)"

    def __init__(self, operand: SSAValue):
        half = TileType(["?"] * (operand.type.rank - 1), operand.type.element_type)
        super().__init__(operands=[operand], result_types=[half, half])

    def infer_dims(self, sizes) -> list[str]:
        dims = list(self.operand.type.dims)
        if not dims or dims[-1] != "2":
            raise ShapeError(f"hl.split needs a last dim of size 2, not a tile of shape [{', '.join(dims)}]",
                             "reshape to [..., 2] first: `x.reshape([tile, d // 2, 2])`")
        return dims[:-1]

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.operand, i)] for i in range(self.operand.type.rank - 1)]


@irdl_op_definition
class JoinOp(IRDLOperation, InfersShape, HasDimMap):
    """`hl.join(a, b)`: two tiles of one shape as one with a new last dim of size 2 (`tl.join`)."""

    name = "tile.join"
    lo = operand_def(TileType)
    hi = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$lo `,` $hi attr-dict `:` type($lo) `,` type($hi) `->` type($result)"

    def __init__(self, lo: SSAValue, hi: SSAValue):
        super().__init__(operands=[lo, hi], result_types=[TileType(["?"] * (lo.type.rank + 1), lo.type.element_type)])

    def infer_dims(self, sizes) -> list[str]:
        a, b = list(self.lo.type.dims), list(self.hi.type.dims)
        if len(a) != len(b) or any(not sizes.equal(x, y).is_true for x, y in zip(a, b)):
            raise ShapeError(f"hl.join of tiles of shapes [{', '.join(a)}] and [{', '.join(b)}]: they must match")
        if self.lo.type.element_type != self.hi.type.element_type:
            raise ShapeError("hl.join of tiles of two dtypes: convert one first")
        return [*a, "2"]

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.lo, i), (self.hi, i)] for i in range(self.lo.type.rank)] + [[]]


def _resolved(spec: Sequence[str], dims: Sequence[str], what: str) -> list[str]:
    try:
        return resolve_spec(spec, dims, what)
    except ValueError as e:
        raise ShapeError(str(e)) from None


LAYOUT_OPS = (ExpandOp, ReshapeOp, BroadcastToOp, FullLikeOp, FlipOp, RandOp, RandIntOp, SplitOp, JoinOp)

__all__ = ["ExpandOp", "ReshapeOp", "BroadcastToOp", "FullLikeOp", "FlipOp", "RandOp", "RandIntOp", "SplitOp", "JoinOp", "LAYOUT_OPS",
           "resolve_spec",
           "same_count"]
