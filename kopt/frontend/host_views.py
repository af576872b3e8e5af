"""Host-side views of kernel tensors: `x.view(-1)`, `x.reshape(m, -1)`, `x.flatten()`, `x.contiguous()`,
and `x.numel()` as a size.

Helion kernels often flatten their inputs on the host (`a_flat = a.view(-1)`) and
tile the flat view (`for t in hl.tile(a.numel())`). The view is a tensor of its
own to the kernel: it is passed as an argument with its own strides (whatever
torch made of the view), and its sizes are symbolic products of the base's sizes.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from kopt.frontend.values import HostTensor

if TYPE_CHECKING:
    from kopt.frontend.host import HostScope

_VIEWS = ("view", "reshape", "flatten", "contiguous")


def _product(dims: list[str]) -> str:
    parts = [d for d in dims if d != "1"]
    return " * ".join(p if p.replace("_", "a").isalnum() else f"({p})" for p in parts) or "1"


def _base(scope: HostScope, node: ast.expr) -> HostTensor | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        return scope.tensors.get(node.func.value.id)
    return None


def numel_expr(scope: HostScope, node: ast.expr) -> str | None:
    """`x.numel()` -> the product of x's sizes."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "numel" \
            and not node.args and (base := _base(scope, node)) is not None:
        return _product(list(base.dims))
    return None


def _size_text(scope: HostScope, node: ast.expr) -> str | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and node.operand.value == 1:
        return "-1"
    return scope.try_size_expr(node)


def host_view(scope: HostScope, name: str, node: ast.expr) -> HostTensor | None:
    """The HostTensor a view statement defines, or None if `node` is no view kopt can size."""
    base = _base(scope, node)
    if base is None or node.func.attr not in _VIEWS or node.keywords:
        return None
    attr = node.func.attr
    if attr == "contiguous":
        dims = list(base.dims) if not node.args else None
    elif attr == "flatten":
        dims = [_product(list(base.dims))] if not node.args else None
    else:
        args = node.args[0].elts if len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)) \
            else node.args
        dims = [_size_text(scope, a) for a in args]
        if not dims or None in dims or dims.count("-1") > 1:
            return None
        if "-1" in dims:
            rest = [d for d in base.dims if d != "1"]
            others = [d for d in dims if d not in ("-1", "1")]
            if all(d in rest for d in others):
                for d in others:
                    rest.remove(d)
                fill = _product(rest)
            else:
                fill = f"({_product(list(base.dims))}) // ({_product(others)})"
            dims[dims.index("-1")] = fill
    if dims is None:
        return None
    return HostTensor(name, base.dtype, dims, [f"{name}_stride_{i}" for i in range(len(dims))])


# Host computations whose result has its input's shape: `ends = torch.cumsum(counts, 0)`, `w.float()`.
# The result is a tensor of its own to the kernel (an argument with its own strides), as a view is.
_SAME_SHAPE = ("cumsum", "cumprod", "clone", "abs", "neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu")
_CASTS = {"float": "f32", "half": "f16", "bfloat16": "bf16", "int": "i32", "long": "i64", "bool": "i1"}
_INTEGER = ("i1", "i8", "i16", "i32", "i64", "u8")


def host_derived(scope: HostScope, name: str, node: ast.Call, fn: str) -> HostTensor | None:
    """The HostTensor of `torch.cumsum(x, 0)`, `x.cumsum(0)`, `x.clone()`, `x.to(torch.int32)`, `x.float()`."""
    if fn.startswith("torch.") and node.args and isinstance(node.args[0], ast.Name):
        base, op = scope.tensors.get(node.args[0].id), fn.removeprefix("torch.")
    elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        base, op = scope.tensors.get(node.func.value.id), node.func.attr
    else:
        return None
    if base is None:
        return None
    kwargs = {k.arg: k.value for k in node.keywords if k.arg}
    if op in _CASTS and not node.args:
        dtype = _CASTS[op]
    elif op == "to" and len(node.args) == 1 and not kwargs:
        dtype = scope.dtype_of(node.args[0], base.dtype)
    elif op in _SAME_SHAPE:
        scans_ints = op in ("cumsum", "cumprod") and base.dtype in _INTEGER
        dtype = scope.dtype_of(kwargs.get("dtype"), "i64" if scans_ints else base.dtype)
    else:
        return None
    if dtype is None:
        return None
    return HostTensor(name, dtype, list(base.dims), [f"{name}_stride_{i}" for i in range(len(base.dims))])
