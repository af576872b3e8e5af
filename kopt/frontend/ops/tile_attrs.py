"""Tile attributes in a tile loop: `tile.index`, `.begin`, `.end`, `.block_size`, `.id`,
and their function spellings (`hl.tile_index(tile)`, `hl.tile_begin(tile)`, ...).

Each reads the loop's range through one `tile.tile_attr` op; lower-to-tt turns it
into the range's indices, offset or block symbol.
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.tile_access import TILE_ATTRS
from kopt.dialects.types import RangeType
from kopt.frontend.values import TileGroup
from kopt.frontend.registry import attribute, function

_FUNCS = {f"hl.tile_{a}": a for a in TILE_ATTRS} | {f"helion.language.tile_{a}": a for a in TILE_ATTRS}


def tile_attr(b, receiver, attr: str, node: ast.AST) -> SSAValue:
    if isinstance(receiver, SSAValue) and isinstance(receiver.type, RangeType):
        return b.emit(T.TileAttrOp(receiver, attr), node).result
    if isinstance(receiver, TileGroup):
        raise b.err(node, f"`.{attr}` of a multi-dim tile: unpack it first (`for tm, tn in hl.tile([m, n]):`)")
    raise b.err(node, f"`.{attr}` is an attribute of a tile (the variable of `for tile in hl.tile(...)`)",
                "an hl.grid variable is already an index")


@attribute(*TILE_ATTRS)
def tile_attribute(b, receiver, node: ast.Attribute) -> SSAValue:
    return tile_attr(b, receiver, node.attr, node)


@function(*_FUNCS)
def tile_attr_function(b, node: ast.Call, kwargs: dict) -> SSAValue:
    name = _FUNCS[ast.unparse(node.func)] if ast.unparse(node.func) in _FUNCS else None
    if name is None or len(node.args) != 1 or kwargs:
        raise b.err(node, f"`{ast.unparse(node.func)}(tile)` takes one tile")
    return tile_attr(b, b.expr(node.args[0]), name, node)
