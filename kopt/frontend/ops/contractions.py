"""Contractions in a tile loop: `a @ b`, torch.matmul / mm / bmm / addmm / baddbmm, `hl.dot`,
and the transposes that feed them (`b.T`, `.t()`, `.transpose(i, j)`, `.permute(...)`, `.mT`).

Every product becomes one `tile.dot` with torch's result dtype; an accumulation
(`addmm(acc, a, b)`, `acc += a @ b`, `hl.dot(a, b, acc=acc)`) is `acc + dot`, which
canonicalization folds into `tl.dot(a, b, acc)` once shapes are known. An fp32 `acc`
with fp16/bf16 operands makes the product itself fp32 (no rounding in between).
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import f32, from_short, is_float, is_fp8, promote, short_name
from kopt.dialects.types import TileType
from kopt.errors import KoptError
from kopt.frontend.registry import function, method

_DOT_HINT = "matmul operands are 2-D tiles (or 3-D for a batch), e.g. `x[tile_m, tile_k] @ y[tile_k, tile_n]`"


def _tile(rank: int, elem) -> TileType:
    return TileType(["?"] * rank, elem)


def _args(b, node: ast.Call, names: tuple[str, ...], kwargs: dict, required: int) -> list:
    """Positional-or-keyword arguments by torch's names; missing optional ones are None."""
    if len(node.args) > len(names):
        raise b.err(node, f"`{ast.unparse(node.func)}` takes at most {len(names)} arguments")
    out = list(node.args) + [None] * (len(names) - len(node.args))
    for i, name in enumerate(names):
        if name in kwargs:
            out[i] = kwargs[name]
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise b.err(kwargs[unknown[0]], f"`{ast.unparse(node.func)}`: unsupported keyword {unknown[0]!r}")
    if any(a is None for a in out[:required]):
        raise b.err(node, f"`{ast.unparse(node.func)}` needs {', '.join(names[:required])}")
    return out


def dot(b, lhs, rhs, node: ast.AST, out_elem=None) -> SSAValue:
    """One `tile.dot` of two tiles (operands cast to their common float type)."""
    ta, tb = b.as_tile(lhs, node), b.as_tile(rhs, node)
    if ta.type.rank not in (2, 3) or tb.type.rank != ta.type.rank:
        raise b.err(node, f"matmul of tiles of rank {ta.type.rank} and {tb.type.rank}: both must be 2-D, or both 3-D",
                    _DOT_HINT)
    elem = _operand_type(b, ta, tb, node)
    if not is_float(elem):
        raise b.err(node, f"matmul of {short_name(elem)} tiles: tl.dot here takes floating-point operands",
                    "convert with .to(torch.float16) or .float() first")
    ta, tb = b.cast(ta, elem, node), b.cast(tb, elem, node)
    # fp8 products accumulate in fp32 (tl.dot's fp8 form; torch has no fp8 matmul of its own to follow)
    result = _tile(ta.type.rank, out_elem or (f32 if is_fp8(elem) else elem))
    return b.emit(T.DotOp(ta, tb, result), node).result


def _operand_type(b, ta: SSAValue, tb: SSAValue, node: ast.AST):
    """The element type both operands of a product take: torch's promotion; e4m3 with e5m2 stays fp8 (Triton
    multiplies them together); fp8 with another type is an error (convert explicitly)."""
    a, c = ta.type.element_type, tb.type.element_type
    if is_fp8(a) and is_fp8(c):
        return a
    try:
        return promote(a, c)
    except KoptError as e:
        raise b.err(node, e.message, *e.notes) from None


def accumulate(b, acc, lhs, rhs, node: ast.AST, beta=None, alpha=None, out_elem=None) -> SSAValue:
    """`beta * acc + alpha * (lhs @ rhs)`; the product takes the accumulator's (wider) float type."""
    acc_t = b.as_tile(acc, node)
    ta, tb = b.as_tile(lhs, node), b.as_tile(rhs, node)
    operands = _operand_type(b, ta, tb, node)
    elem = acc_t.type.element_type if is_fp8(operands) else promote(acc_t.type.element_type, operands)
    product = dot(b, ta, tb, node, out_elem or (elem if is_float(elem) else None))
    if alpha is not None:
        product = b.binary(T.MulOp, product, b.expr(alpha), node)
    if beta is not None:
        acc_t = b.binary(T.MulOp, acc_t, b.expr(beta), node)
    return b.binary(T.AddOp, acc_t, product, node)


def _out_elem(b, node: ast.expr | None, fn: str):
    """`out_dtype=torch.float32` of a product (torch.mm/bmm/addmm/baddbmm, hl.dot): the result's element type."""
    if node is None:
        return None
    name = b.dtype_of(node, "")
    if not name:
        raise b.err(node, f"{fn}: out_dtype must be a torch dtype such as torch.float32")
    return from_short(name)


