"""torch's `//` and `%` in a tile loop, built from Triton's.

Triton's `a // b` and `a % b` on integers truncate toward zero (C); torch floors,
and its remainder takes the divisor's sign. Triton has no `//` on floats and its
float `%` is fmod. So, with r = a % b (truncating) and fix = (r != 0) & ((r < 0) != (b < 0)):
    a // b = (a // b) - fix          integers
    a // b = floor(a / b)            floats
    a % b  = where(fix, r + b, r)    both
Also `torch.floor_divide`, `torch.remainder`, `torch.floor` and `torch.ceil`.
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import is_bool, is_float
from kopt.dialects.types import TileType
from kopt.frontend.values import PyScalar
from kopt.frontend.registry import function, method


def _tile(a: SSAValue, b: SSAValue, elem) -> TileType:
    return TileType(["?"] * max(a.type.rank, b.type.rank), elem)


def python_division(b, op_cls, ta: SSAValue, tb: SSAValue, node: ast.AST) -> SSAValue:
    """`ta // tb` or `ta % tb` with torch's semantics; both operands already have the result dtype."""
    elem = ta.type.element_type
    if is_bool(elem):
        raise b.err(node, f"`{'//' if op_cls is T.FloorDivOp else '%'}` of two bool tiles: torch does not take them")
    if op_cls is T.FloorDivOp and is_float(elem):
        return _float_floor_div(b, ta, tb, elem, node)
    r = b.emit(T.RemOp(ta, tb, _tile(ta, tb, elem)), node).result
    sign_differs = b.binary(T.NeOp, b.binary(T.LtOp, r, PyScalar(0), node), b.binary(T.LtOp, tb, PyScalar(0), node), node)
    fix = b.binary(T.AndOp, b.binary(T.NeOp, r, PyScalar(0), node), sign_differs, node)
    if op_cls is T.RemOp:
        return b.emit(T.WhereOp(fix, b.binary(T.AddOp, r, tb, node), r, _tile(fix, r, elem)), node).result
    q = b.emit(T.FloorDivOp(ta, tb, _tile(ta, tb, elem)), node).result
    return b.emit(T.WhereOp(fix, b.binary(T.SubOp, q, PyScalar(1), node), q, _tile(fix, q, elem)), node).result


def _float_floor_div(b, ta: SSAValue, tb: SSAValue, elem, node: ast.AST) -> SSAValue:
    """torch's float `//` (its div_floor_floating): through fmod, so that `inf // 2` is NaN and the quotient
    rounds as torch's does; `a // 0` is `a / 0`."""
    t = _tile(ta, tb, elem)
    mod = b.emit(T.RemOp(ta, tb, t), node).result  # Triton's float % is fmod
    div = b.emit(T.DivOp(b.emit(T.SubOp(ta, mod, t), node).result, tb, t), node).result
    sign_differs = b.binary(T.NeOp, b.binary(T.LtOp, tb, PyScalar(0.0), node), b.binary(T.LtOp, mod, PyScalar(0.0), node), node)
    fix = b.binary(T.AndOp, b.binary(T.NeOp, mod, PyScalar(0.0), node), sign_differs, node)
    div = b.emit(T.WhereOp(fix, b.binary(T.SubOp, div, PyScalar(1.0), node), div, t), node).result
    floor = b.unary("floor", div, node)
    up = b.binary(T.GtOp, b.binary(T.SubOp, div, floor, node), PyScalar(0.5), node)
    q = b.emit(T.WhereOp(up, b.binary(T.AddOp, floor, PyScalar(1.0), node), floor, t), node).result
    by_zero = b.binary(T.EqOp, tb, PyScalar(0.0), node)
    return b.emit(T.WhereOp(by_zero, b.emit(T.DivOp(ta, tb, t), node).result, q, t), node).result


def _two(b, node: ast.Call, what: str):
    if len(node.args) != 2:
        raise b.err(node, f"`{what}` takes two operands")
    return b.expr(node.args[0]), b.expr(node.args[1])


@function("torch.floor_divide")
def floor_divide(b, node: ast.Call, kwargs: dict) -> SSAValue:
    return b.binary(T.FloorDivOp, *_two(b, node, "torch.floor_divide"), node)


@function("torch.remainder")
def remainder(b, node: ast.Call, kwargs: dict) -> SSAValue:
    return b.binary(T.RemOp, *_two(b, node, "torch.remainder"), node)


@function("torch.floor", "torch.ceil")
def floor_ceil(b, node: ast.Call, kwargs: dict) -> SSAValue:
    if len(node.args) != 1:
        raise b.err(node, f"`{ast.unparse(node.func)}` takes one tile")
    return _round(b, b.expr(node.args[0]), ast.unparse(node.func).removeprefix("torch."), node)


@method("floor", "ceil")
def floor_ceil_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    return _round(b, receiver, node.func.attr, node)


def _round(b, v, name: str, node: ast.AST) -> SSAValue:
    t = b.as_tile(v, node)
    if is_bool(t.type.element_type):
        raise b.err(node, f"{name} of a bool tile: torch does not take bool inputs here")
    return t if not is_float(t.type.element_type) else b.unary(name, t, node)  # integers are already whole
