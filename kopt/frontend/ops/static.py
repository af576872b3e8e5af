"""Compile-time constructs in a tile loop: `for i in hl.static_range(...)`, `hl.arange(...)`, `float("-inf")`.

static_range is unrolled by the frontend: the body is lowered once per value,
with the loop variable a Python integer (so `x[tile, i]` is a scalar index and
`acc * i` a constant). hl.arange(n) is `tl.arange(0, n)`: n must be a power of
two the kernel knows at compile time (an integer or a tile's block size).
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import i32
from kopt.dialects.types import TileType
from kopt.frontend.values import PyScalar
from kopt.frontend.registry import function, loop

MAX_UNROLL = 256  # a larger static_range is almost surely a mistake (and a slow compile)
MAX_TOTAL_UNROLL = 4096  # copies of a body over nested static_ranges (three nested 100s would be a million)


def _int(b, node: ast.expr, what: str) -> int:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise b.err(node, f"{what} must be an integer constant (it is unrolled at compile time)")
    return value


@loop("hl.static_range", "helion.language.static_range")
def static_range(b, node: ast.For) -> None:
    call = node.iter
    if call.keywords or not 1 <= len(call.args) <= 3:
        raise b.err(call, "hl.static_range takes (end), (begin, end) or (begin, end, step)")
    if node.orelse:
        raise b.err(node, "`for ... else` is not supported")
    if not isinstance(node.target, ast.Name):
        raise b.err(node.target, "the variable of hl.static_range must be a name")
    bounds = [_int(b, a, "an hl.static_range bound") for a in call.args]
    values = range(*bounds)
    if len(values) > MAX_UNROLL:
        raise b.err(call, f"hl.static_range of {len(values)} iterations: at most {MAX_UNROLL} are unrolled",
                    "use `for tile in hl.tile(...)` for a loop that runs on the device")
    outer = getattr(b, "unroll_factor", 1)
    total = outer * len(values)
    if total > MAX_TOTAL_UNROLL:
        raise b.err(call, f"nested hl.static_range loops would copy this body {total} times: kopt unrolls at most "
                          f"{MAX_TOTAL_UNROLL} copies in all", "make an outer loop a device loop (`hl.tile`)")
    b.unroll_factor = total
    try:
        for v in values:
            b.env[node.target.id] = PyScalar(v)
            b.body(node.body)
    finally:
        b.unroll_factor = outer


def _pow2_size(b, node: ast.expr) -> str:
    from kopt.frontend.ops.views import dim_text

    text = dim_text(b, node)
    if text.isdigit():
        n = int(text)
        if n <= 0 or n & (n - 1):
            raise b.err(node, f"hl.arange({n}): the length must be a power of two (tl.arange's rule)")
    elif not text.startswith("_BLOCK_SIZE_") and not text.startswith("_RDIM_SIZE_"):
        raise b.err(node, "hl.arange needs a power-of-two length known at compile time: an integer or "
                          "`tile.block_size`", "for the indices of a tile use `tile.index`")
    return text


@function("hl.arange", "helion.language.arange")
def arange(b, node: ast.Call, kwargs: dict) -> SSAValue:
    if kwargs.keys() - {"dtype", "device"} or not 1 <= len(node.args) <= 2:
        raise b.err(node, "hl.arange takes (length) or (begin, end)")
    if len(node.args) == 1:
        length = _pow2_size(b, node.args[0])
        begin = None
    else:
        lo, hi = (_int(b, a, "an hl.arange bound") for a in node.args)
        if hi - lo <= 0 or (hi - lo) & (hi - lo - 1):
            raise b.err(node, f"hl.arange({lo}, {hi}): the length must be a power of two (tl.arange's rule)")
        length, begin = str(hi - lo), lo
    value = b.emit(tt.ArangeOp(TileType([length], i32)), node).result
    if begin:
        start = b.emit(T.ConstantOp(str(begin), TileType([], i32)), node).result
        value = b.emit(T.AddOp(start, value, TileType(["?"], i32)), node).result
    return value


@function("float", "int")
def number(b, node: ast.Call, kwargs: dict):
    """`float("-inf")`, `float(2)`, `int(3.0)` of constants: a Python number, folded at compile time."""
    fn = node.func.id
    if len(node.args) != 1 or kwargs:
        raise b.err(node, f"`{fn}(...)` takes one constant")
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and fn == "float":
        try:
            return PyScalar(float(arg.value))
        except ValueError:
            raise b.err(arg, f"float({arg.value!r}) is not a number") from None
    v = b.expr(arg)
    if not isinstance(v, PyScalar):
        raise b.err(node, f"`{fn}(...)` of a tile: use .to(torch.float32) / .to(torch.int32)")
    return PyScalar(float(v.value) if fn == "float" else int(v.value))

