"""Reductions in a tile loop: sum, mean, prod, amax/amin, max/min, argmax/argmin, var/std,
logsumexp, softmax/log_softmax — as torch functions and as tensor methods.

Each becomes primitive tile ops (`tile.reduce`, elementwise ops, `tile.dim_size`);
softmax stays one `tile.softmax` that `decompose` expands. The dtypes follow
torch: fp16/bf16 inputs are computed in fp32 and the result is cast back (Triton
would otherwise sum halves in half precision), integer and bool sums are int64,
arg-reductions int64. `torch.max(x, dim)` gives a (values, indices) pair:
`.values`, `.indices`, `[0]`, `[1]` and `v, i = ...` unpack it.
`mean` and `var` divide by `tile.dim_size`, resolved by `reduction-lowering` to
the true extent of the reduced dim (never a padded block size).
"""

from __future__ import annotations

import ast

from xdsl.dialects.builtin import UnitAttr
from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import f32, from_short, is_float, is_low_precision, short_name
from kopt.dialects.tile_reduce import DimSizeOp
from kopt.dialects.types import TileType
from kopt.frontend.registry import attribute, function, method

i64 = from_short("i64")

# torch spelling -> tile.reduce kind (max/min with a dim give values and indices, see below)
_SIMPLE = {"sum": "sum", "amax": "max", "amin": "min", "prod": "prod", "argmax": "argmax", "argmin": "argmin"}
_SOFTMAX = {"softmax": False, "log_softmax": True}


class ReduceResult(tuple):
    """`torch.max(x, dim)`'s (values, indices), readable as a tuple or by field name."""

    fields = ("values", "indices")


def _tile(rank: int, elem) -> TileType:
    return TileType(["?"] * rank, elem)


def _bool_arg(b, node, value_node, name: str) -> bool:
    if value_node is None:
        return False
    try:
        return bool(ast.literal_eval(value_node))
    except ValueError:
        raise b.err(value_node, f"`{name}` must be a constant True or False") from None


def _dims(b, t: SSAValue, dim_node, node) -> list[int]:
    """`dim` as a sorted list of dims; None (or absent) means every dim."""
    rank = t.type.rank
    if dim_node is None or (isinstance(dim_node, ast.Constant) and dim_node.value is None):
        return list(range(rank))
    try:
        value = ast.literal_eval(dim_node)
    except ValueError:
        raise b.err(dim_node, "`dim` must be an integer constant or a tuple of them") from None
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    out = []
    for v in values:
        if not isinstance(v, int) or not -rank <= v < rank:
            raise b.err(dim_node, f"dim {v} is out of range for a tile of rank {rank}")
        out.append(v % rank)
    return sorted(set(out))


def _params(b, node: ast.Call, names: tuple[str, ...], kwargs: dict, skip: int = 0) -> dict:
    """Positional-or-keyword arguments by torch's names (`skip` leading positional ones are the input)."""
    args = node.args[skip:]
    if len(args) > len(names):
        raise b.err(node, f"`{ast.unparse(node.func)}` takes at most {len(names) + skip} positional arguments")
    out = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names:
            raise b.err(v, f"`{ast.unparse(node.func)}`: unsupported keyword {k!r}")
        out[k] = v
    return out


_FLOAT_ONLY = {"softmax": "softmax", "mean": "mean()", "var": "std and var"}  # torch raises on integer inputs


def compute_dtype(b, t: SSAValue, kind: str, node) -> SSAValue:
    """The input as the reduction computes it: halves in fp32, integer sums in int64, ints as floats for
    logsumexp; softmax, mean and var of integers are errors, as in torch."""
    elem = t.type.element_type
    if kind in ("argmax", "argmin") and short_name(elem) == "i1":
        raise b.err(node, f"{kind} of a bool tile: torch does not take bool input", "convert first: `.to(torch.int32)`")
    if kind in _FLOAT_ONLY and not is_float(elem):
        raise b.err(node, f"{_FLOAT_ONLY[kind]} of a {short_name(elem)} tile: torch takes only floating-point "
                          "inputs here", "convert first: `.to(torch.float32)`")
    if kind in ("sum", "prod") and not is_float(elem):
        return b.cast(t, i64, node)
    # arg-reductions too: exact for halves, and the Triton interpreter orders bf16 by its raw bits
    if is_low_precision(elem) and kind in ("sum", "prod", "mean", "var", "logsumexp", "softmax", "argmax",
                                              "argmin"):
        return b.cast(t, f32, node)
    if kind in ("mean", "var", "logsumexp", "softmax") and not is_float(elem):
        return b.cast(t, f32, node)
    return t


