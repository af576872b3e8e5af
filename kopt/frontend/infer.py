"""Argument types for the CLI, which reads a kernel without calling it.

Order of precedence: `--signature`, then the decorator's `signature="..."`,
then inference from use: `a, b = x.size()` gives x rank 2; a subscript
`x[tile_m, :]` gives rank 2; `out = torch.empty_like(x)` shares x's rank; a
scalar annotation (`eps: float`) makes a scalar. Dtypes default to f32.
Whatever stays unknown is a KoptError that says how to state it.
"""

from __future__ import annotations

import ast

from kopt.errors import KoptError
from kopt.frontend.host import torch_attr_name
from kopt.frontend.signature import ArgSpec, ScalarSpec, TensorSpec, parse_signature
from kopt.frontend.source import KernelSource, decorator_kwargs

_LIKE = ("empty_like", "zeros_like", "ones_like", "full_like")


def _tile_loop_ranks(fn: ast.FunctionDef, ranks: dict[str, int]) -> dict[str, int]:
    """Rank of each loop variable: 1 per tile name, the size-list length for a group name."""
    out: dict[str, int] = {}
    for node in ast.walk(fn):
        if not (isinstance(node, ast.For) and isinstance(node.iter, ast.Call)
                and torch_attr_name(node.iter.func) in ("hl.tile", "hl.grid")):
            continue
        if isinstance(node.target, ast.Tuple):
            for e in node.target.elts:
                if isinstance(e, ast.Name):
                    out[e.id] = 1
        elif isinstance(node.target, ast.Name) and node.iter.args:
            a = node.iter.args[0]
            if len(node.iter.args) == 2 or not isinstance(a, (ast.List, ast.Tuple, ast.Call, ast.Attribute)):
                out[node.target.id] = 1
            elif isinstance(a, (ast.List, ast.Tuple)):
                out[node.target.id] = len(a.elts)
            else:
                base = a.func.value if isinstance(a, ast.Call) and isinstance(a.func, ast.Attribute) else (
                    a.value if isinstance(a, ast.Attribute) else None)
                if isinstance(base, ast.Name) and base.id in ranks and (
                        (isinstance(a, ast.Call) and not a.args) or isinstance(a, ast.Attribute)):
                    out[node.target.id] = ranks[base.id]
    return out


def _infer_ranks(fn: ast.FunctionDef) -> dict[str, int]:
    ranks: dict[str, int] = {}
    same: list[tuple[str, str]] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            t, v = node.targets[0], node.value
            src = v.func.value if (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
                                   and v.func.attr == "size" and not v.args) else (
                v.value if isinstance(v, ast.Attribute) and v.attr == "shape" else None)
            if isinstance(t, ast.Tuple) and isinstance(src, ast.Name):
                ranks[src.id] = len(t.elts)
            if isinstance(t, ast.Name) and isinstance(v, ast.Call) and v.args and isinstance(v.args[0], ast.Name):
                if (torch_attr_name(v.func) or "").removeprefix("torch.") in _LIKE:
                    same.append((t.id, v.args[0].id))
    for _ in range(4):  # a few rounds reach the fixed point for realistic kernels
        groups = _tile_loop_ranks(fn, ranks)
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                total = 0
                for it in items:
                    if isinstance(it, ast.Constant) and it.value is None:
                        continue
                    if isinstance(it, ast.Name) and it.id in groups:
                        total += groups[it.id]
                    elif isinstance(it, ast.Name) and it.id not in groups:
                        total = None
                        break
                    else:
                        total += 1
                if total is not None and node.value.id not in groups:
                    ranks.setdefault(node.value.id, total)
        for a, b in same:
            if a in ranks and b not in ranks:
                ranks[b] = ranks[a]
            elif b in ranks and a not in ranks:
                ranks[a] = ranks[b]
    return ranks


def infer_specs(src: KernelSource, cli_signature: str | None = None) -> dict[str, ArgSpec]:
    """Argument types for a kernel compiled from its source alone."""
    specs: dict[str, ArgSpec] = {}
    deco = decorator_kwargs(src).get("signature")
    if isinstance(deco, ast.Constant) and isinstance(deco.value, str):
        specs.update(parse_signature(deco.value, "signature="))
    if cli_signature:
        specs.update(parse_signature(cli_signature))
    ranks = _infer_ranks(src.fn)
    for a in src.fn.args.args:
        if a.arg in specs:
            continue
        ann = ast.unparse(a.annotation) if a.annotation is not None else ""
        if ann in ("float", "int") or ann.startswith("hl.constexpr"):
            specs[a.arg] = ScalarSpec("f32" if ann == "float" else "i64")
        elif a.arg in ranks:
            specs[a.arg] = TensorSpec("f32", ranks[a.arg])
        else:
            raise KoptError(
                f"cannot infer the rank of argument `{a.arg}` of kernel `{src.fn.name}` from its use",
                src.loc(a),
                notes=[f'state it: @kopt.kernel(signature="{a.arg}: f32[M, N], ...") or '
                       f'--signature "{a.arg}: f32[M, N]"'],
            )
    return specs
