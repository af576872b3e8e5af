"""Enumerations of the tile and tt dialects as typed attributes (xDSL's EnumAttribute).

Each prints as a bare keyword inside an op (`tile.reduce max %x dim 1`, `tile.for %t sequential`,
`tt.load %p evict evict_last`) and parses back only to one of its members: a misspelt kind is a
parse error at its column, not a string a pass trips over later.
"""

from __future__ import annotations

from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.utils.str_enum import StrEnum

from kopt.errors import KoptError


class ReduceKind(StrEnum):
    SUM = "sum"
    MAX = "max"
    MIN = "min"
    PROD = "prod"
    ARGMAX = "argmax"
    ARGMIN = "argmin"


class LoopKind(StrEnum):
    PARALLEL = "parallel"  # the launch grid (tiling maps it to program ids)
    SEQUENTIAL = "sequential"  # a loop inside the kernel


class Eviction(StrEnum):
    EVICT_FIRST = "evict_first"
    EVICT_LAST = "evict_last"


class TileAttrKind(StrEnum):
    INDEX = "index"
    BEGIN = "begin"
    END = "end"
    BLOCK_SIZE = "block_size"
    ID = "id"


class AtomicKind(StrEnum):
    ADD = "add"
    MAX = "max"
    MIN = "min"
    AND = "and"
    OR = "or"
    XOR = "xor"
    XCHG = "xchg"


@irdl_attr_definition
class ReduceKindAttr(EnumAttribute[ReduceKind]):
    name = "tile.reduce_kind"


@irdl_attr_definition
class LoopKindAttr(EnumAttribute[LoopKind]):
    name = "tile.loop_kind"


@irdl_attr_definition
class EvictionAttr(EnumAttribute[Eviction]):
    name = "tt.eviction"


@irdl_attr_definition
class TileAttrKindAttr(EnumAttribute[TileAttrKind]):
    name = "tile.tile_attr_kind"


@irdl_attr_definition
class AtomicKindAttr(EnumAttribute[AtomicKind]):
    name = "tile.atomic_kind"


ENUM_ATTRS = (ReduceKindAttr, LoopKindAttr, TileAttrKindAttr, AtomicKindAttr)


def enum_attr(attr_cls, value, what: str):
    """`attr_cls` of `value` (a member or its text); a KoptError naming the members for anything else."""
    try:
        return attr_cls(attr_cls.enum_type(value))
    except ValueError:
        known = ", ".join(m.value for m in attr_cls.enum_type)
        raise KoptError(f"{what}: unknown kind {str(value)!r}; known: {known}") from None