def result_dtype(b, v: SSAValue, elem, node) -> SSAValue:
    """Cast a computed fp32 result back to the half type it came from, as torch returns it."""
    if is_low_precision(elem) and v.type.element_type != elem:
        return b.cast(v, elem, node)
    return v


def reduce(b, kind: str, t: SSAValue, dims: list[int], keepdim: bool, node, nan: bool = False) -> SSAValue:
    """One `tile.reduce` per dim, innermost first; `t` is already in the compute dtype. `nan`: a NaN wins a
    max/min/argmax/argmin, as in torch (the user's reductions; internal maxima leave it off)."""
    for d in sorted(dims, reverse=True):
        elem = i64 if kind in ("argmax", "argmin") else t.type.element_type
        rank = t.type.rank if keepdim else t.type.rank - 1
        op = b.emit(T.ReduceOp(kind, t, d, keepdim, _tile(rank, elem), nan), node)
        if nan and kind in ("max", "min", "argmax", "argmin"):  # the user's: torch raises on an empty dim
            op.attributes["nonempty"] = UnitAttr()
        t = op.result
    return t


def count(b, t: SSAValue, dims: list[int], node) -> SSAValue:
    """How many elements `dims` of `t` hold (an i32 scalar)."""
    n = None
    for d in dims:
        size = b.emit(DimSizeOp(t, d), node).result
        n = size if n is None else b.emit(T.MulOp(n, size, TileType([], size.type.element_type)), node).result
    return n if n is not None else b.emit(T.ConstantOp("1", TileType([], from_short("i32"))), node).result


def _divide(b, total: SSAValue, n: SSAValue, node) -> SSAValue:
    # the i32 count divides the fp32 total as it is: Triton promotes, and a scalar `.to()` would
    # fail on a size that Triton specialized to the constant 1
    return b.emit(T.DivOp(total, n, _tile(total.type.rank, total.type.element_type)), node).result


def mean(b, x: SSAValue, dims: list[int], keepdim: bool, node) -> SSAValue:
    t = compute_dtype(b, x, "mean", node)
    return _divide(b, reduce(b, "sum", t, dims, keepdim, node), count(b, t, dims, node), node)


def var(b, x: SSAValue, dims: list[int], correction: int, keepdim: bool, node) -> SSAValue:
    """Two-pass variance: sum((x - mean)^2) / (N - correction), as torch.var computes it."""
    t = compute_dtype(b, x, "var", node)
    mu = mean(b, t, dims, True, node)
    d = b.emit(T.SubOp(t, mu, _tile(t.type.rank, t.type.element_type)), node).result
    sq = b.emit(T.MulOp(d, d, d.type), node).result
    n = count(b, t, dims, node)
    if correction:
        c = b.emit(T.ConstantOp(str(correction), TileType([], n.type.element_type)), node).result
        n = b.emit(T.SubOp(n, c, n.type), node).result
    return _divide(b, reduce(b, "sum", sq, dims, keepdim, node), n, node)


def logsumexp(b, x: SSAValue, dims: list[int], keepdim: bool, node) -> SSAValue:
    """max + log(sum(exp(x - max))): the max→sub→exp→sum chain that online lowering recognizes."""
    t = compute_dtype(b, x, "logsumexp", node)
    if len(dims) != 1:
        raise b.err(node, "logsumexp over several dims is not supported; reduce one dim at a time")
    d = dims[0]
    rank = t.type.rank
    m = reduce(b, "max", t, dims, False, node, nan=True)
    spec = [":"] * (rank - 1)
    spec.insert(d, "None")
    m_k = b.emit(T.ExpandOp(m, spec, _tile(rank, t.type.element_type)), node).result
    shifted = b.emit(T.SubOp(t, m_k, t.type), node).result
    e = b.emit(T.ExpOp(shifted), node).result
    s = reduce(b, "sum", e, dims, False, node)
    log_s = b.emit(T.LogOp(s), node).result
    out = b.emit(T.AddOp(m, log_s, m.type), node).result
    # a row whose max is infinite: torch gives that infinity (x - max is NaN there); a NaN stays NaN
    for inf in ("inf", "-inf"):
        bound = b.emit(T.ConstantOp(inf, TileType([], m.type.element_type)), node).result
        at = b.emit(T.EqOp(m, bound, TileType(["?"] * m.type.rank, from_short("i1"))), node).result
        out = b.emit(T.WhereOp(at, bound, out, out.type), node).result
    if keepdim:
        out = b.emit(T.ExpandOp(out, spec, _tile(rank, out.type.element_type)), node).result
    return out


