"""Random numbers in a tile loop: `hl.rand([tile_m, tile_n], seed)` (Helion's explicit seed), `hl.randint(shape,
low, high, seed)`, and
`torch.rand_like(x)` (a fresh seed per call, drawn on the host from torch's generator).

Both are `tile.rand`: uniform fp32 in [0, 1) from Philox at each lane's global linear index, so the values
depend on the seed and the position only, never on block sizes (lower-to-tt computes the indices).
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import from_short, i1, is_float
from kopt.dialects.types import TileType
from kopt.frontend.registry import function
from kopt.frontend.values import PyScalar

# evaluated by the launcher at every call: torch.manual_seed makes a run reproducible, as for torch.rand_like
FRESH_SEED = "int(torch.randint(0, 2**31 - 1, ()).item())"


def _seed(b, node: ast.expr) -> SSAValue:
    v = b.expr(node)
    if isinstance(v, PyScalar) and isinstance(v.value, int):
        return b.emit(T.ConstantOp(str(v.value), TileType([], from_short("i64"))), node).result
    if isinstance(v, SSAValue) and isinstance(v.type, TileType) and v.type.rank == 0 \
            and not is_float(v.type.element_type) and v.type.element_type != i1:
        return v
    raise b.err(node, "the seed of hl.rand must be an integer (an argument, a loaded scalar or a constant)")


@function("hl.rand", "helion.language.rand")
def hl_rand(b, node: ast.Call, kwargs: dict) -> SSAValue:
    shape = node.args[0] if node.args else kwargs.get("shape")
    seed = node.args[1] if len(node.args) > 1 else kwargs.get("seed")
    if shape is None or seed is None or len(node.args) > 2 or set(kwargs) - {"shape", "seed", "device"}:
        raise b.err(node, "hl.rand takes a shape of tiles and a seed: hl.rand([tile_m, tile_n], seed)")
    zeros = ast.copy_location(ast.Call(func=node.func, args=[shape], keywords=[]), node)
    like = b.full(zeros, "hl.zeros", {})
    return b.emit(T.RandOp(_seed(b, seed), like), node).result


@function("hl.randint", "helion.language.randint")
def hl_randint(b, node: ast.Call, kwargs: dict) -> SSAValue:
    """`hl.randint([tile_m], low, high, seed)`: int32 in [low, high), `low + bits % (high - low)` of 31
    random bits (the modulo bias is below (high - low) / 2**31, as in Helion)."""
    names = ("shape", "low", "high", "seed")
    given = dict(zip(names, node.args))
    unknown = set(kwargs) - set(names) - {"device"}
    if len(node.args) > 4 or unknown or set(given) & set(kwargs):
        raise b.err(node, "hl.randint takes a shape of tiles, low, high and a seed: hl.randint([tile], 0, 10, seed)")
    given.update({k: v for k, v in kwargs.items() if k in names})
    if set(names) - set(given):
        raise b.err(node, f"hl.randint needs {', '.join(n for n in names if n not in given)}")
    low, high = (b.expr(given[k]) for k in ("low", "high"))
    if not all(isinstance(v, PyScalar) and isinstance(v.value, int) and not isinstance(v.value, bool)
               for v in (low, high)):
        raise b.err(node, "hl.randint: low and high must be integer constants")
    if not -2**31 <= low.value < high.value <= 2**31:
        raise b.err(node, f"hl.randint: need low < high within int32, got low={low.value}, high={high.value}")
    zeros = ast.copy_location(ast.Call(func=node.func, args=[given["shape"]], keywords=[]), node)
    like = b.full(zeros, "hl.zeros", {})
    bits = b.emit(T.RandIntOp(_seed(b, given["seed"]), like), node).result
    scalar = TileType([], bits.type.element_type)
    span = b.emit(T.ConstantOp(str(high.value - low.value), scalar), node).result
    offset = b.emit(T.RemOp(bits, span, bits.type), node).result
    if low.value == 0:
        return offset
    base = b.emit(T.ConstantOp(str(low.value), scalar), node).result
    return b.emit(T.AddOp(offset, base, bits.type), node).result


@function("torch.rand_like")
def rand_like(b, node: ast.Call, kwargs: dict) -> SSAValue:
    if len(node.args) != 1 or set(kwargs) - {"dtype", "device"}:
        raise b.err(node, "torch.rand_like takes a tile (and dtype=)")
    x = b.as_tile(b.expr(node.args[0]), node)
    seed = b.host_value(FRESH_SEED, "seed", node)
    values = b.emit(T.RandOp(seed, x), node).result
    dtype = b.dtype_of(kwargs.get("dtype"), None)
    elem = from_short(dtype) if dtype else x.type.element_type
    if not is_float(elem):
        raise b.err(node, "torch.rand_like gives floating-point values: pass a float tile or dtype=")
    return b.cast(values, elem, node)