@function("torch.matmul", "torch.mm", "torch.bmm", "operator.matmul")
def matmul(b, node: ast.AST, kwargs: dict) -> SSAValue:
    if isinstance(node, ast.BinOp):  # `a @ b`
        return dot(b, b.expr(node.left), b.expr(node.right), node)
    lhs, rhs, out_dtype = _args(b, node, ("input", "mat2", "out_dtype"), _rename(kwargs, {"other": "mat2"}), 2)
    return dot(b, b.expr(lhs), b.expr(rhs), node, _out_elem(b, out_dtype, ast.unparse(node.func)))


@function("torch.addmm", "torch.baddbmm")
def addmm(b, node: ast.Call, kwargs: dict) -> SSAValue:
    acc, lhs, rhs, beta, alpha, out_dtype = _args(b, node, ("input", "mat1", "mat2", "beta", "alpha", "out_dtype"),
                                                  _rename(kwargs, {"batch1": "mat1", "batch2": "mat2"}), 3)
    return accumulate(b, b.expr(acc), b.expr(lhs), b.expr(rhs), node, _not_one(beta), _not_one(alpha),
                      _out_elem(b, out_dtype, ast.unparse(node.func)))


@function("hl.dot", "helion.language.dot")
def hl_dot(b, node: ast.Call, kwargs: dict) -> SSAValue:
    """Helion's `hl.dot(mat1, mat2, acc=None, out_dtype=None)`."""
    lhs, rhs, acc, out_dtype = _args(b, node, ("mat1", "mat2", "acc", "out_dtype"), kwargs, 2)
    out_elem = _out_elem(b, out_dtype, "hl.dot")
    if acc is not None:
        return accumulate(b, b.expr(acc), b.expr(lhs), b.expr(rhs), node, out_elem=out_elem)
    return dot(b, b.expr(lhs), b.expr(rhs), node, out_elem)


@method("mm", "matmul", "bmm")
def matmul_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    if len(node.args) != 1:
        raise b.err(node, f"`.{node.func.attr}(other)` takes one tile")
    return dot(b, receiver, b.expr(node.args[0]), node)


@method("addmm", "baddbmm")
def addmm_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    if len(node.args) != 2:
        raise b.err(node, f"`.{node.func.attr}(mat1, mat2)` takes two tiles")
    return accumulate(b, receiver, b.expr(node.args[0]), b.expr(node.args[1]), node,
                      _not_one(kwargs.get("beta")), _not_one(kwargs.get("alpha")))


# ------------------------------------------------------------------ transposes


def transpose(b, value, perm: list[int], node: ast.AST) -> SSAValue:
    t = b.as_tile(value, node)
    if sorted(perm) != list(range(t.type.rank)):
        raise b.err(node, f"{perm} is not a permutation of the dims of a rank-{t.type.rank} tile")
    return b.emit(T.TransposeOp(t, perm, _tile(t.type.rank, t.type.element_type)), node).result


def _swap(rank: int, i: int, j: int) -> list[int]:
    perm = list(range(rank))
    perm[i], perm[j] = perm[j], perm[i]
    return perm


@method("t", "T", "mT")
def t_method(b, receiver, node: ast.AST, kwargs: dict) -> SSAValue:
    """`x.t()`, `x.T` (rank 2: swap; torch reverses every dim), `x.mT` (swap the last two)."""
    t = b.as_tile(receiver, node)
    rank = t.type.rank
    name = node.attr if isinstance(node, ast.Attribute) else node.func.attr
    if name == "mT":
        if rank < 2:
            raise b.err(node, "`.mT` needs a tile of rank 2 or more")
        return transpose(b, t, _swap(rank, rank - 2, rank - 1), node)
    if name == "t" and rank > 2:
        raise b.err(node, f"`.t()` is for tiles of rank 2 or less (this one has rank {rank}); use .transpose(i, j)")
    return t if rank < 2 else transpose(b, t, list(reversed(range(rank))), node)


@method("transpose", "swapaxes", "swapdims")
def transpose_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    dims = [_const_int(b, a) for a in node.args]
    if len(dims) != 2:
        raise b.err(node, f"`.{node.func.attr}(dim0, dim1)` takes two dims")
    rank = t.type.rank
    if not all(-rank <= d < rank for d in dims):
        raise b.err(node, f"dims {dims} out of range for a tile of rank {rank}")
    return transpose(b, t, _swap(rank, dims[0] % rank, dims[1] % rank), node)


@method("permute")
def permute_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    args = node.args[0].elts if len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)) else node.args
    rank = t.type.rank
    return transpose(b, t, [_const_int(b, a) % max(rank, 1) for a in args], node)


# ------------------------------------------------------------------ helpers


def _const_int(b, node: ast.expr) -> int:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        value = None
    if not isinstance(value, int):
        raise b.err(node, "a dim must be an integer constant")
    return value


def _not_one(node: ast.expr | None) -> ast.expr | None:
    """beta/alpha of 1 (or absent) need no multiply."""
    if node is None:
        return None
    try:
        return None if ast.literal_eval(node) == 1 else node
    except ValueError:
        return node


def _rename(kwargs: dict, names: dict[str, str]) -> dict:
    return {names.get(k, k): v for k, v in kwargs.items()}