# ---------------------------------------------------------------- handlers


def _input_and_params(b, node: ast.Call, kwargs: dict, receiver, names: tuple[str, ...]):
    """(input tile, parameters) for `torch.f(x, ...)` (receiver None) and `x.f(...)`."""
    if receiver is None:
        if not node.args and "input" not in kwargs:
            raise b.err(node, f"`{ast.unparse(node.func)}` needs an input tile")
        src = node.args[0] if node.args else kwargs.pop("input")
        return b.as_tile(b.expr(src), node), _params(b, node, names, kwargs, skip=1 if node.args else 0)
    return b.as_tile(receiver, node), _params(b, node, names, kwargs)


def _simple(b, node: ast.Call, kwargs: dict, receiver=None) -> SSAValue:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    kind = _SIMPLE[name]
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "keepdim", "dtype"))
    if "dtype" in p:
        raise b.err(p["dtype"], f"{name}(dtype=...) is not supported; convert with .to() first")
    dims = _dims(b, x, p.get("dim"), node)
    if kind in ("argmax", "argmin") and len(dims) != 1:
        raise b.err(node, f"{name} needs one `dim`")
    t = compute_dtype(b, x, kind, node)
    out = reduce(b, kind, t, dims, _bool_arg(b, node, p.get("keepdim"), "keepdim"), node, nan=True)
    return result_dtype(b, out, x.type.element_type, node)


def _max_min(b, node: ast.Call, kwargs: dict, receiver=None):
    """max/min: of everything (no dim), elementwise (a second tile), or (values, indices) along a dim."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    kind = "max" if name == "max" else "min"
    other = node.args[1] if receiver is None and len(node.args) > 1 else node.args[0] if receiver is not None and node.args else kwargs.get("other")
    if other is not None and not _is_int_literal(other):
        x = b.expr(node.args[0]) if receiver is None else receiver
        op = T.MaximumOp if kind == "max" else T.MinimumOp
        return b.binary(op, x, b.expr(other), node)
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "keepdim"))
    if p.get("dim") is None:
        return reduce(b, kind, x, list(range(x.type.rank)), False, node, nan=True)
    dims = _dims(b, x, p["dim"], node)
    keepdim = _bool_arg(b, node, p.get("keepdim"), "keepdim")
    values = reduce(b, kind, x, dims, keepdim, node, nan=True)
    indices = reduce(b, "arg" + kind, compute_dtype(b, x, "arg" + kind, node), dims, keepdim, node, nan=True)
    return ReduceResult((values, indices))


def _is_int_literal(n: ast.expr) -> bool:
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        n = n.operand
    return isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool)


def _mean(b, node: ast.Call, kwargs: dict, receiver=None) -> SSAValue:
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "keepdim", "dtype"))
    if "dtype" in p:
        raise b.err(p["dtype"], "mean(dtype=...) is not supported; convert with .to() first")
    out = mean(b, x, _dims(b, x, p.get("dim"), node), _bool_arg(b, node, p.get("keepdim"), "keepdim"), node)
    return result_dtype(b, out, x.type.element_type, node)


def _correction(b, p: dict) -> int:
    if "correction" in p and "unbiased" in p:
        raise b.err(p["correction"], "give `correction` or `unbiased`, not both")
    if "unbiased" in p:
        return 1 if _bool_arg(b, p["unbiased"], p["unbiased"], "unbiased") else 0
    c = p.get("correction")
    if c is None:
        return 1
    try:
        value = ast.literal_eval(c)
    except ValueError:
        value = None
    if not isinstance(value, int):
        raise b.err(c, "`correction` must be an integer constant")
    return value


def _var_like(b, node: ast.Call, kwargs: dict, receiver=None):
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "unbiased", "keepdim", "correction"))
    if "unbiased" in p and not _is_bool_literal(p["unbiased"]):  # torch.var(x, dim) positional: dim then unbiased
        raise b.err(p["unbiased"], "`unbiased` must be a constant True or False")
    dims = _dims(b, x, p.get("dim"), node)
    keepdim = _bool_arg(b, node, p.get("keepdim"), "keepdim")
    v = var(b, x, dims, _correction(b, p), keepdim, node)
    if name.startswith("std"):
        v = b.emit(T.SqrtOp(v), node).result
    out = result_dtype(b, v, x.type.element_type, node)
    if name.endswith("_mean"):  # var_mean / std_mean: (var, mean)
        return (out, result_dtype(b, mean(b, x, dims, keepdim, node), x.type.element_type, node))
    return out


def _is_bool_literal(n: ast.expr) -> bool:
    return isinstance(n, ast.Constant) and isinstance(n.value, bool)


def _logsumexp(b, node: ast.Call, kwargs: dict, receiver=None) -> SSAValue:
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "keepdim"))
    if p.get("dim") is None:
        raise b.err(node, "logsumexp needs `dim`")
    out = logsumexp(b, x, _dims(b, x, p["dim"], node), _bool_arg(b, node, p.get("keepdim"), "keepdim"), node)
    return result_dtype(b, out, x.type.element_type, node)


def _softmax(b, node: ast.Call, kwargs: dict, receiver=None) -> SSAValue:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "dtype", "_stacklevel"))
    if "dtype" in p:
        raise b.err(p["dtype"], f"{name}(dtype=...) is not supported; convert with .to() first")
    if p.get("dim") is None:
        raise b.err(node, f"{name} needs `dim`")
    dims = _dims(b, x, p["dim"], node)
    t = compute_dtype(b, x, "softmax", node)
    out = b.emit(T.SoftmaxOp(t, dims[0], _SOFTMAX[name], t.type), node).result
    return result_dtype(b, out, x.type.element_type, node)


def _scan(b, node: ast.Call, kwargs: dict, receiver=None) -> SSAValue:
    """torch.cumsum / cumprod along `dim` (`dtype=` converts the input first); integers scan in int64."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    x, p = _input_and_params(b, node, dict(kwargs), receiver, ("dim", "dtype"))
    if p.get("dim") is None:
        raise b.err(node, f"{name} needs `dim`")
    dims = _dims(b, x, p["dim"], node)
    if "dtype" in p:
        dtype = b.dtype_of(p["dtype"], "")
        if not dtype:
            raise b.err(p["dtype"], f"{name}: dtype must be a torch dtype such as torch.float32")
        x = b.cast(x, from_short(dtype), node)
    kind = "sum" if name == "cumsum" else "prod"
    t = compute_dtype(b, x, kind, node)
    out = b.emit(T.ScanOp(kind, t, dims[0], t.type), node).result
    return result_dtype(b, out, x.type.element_type, node)


