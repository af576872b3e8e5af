"""Explicit accesses in a tile loop: `hl.load(x, [i, j], extra_mask=m)`, `hl.store(x, [i, j], v,
extra_mask=m)` and `hl.atomic_add(x, [i, j], v)`.

The index list reads as a subscript (`hl.load(x, [t, :])` is `x[t, :]`). An
extra mask or an atomic add makes the access go through a view of the tensor
(`tile.masked_view`, `tile.atomic_view`), so the load or store itself stays an
ordinary `tile.load` / `tile.store` that every pass understands.
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import bf16, f16, is_bool, is_float, short_name
from kopt.dialects.types import TileType
from kopt.frontend.registry import function

_SEMS = ("relaxed", "acquire", "release", "acq_rel")


def _args(b, node: ast.Call, names: tuple[str, ...], kwargs: dict, required: int, ignored=()) -> list:
    fn = ast.unparse(node.func)
    if len(node.args) > len(names):
        raise b.err(node, f"`{fn}` takes at most {len(names)} arguments ({', '.join(names)})")
    out = list(node.args) + [None] * (len(names) - len(node.args))
    for k, v in kwargs.items():
        if k in ignored:
            continue
        if k not in names:
            raise b.err(v, f"`{fn}`: unsupported keyword {k!r}", f"supported: {', '.join(names)}")
        out[names.index(k)] = v
    if any(a is None for a in out[:required]):
        raise b.err(node, f"`{fn}` needs {', '.join(names[:required])}")
    return out


def _subscript(b, tensor: ast.expr, index: ast.expr, node: ast.Call):
    """`hl.load(x, [i, j])` -> the (base, spec, indices) of `x[i, j]`."""
    if not isinstance(index, (ast.List, ast.Tuple)):
        raise b.err(index, f"`{ast.unparse(node.func)}`: the index must be a list, e.g. [tile_m, tile_n]")
    fake = ast.Subscript(value=tensor, slice=ast.Tuple(elts=list(index.elts), ctx=ast.Load()), ctx=ast.Load())
    ast.copy_location(fake, node)
    ast.copy_location(fake.slice, index)
    return b.subscript(fake)


def _with_mask(b, base: SSAValue, mask_node: ast.expr | None, node: ast.Call) -> SSAValue:
    if mask_node is None or (isinstance(mask_node, ast.Constant) and mask_node.value is None):
        return base
    mask = b.as_tile(b.expr(mask_node), mask_node)
    if not is_bool(mask.type.element_type):
        raise b.err(mask_node, f"extra_mask must be a boolean tile (a comparison), not {short_name(mask.type.element_type)}")
    return b.emit(T.MaskedViewOp(base, mask), node).result


def _check_tensor(b, tensor_node: ast.expr, node: ast.Call) -> None:
    from kopt.dialects.types import TensorType

    v = b.env.get(tensor_node.id) if isinstance(tensor_node, ast.Name) else None
    if not (isinstance(v, SSAValue) and isinstance(v.type, TensorType)):
        raise b.err(tensor_node, f"`{ast.unparse(node.func)}` needs a kernel tensor as its first argument")


@function("hl.load", "helion.language.load")
def hl_load(b, node: ast.Call, kwargs: dict) -> SSAValue:
    tensor, index, extra_mask = _args(b, node, ("tensor", "index", "extra_mask"), kwargs, 2,
                                      ignored=("eviction_policy",))
    _check_tensor(b, tensor, node)
    base, spec, indices = _subscript(b, tensor, index, node)
    view = _with_mask(b, base, extra_mask, node)
    dims = sum(i.type.rank - 1 for i in indices if isinstance(i.type, TileType))
    result = TileType(["?"] * (len(spec) + dims), base.type.element_type)
    return b.emit(T.LoadOp.build_load(view, spec, indices, result), node).result


def _store(b, node: ast.Call, base: SSAValue, view: SSAValue, spec, indices, value_node: ast.expr) -> None:
    elem = base.type.element_type
    value = b.as_tile(b.expr(value_node), value_node, elem)
    if value.type.element_type != elem:
        value = b.emit(T.CastOp(value, value.type.with_element(elem)), node).result
    b.emit(T.StoreOp.build_store(view, spec, indices, value), node)


@function("hl.store", "helion.language.store")
def hl_store(b, node: ast.Call, kwargs: dict) -> None:
    tensor, index, value, extra_mask = _args(b, node, ("tensor", "index", "value", "extra_mask"), kwargs, 3)
    _check_tensor(b, tensor, node)
    base, spec, indices = _subscript(b, tensor, index, node)
    _store(b, node, base, _with_mask(b, base, extra_mask, node), spec, indices, value)


def _atomic(kind: str):
    name = f"hl.atomic_{kind}"

    def lower(b, node: ast.Call, kwargs: dict) -> None:
        """Atomic `x[index] = x[index] <kind> value`; kopt keeps no result (Helion returns the old values)."""
        tensor, index, value, sem = _args(b, node, ("target", "index", "value", "sem"), kwargs, 3)
        if sem is not None and not (isinstance(sem, ast.Constant) and sem.value in _SEMS):
            raise b.err(sem, f"{name}: sem must be one of {', '.join(map(repr, _SEMS))}")
        _check_tensor(b, tensor, node)
        base, spec, indices = _subscript(b, tensor, index, node)
        elem = base.type.element_type
        if kind in ("and", "or", "xor") and is_float(elem):
            raise b.err(node, f"{name} needs an integer tensor, not {elem}", "Triton's bitwise atomics take integers only")
        if kind in ("max", "min") and elem in (f16, bf16):
            raise b.err(node, f"{name} on a {elem} tensor is not supported",
                        "Triton's atomic max/min take fp32, fp64 and integers: keep the target in float32")
        _store(b, node, base, b.emit(T.AtomicViewOp(base, kind), node).result, spec, indices, value)

    lower.__name__ = f"hl_atomic_{kind}"
    return function(name, f"helion.language.atomic_{kind}")(lower)


for _kind in ("add", "max", "min", "and", "or", "xor", "xchg"):
    _atomic(_kind)