"""`hl.inline_asm_elementwise(asm, constraints, args, dtype, is_pure, pack)` (Helion's and Triton's signature):
PTX applied to each element of the broadcast `args`, as `tile.inline_asm` -> `tl.inline_asm_elementwise`. The
assembly, constraints and pack must be constants (they are compiled in). GPU only: the Triton interpreter has no
assembly, so a CPU launch of such a kernel is a located error (triton_emitters.py raises it when interpreting)."""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import from_short
from kopt.dialects.shape_rules import broadcast_text
from kopt.dialects.types import TileType
from kopt.frontend.registry import function

_PARAMS = ("asm", "constraints", "args", "dtype", "is_pure", "pack")


@function("hl.inline_asm_elementwise", "helion.language.inline_asm_elementwise")
def inline_asm_elementwise(b, node: ast.Call, kwargs: dict) -> SSAValue:
    given = dict(zip(_PARAMS, node.args))
    unknown = set(kwargs) - set(_PARAMS)
    if len(node.args) > len(_PARAMS) or unknown:
        raise b.err(node, f"hl.inline_asm_elementwise takes {', '.join(_PARAMS)}")
    given.update(kwargs)
    missing = [p for p in ("asm", "constraints", "args", "dtype") if p not in given]
    if missing:
        raise b.err(node, f"hl.inline_asm_elementwise needs {', '.join(missing)}")
    asm, constraints = (_text(b, given[k], k) for k in ("asm", "constraints"))
    if not isinstance(given["args"], (ast.List, ast.Tuple)) or not given["args"].elts:
        raise b.err(given["args"], "hl.inline_asm_elementwise: args must be a list of tiles")
    dtype = given["dtype"]
    if isinstance(dtype, (ast.List, ast.Tuple)):
        raise b.err(dtype, "hl.inline_asm_elementwise with several result dtypes is not supported",
                    "give one dtype: one result")
    elem = b.dtype_of(dtype, None)
    if elem is None:
        raise b.err(dtype, "hl.inline_asm_elementwise: dtype must be a torch dtype")
    args = [b.as_tile(b.tile_index(b.expr(a), a), a) for a in given["args"].elts]
    pure = _constant(b, given.get("is_pure"), True, bool, "is_pure")
    pack = _constant(b, given.get("pack"), 1, int, "pack")
    dims: list[str] = []
    for a in args:
        dims = broadcast_text(dims, list(a.type.dims))
    return b.emit(T.InlineAsmOp(asm, constraints, args, pack, pure, TileType(dims, from_short(elem))), node).result


def _text(b, node: ast.expr, what: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise b.err(node, f"hl.inline_asm_elementwise: {what} must be a string constant")


def _constant(b, node: ast.expr | None, default, kind: type, what: str):
    if node is None:
        return default
    if isinstance(node, ast.Constant) and type(node.value) is kind:
        return node.value
    raise b.err(node, f"hl.inline_asm_elementwise: {what} must be a {kind.__name__} constant")
