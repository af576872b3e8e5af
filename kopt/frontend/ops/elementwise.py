"""Elementwise ops in a tile loop beyond the built-in table of device.py: clamp / clip,
full_like / zeros_like / ones_like / empty_like, `.new_zeros` / `.new_ones` / `.new_full`
/ `.new_empty`, square, reciprocal, `**` / torch.pow, gelu(approximate="tanh").

clamp is maximum and minimum (torch's order: min first, then max); the *_like ops are
`tile.full_like`, shaped like their argument once shapes are inferred.
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import from_short, is_float, is_low_precision
from kopt.dialects.types import TensorType, TileType
from kopt.frontend.values import PyScalar
from kopt.frontend.registry import function, method


def _const(b, node: ast.expr, what: str):
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise b.err(node, f"{what} must be a number constant") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise b.err(node, f"{what} must be a number constant")
    return value


def clamp(b, x, lo: ast.expr | None, hi: ast.expr | None, node: ast.AST) -> SSAValue:
    t = b.as_tile(x, node)
    if lo is None and hi is None:
        raise b.err(node, "clamp needs min= or max=")
    for bound, op in ((lo, T.MaximumOp), (hi, T.MinimumOp)):
        if bound is not None and not (isinstance(bound, ast.Constant) and bound.value is None):
            t = b.binary(op, t, b.expr(bound), node)
    return t


def _bounds(node: ast.Call, kwargs: dict, first: int) -> tuple:
    args = node.args[first:]
    lo = kwargs.get("min", args[0] if len(args) > 0 else None)
    hi = kwargs.get("max", args[1] if len(args) > 1 else None)
    return lo, hi


@function("torch.clamp", "torch.clip")
def clamp_function(b, node: ast.Call, kwargs: dict) -> SSAValue:
    if not node.args:
        raise b.err(node, f"`{ast.unparse(node.func)}` needs a tile")
    return clamp(b, b.expr(node.args[0]), *_bounds(node, kwargs, 1), node)


@method("clamp", "clip")
def clamp_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    return clamp(b, receiver, *_bounds(node, kwargs, 0), node)


def _dtype(b, kwargs: dict, default):
    node = kwargs.get("dtype")
    if node is None:
        return default
    name = b.dtype_of(node, "")
    if not name:
        raise b.err(node, "dtype must be a torch dtype such as torch.float32 or x.dtype")
    return from_short(name)


def full_like(b, like: SSAValue, value, elem, node: ast.AST) -> SSAValue:
    text = repr(float(value)) if is_float(elem) else str(int(value))
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        text = "inf" if value > 0 else "-inf"
    return b.emit(T.FullLikeOp(like, text, TileType(["?"] * like.type.rank, elem)), node).result


_LIKE_VALUES = {"zeros_like": 0, "ones_like": 1, "empty_like": 0}


@function(*(f"torch.{n}" for n in (*_LIKE_VALUES, "full_like")))
def like_function(b, node: ast.Call, kwargs: dict) -> SSAValue:
    name = ast.unparse(node.func).removeprefix("torch.")
    want = 2 if name == "full_like" else 1
    if len(node.args) != want:
        raise b.err(node, f"torch.{name} takes {'a tile and a value' if want == 2 else 'a tile'} (and dtype=)")
    like = b.as_tile(b.expr(node.args[0]), node)
    value = _const(b, node.args[1], "the fill value") if want == 2 else _LIKE_VALUES[name]
    return full_like(b, like, value, _dtype(b, kwargs, like.type.element_type), node)


@method("new_zeros", "new_ones", "new_full", "new_empty")
def new_tensor(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    """`v.new_zeros([tile_m, tile_n])`: a block of the given shape with v's dtype (unless dtype=); `v` a tile or a
    kernel tensor (`x.new_zeros([tile])`, as Helion kernels write it)."""
    if isinstance(receiver, SSAValue) and isinstance(receiver.type, TensorType):
        own = receiver.type.element_type
    else:
        own = b.as_tile(receiver, node).type.element_type
    name = node.func.attr
    want = 2 if name == "new_full" else 1
    if len(node.args) != want:
        raise b.err(node, f"`.{name}` takes {'a shape and a value' if want == 2 else 'a shape'} (and dtype=)")
    value = _const(b, node.args[1], "the fill value") if want == 2 else (1 if name == "new_ones" else 0)
    elem = _dtype(b, kwargs, own)
    shape = node.args[0]
    items = shape.elts if isinstance(shape, (ast.List, ast.Tuple)) else [shape]
    from kopt.frontend.ops.views import dim_text

    dims = [dim_text(b, it) for it in items]
    if "-1" in dims:
        raise b.err(shape, "a new block needs every size (no -1)")
    text = repr(float(value)) if is_float(elem) else str(int(value))
    return b.emit(T.ConstantOp(text, TileType(dims, elem)), node).result


@function("torch.square")
def square(b, node: ast.Call, kwargs: dict) -> SSAValue:
    x = b.as_tile(b.expr(node.args[0]), node)
    return b.binary(T.MulOp, x, x, node)


@method("square")
def square_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    x = b.as_tile(receiver, node)
    return b.binary(T.MulOp, x, x, node)


@function("torch.reciprocal")
def reciprocal(b, node: ast.Call, kwargs: dict) -> SSAValue:
    return b.binary(T.DivOp, PyScalar(1.0), b.expr(node.args[0]), node)


MAX_INT_POWER = 16  # x ** n for |n| up to this is multiplication (exact, and sign-correct for x < 0)


def power(b, base, exponent, node: ast.AST) -> SSAValue:
    """`base ** exponent` (Triton has no pow): small integer powers multiply, 0.5 and -0.5 are sqrt and
    rsqrt, anything else is exp2(exponent * log2(base)) in fp32 (NaN for a negative base, where torch
    gives a real result only for integral exponents)."""
    if isinstance(exponent, PyScalar):
        e = exponent.value
        t = b.as_tile(base, node)
        if float(e).is_integer() and abs(e) <= MAX_INT_POWER:
            n = int(abs(e))
            if not is_float(t.type.element_type) and e < 0:
                raise b.err(node, "integers to a negative power are not supported (torch raises too)")
            result, square = None, t
            while n:  # binary exponentiation: x**5 = x * (x**2)**2
                if n & 1:
                    result = square if result is None else b.binary(T.MulOp, result, square, node)
                n >>= 1
                if n:
                    square = b.binary(T.MulOp, square, square, node)
            if result is None:
                return full_like(b, t, 1, t.type.element_type, node)
            return b.binary(T.DivOp, PyScalar(1.0), result, node) if e < 0 else result
        if e in (0.5, -0.5):
            return b.unary("sqrt" if e > 0 else "rsqrt", t, node)
    log_base = b.unary("log2", base if not isinstance(base, PyScalar) else b.as_tile(base, node), node)
    return b.unary("exp2", b.binary(T.MulOp, exponent, log_base, node), node)


def gelu_approximate(b, x, approximate: ast.expr, node: ast.AST) -> SSAValue:
    """`F.gelu(x, approximate="tanh")` = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in fp32;
    `approximate="none"` is the exact erf form."""
    mode = approximate.value if isinstance(approximate, ast.Constant) else None
    if mode == "none":
        return b.unary("gelu", x, node)
    if mode != "tanh":
        raise b.err(approximate, 'gelu: approximate must be "none" or "tanh"')
    t = b.as_tile(x, node)
    elem = t.type.element_type
    v = b.cast(t, from_short("f32"), node) if is_low_precision(elem) else t
    cube = b.binary(T.MulOp, b.binary(T.MulOp, v, v, node), v, node)
    inner = b.binary(T.MulOp, PyScalar(0.7978845608028654), b.binary(T.AddOp, v, b.binary(T.MulOp, PyScalar(0.044715), cube, node), node), node)
    out = b.binary(T.MulOp, b.binary(T.MulOp, PyScalar(0.5), v, node), b.binary(T.AddOp, PyScalar(1.0), b.unary("tanh", inner, node), node), node)
    return b.cast(out, elem, node) if out.type.element_type != elem else out