def _as_function(handler):
    return lambda b, node, kwargs: handler(b, node, kwargs)


def _as_method(handler):
    return lambda b, receiver, node, kwargs: handler(b, node, kwargs, receiver)


for _name in _SIMPLE:
    function(f"torch.{_name}")(_as_function(_simple))
    method(_name)(_as_method(_simple))
for _name in ("max", "min"):
    function(f"torch.{_name}")(_as_function(_max_min))
    method(_name)(_as_method(_max_min))
function("torch.mean")(_as_function(_mean))
method("mean")(_as_method(_mean))
for _name in ("var", "std", "var_mean", "std_mean"):
    function(f"torch.{_name}")(_as_function(_var_like))
    method(_name)(_as_method(_var_like))
function("torch.logsumexp", "torch.special.logsumexp")(_as_function(_logsumexp))
for _name in ("cumsum", "cumprod"):
    function(f"torch.{_name}", f"hl.{_name}", f"helion.language.{_name}")(_as_function(_scan))
    method(_name)(_as_method(_scan))
method("logsumexp")(_as_method(_logsumexp))
for _name in _SOFTMAX:
    function(f"torch.{_name}", f"torch.nn.functional.{_name}", f"torch.special.{_name}")(_as_function(_softmax))
    method(_name)(_as_method(_softmax))


@attribute("values", "indices")
def _field(b, receiver, node: ast.Attribute):
    if not isinstance(receiver, ReduceResult):
        raise b.err(node, f"`.{node.attr}` is the field of a max/min result (`torch.max(x, dim).{node.attr}`)")
    return receiver[ReduceResult.fields.index(node.attr)]


@method("size")
def _size(b, receiver, node: ast.Call, kwargs: dict):
    """`chunk.size(d)` of a tile: the number of valid elements along d (shorter for a loop's last tile),
    which is what a mean or a Welford update of that chunk must divide by."""
    t = b.as_tile(receiver, node)
    if not node.args or kwargs:
        raise b.err(node, "`.size()` of a tile needs one dim: `chunk.size(-1)`")
    d = b._dim_arg(node.args, {}, t.type.rank, node)
    return b.emit(DimSizeOp(t, d), node).result
