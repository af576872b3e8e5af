"""Tile ops that change a tile's shape: reshape, broadcast_to, full_like.

These are the Helion/torch views on tile values (`.reshape`, `.view`,
`.squeeze`, `.expand`, `torch.zeros_like`; transposes are `tile.transpose`,
in tile_contraction.py). Each op states its own shape
rule (`infer_dims`, called by `shape-inference`), because most of their target
shapes mention the operand's dims, which are `?` until that pass runs. The
backend writes them from the result type (`tl.reshape`, `tl.broadcast_to`,
`tl.full`), so renaming dims later (reduction-lowering) is safe.

A shape spec entry is a dim text (`_BLOCK_SIZE_0`, `4`), `-1` (inferred) or
`=k` (the operand's dim k).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.types import TileType


class InfersShape:
    """An op that computes its result dims from its operands (shape-inference asks it)."""

    def infer_dims(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError


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
    import sympy

    from kopt.analysis import parse_expr
    from kopt.errors import KoptError

    try:
        diff = sympy.expand(parse_expr(_product(a)) - parse_expr(_product(b)))
    except KoptError:
        return False
    return diff == 0


class _Reshaping(IRDLOperation, InfersShape):
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

    def infer_dims(self) -> list[str]:
        return resolve_spec(self.spec, self.operand.type.dims, self.name)

    def verify_(self) -> None:
        for s in self.spec:
            if s.startswith("=") and not (s[1:].isdigit() and int(s[1:]) < self.operand.type.rank):
                raise VerifyException(f"{self.name}: `{s}` names no dim of a rank-{self.operand.type.rank} tile")


@irdl_op_definition
class ReshapeOp(_Reshaping):
    """`x.reshape(...)`, `x.view(...)`, `x.squeeze(d)`: same elements, new shape (`tl.reshape`)."""

    name = "tile.reshape"

    def infer_dims(self) -> list[str]:
        dims = self.operand.type.dims
        out = resolve_spec(self.spec, dims, self.name)
        if not same_count(dims, out):
            raise ValueError(f"tile.reshape: a tile of shape [{', '.join(dims)}] cannot become "
                             f"[{', '.join(out)}] (the number of elements differs or is not provably equal)")
        return out


@irdl_op_definition
class BroadcastToOp(_Reshaping):
    """`x.expand(...)`: stretch unit dims (`tl.broadcast_to`); `=k` keeps dim k as it is."""

    name = "tile.broadcast_to"

    def infer_dims(self) -> list[str]:
        dims = list(self.operand.type.dims)
        out = resolve_spec(self.spec, dims, self.name)
        pad = ["1"] * (len(out) - len(dims)) + dims
        for want, have in zip(out, pad):
            if have not in ("1", want):
                raise ValueError(f"tile.broadcast_to: cannot expand dim {have} to {want}")
        return out


@irdl_op_definition
class FullLikeOp(IRDLOperation, InfersShape):
    """`torch.full_like(x, v)` / `zeros_like` / `ones_like`: a block of `value` shaped like `like`."""

    name = "tile.full_like"
    like = operand_def(TileType)
    result = result_def(TileType)
    value = prop_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$like $value attr-dict `:` type($like) `->` type($result)"

    def __init__(self, like: SSAValue, value: str, result_type: Attribute):
        super().__init__(operands=[like], result_types=[result_type], properties={"value": StringAttr(value)})

    def infer_dims(self) -> list[str]:
        return list(self.like.type.dims)


LAYOUT_OPS = (ReshapeOp, BroadcastToOp, FullLikeOp)
