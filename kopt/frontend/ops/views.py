"""Shape views of tile values: `.unsqueeze(d)`, `.squeeze(d)`, `.reshape(...)` / `.view(...)`,
`.flatten()`, `.expand(...)`, `.expand_as(t)`, and `torch.flip` / `.flip(dims)`.

unsqueeze is a `tile.expand` (a new unit dim); squeeze, reshape, view and flatten are
`tile.reshape` (`tl.reshape`); expand is `tile.broadcast_to`. Target sizes may be
tiles (their block size), `tile.block_size`, integers, host sizes and -1.
(Transposes live with the matmul family, in contractions.py.)
"""

from __future__ import annotations

import ast

from xdsl.ir import SSAValue

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType
from kopt.frontend.registry import function, method


def _tile(rank: int, elem) -> TileType:
    return TileType(["?"] * rank, elem)


def dim_text(b, node: ast.expr) -> str:
    """A size argument as shape text: a tile -> its block size, an int, a host size, -1."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and node.operand.value == 1:
        return "-1"
    if isinstance(node, ast.Name) and isinstance(b.env.get(node.id), SSAValue) \
            and isinstance(b.env[node.id].type, RangeType):
        return b.env[node.id].type.block.data
    if isinstance(node, ast.Attribute) and node.attr == "block_size" and isinstance(node.value, ast.Name):
        r = b.env.get(node.value.id)
        if isinstance(r, SSAValue) and isinstance(r.type, RangeType):
            return r.type.block.data
    if isinstance(node, ast.Name) and node.id in b.scope.block_sizes and node.id not in b.env:
        return b._size(node)  # an hl.register_block_size name: its block symbol
    size = b.scope.try_size_expr(node)
    if size is not None and not size.startswith("-"):
        return size
    raise b.err(node, "a size here must be a tile, `tile.block_size`, an integer, a host size or -1")


def _sizes(node: ast.Call) -> list[ast.expr]:
    """`.reshape(a, b)` and `.reshape([a, b])` / `.reshape((a, b))` alike."""
    if len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)):
        return list(node.args[0].elts)
    return list(node.args)


def _dim(b, node: ast.Call, rank: int, what: str) -> int:
    arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "dim"), None)
    if arg is None:
        raise b.err(node, f"`.{what}()` needs a dim here (kopt does not know which dims are 1 before shape inference)")
    try:
        d = ast.literal_eval(arg)
    except ValueError:
        d = None
    if not isinstance(d, int) or not -rank <= d < rank:
        raise b.err(arg, f"`.{what}`: dim {ast.unparse(arg)} is out of range for rank {rank}")
    return d % rank


@method("unsqueeze")
def unsqueeze(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    d = _dim(b, node, t.type.rank + 1, "unsqueeze")
    spec = [":"] * t.type.rank
    spec.insert(d, "None")
    return b.emit(T.ExpandOp(t, spec, _tile(len(spec), t.type.element_type)), node).result


@method("squeeze")
def squeeze(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    if t.type.rank == 0:
        return t
    d = _dim(b, node, t.type.rank, "squeeze")
    spec = [f"={k}" for k in range(t.type.rank) if k != d]
    return b.emit(T.ReshapeOp(t, spec, _tile(len(spec), t.type.element_type)), node).result


@method("reshape", "view")
def reshape(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    sizes = _sizes(node)
    if not sizes:
        raise b.err(node, f"`.{node.func.attr}(...)` needs the new sizes")
    spec = [dim_text(b, s) for s in sizes]
    return b.emit(T.ReshapeOp(t, spec, _tile(len(spec), t.type.element_type)), node).result


@method("flatten")
def flatten(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    if node.args or kwargs:
        raise b.err(node, "`.flatten()` with start/end dims is not supported; use .reshape(...)")
    return b.emit(T.ReshapeOp(t, ["-1"], _tile(1, t.type.element_type)), node).result


@method("expand")
def expand(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    t = b.as_tile(receiver, node)
    sizes = _sizes(node)
    lead = len(sizes) - t.type.rank
    if lead < 0:
        raise b.err(node, f"`.expand` gives {len(sizes)} sizes for a tile of rank {t.type.rank}")
    spec = []
    for i, s in enumerate(sizes):
        text = dim_text(b, s)
        if text == "-1":
            if i < lead:
                raise b.err(s, "-1 cannot size a new leading dim of `.expand`")
            text = f"={i - lead}"
        spec.append(text)
    return b.emit(T.BroadcastToOp(t, spec, _tile(len(spec), t.type.element_type)), node).result


@method("expand_as")
def expand_as(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    """`v.expand_as(other)`: v broadcast to other's shape (known only after shape inference, so built as v plus
    a zero tile shaped like other, in v's dtype: one add per element)."""
    if len(node.args) != 1 or kwargs:
        raise b.err(node, "`.expand_as(other)` takes one tile")
    t, other = b.as_tile(receiver, node), b.as_tile(b.expr(node.args[0]), node.args[0])
    zeros = b.emit(T.FullLikeOp(other, "0", TileType(["?"] * other.type.rank, t.type.element_type)), node).result
    return b.binary(T.AddOp, t, zeros, node)


def _flip(b, t: SSAValue, args: list[ast.expr], kwargs: dict, node: ast.Call) -> SSAValue:
    """One `tile.flip` per dim of `dims` (an int or a list of them, negative ones from the end)."""
    dims_node = args[0] if args else kwargs.get("dims")
    if dims_node is None or len(args) > 1 or set(kwargs) - {"dims"}:
        raise b.err(node, "`flip` takes the dims to flip: `torch.flip(x, [d])` or `x.flip(d)`")
    try:
        dims = ast.literal_eval(dims_node)
    except ValueError:
        dims = None
    dims = [dims] if isinstance(dims, int) else dims
    rank = t.type.rank
    if not isinstance(dims, (list, tuple)) or not all(isinstance(d, int) and -rank <= d < rank for d in dims):
        raise b.err(dims_node, f"`flip`: dims must be integer constants in range for a tile of rank {rank}")
    for d in dict.fromkeys(d % rank for d in dims):
        t = b.emit(T.FlipOp(t, d), node).result
    return t


@function("torch.flip")
def flip(b, node: ast.Call, kwargs: dict) -> SSAValue:
    if not node.args:
        raise b.err(node, "`torch.flip` needs a tensor and its dims")
    return _flip(b, b.as_tile(b.expr(node.args[0]), node), list(node.args[1:]), kwargs, node)


@method("flip")
def flip_method(b, receiver, node: ast.Call, kwargs: dict) -> SSAValue:
    return _flip(b, b.as_tile(receiver, node), list(node.args), kwargs, node)


@function("hl.split", "helion.language.split")
def split(b, node: ast.Call, kwargs: dict) -> tuple:
    """`a, c = hl.split(x)`: x's last dim, of size 2, as two tiles (`tl.split`)."""
    if len(node.args) != 1 or kwargs:
        raise b.err(node, "hl.split takes one tile whose last dim has size 2")
    op = b.emit(T.SplitOp(b.as_tile(b.expr(node.args[0]), node)), node)
    return (op.lo, op.hi)


@function("hl.join", "helion.language.join")
def join(b, node: ast.Call, kwargs: dict) -> SSAValue:
    """`hl.join(a, c)`: two tiles of one shape with a new last dim of size 2 between them (`tl.join`)."""
    if len(node.args) != 2 or kwargs:
        raise b.err(node, "hl.join takes two tiles of one shape")
    lo, hi = (b.as_tile(b.expr(a), node) for a in node.args)
    return b.emit(T.JoinOp(lo, hi), node).result
