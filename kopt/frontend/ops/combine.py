"""`hl.reduce(combine_fn, x, dim, other=0, keep_dims=False)` and `hl.associative_scan(combine_fn, x, dim,
reverse=False)`: a reduction or a scan with the user's combine function -> `tile.reduce_fn` / `tile.scan_fn`.

The combine function is a lambda written in the call, a `def` (or `name = lambda ...`) of the kernel's module or
of the kernel's host code, a function passed to the kernel, or a torch function of two tiles (`torch.add`). Its
body, assignments and a final `return` of torch ops, operators and `torch.where` on its arguments and numbers,
is inlined by the device builder into the op's region on scalars of the inputs' element types: every tile op
the builder makes is available, and the backend writes the region as a `@triton.jit` function of its own.

`x` may be a tuple of tiles of one shape (an argmax as a reduce of (value, index)); the combine function then
takes two tuples, `f(left, right)`, or the values one by one, `f(a0, a1, b0, b1)`, as in Helion, and returns a
tuple. Lanes past a range's end take `other` in a reduce (one number, or one per input; Helion's semantics); a
scan needs none (masking keeps padding lanes out of a reverse scan). `dim=None` reduces every dim, innermost
first. A value the function returns in another dtype is converted back to its input's (Triton's rule).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from xdsl.ir import Region, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import is_bool, is_float, short_name
from kopt.dialects.types import TileType
from kopt.errors import KoptError
from kopt.frontend.host import torch_attr_name
from kopt.frontend.registry import function
from kopt.frontend.source import KernelSource
from kopt.frontend.values import PyScalar, python_constant
from kopt.ir.util import op_error

# what a combine function's region may hold: elementwise ops on its scalars, numbers, conversions
_ALLOWED = (*T.BINARY_OPS, *T.UNARY_CLASSES, T.CastOp, T.ConstantOp, T.WhereOp, T.YieldOp)
_HINT = ("a combine function holds assignments and a final `return` of torch ops, operators and `torch.where` "
         "on its arguments and numbers")


@dataclass(frozen=True)
class Combine:
    """A combine function ready to inline: its parameters, its statements (the last a `return`), where its
    nodes are, and the numbers it reads from outside."""

    name: str
    params: tuple[str, ...]
    body: tuple[ast.stmt, ...]
    src: KernelSource
    node: ast.AST  # the `def` or the lambda
    constants: tuple[tuple[str, object], ...] = ()


def _from_node(b, name: str, node: ast.AST, src: KernelSource, constants=()) -> Combine:
    a = node.args
    if a.vararg or a.kwarg or a.kwonlyargs:
        raise src.error(node, f"the combine function `{name}` must take plain positional parameters",
                        "two (one value per side), or two per input of a tuple (`a0, a1, b0, b1`)")
    params = tuple(p.arg for p in (*a.posonlyargs, *a.args))
    if isinstance(node, ast.Lambda):
        return Combine(name, params, (ast.copy_location(ast.Return(node.body), node.body),), src, node, constants)
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring
    return Combine(name, params, tuple(body), src, node, constants)


def _host_function(b, name: str) -> ast.AST | None:
    """A `def name` or `name = lambda` among the kernel's own (host) statements."""
    for s in b.src.fn.body:
        if isinstance(s, ast.FunctionDef) and s.name == name:
            return s
        if isinstance(s, ast.Assign) and isinstance(s.value, ast.Lambda) and len(s.targets) == 1 \
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id == name:
            return s.value
    return None


def resolve(b, node: ast.expr, what: str) -> Combine:
    """The combine function named (or written) at `node`."""
    if isinstance(node, ast.Lambda):
        return _from_node(b, "<lambda>", node, b.src)
    if isinstance(node, ast.Name):
        name = node.id
        if name in b.env:
            raise b.err(node, f"`{name}` is a value here, not a function: {what} takes a combine function first",
                        f"`{what}(lambda a, b: a + b, x, dim)`")
        if name in b.scope.callables:  # a function passed to the kernel
            fn = b.scope.callables[name]
            if fn.tensors:
                raise b.err(node, f"`{name}` reads the tensor `{fn.tensors[0][0]}`: a combine function sees only "
                                  "its arguments and numbers")
            body = (ast.copy_location(ast.Return(fn.body), fn.body),) if isinstance(fn.body, ast.expr) else fn.body
            return Combine(name, fn.params, tuple(body), b.src, node, fn.constants)
        local = _host_function(b, name)
        if local is not None:
            return _from_node(b, name, local, b.src)
        try:
            found = b.src.functions(name)
        except KoptError as e:
            raise b.err(node, e.message, *e.notes) from None
        if found is not None:
            return _from_node(b, name, found.node, found.src, found.constants)
        raise b.err(node, f"`{name}` is not a function kopt can read here: {what} takes a combine function first",
                    "define it with `def` in the kernel's module (or its host code), write a lambda in the call, "
                    "or pass it to the kernel")
    dotted = torch_attr_name(node)
    if dotted is not None and dotted.startswith("torch."):  # `torch.add`, `torch.maximum`: the function of two tiles
        left, right = (ast.copy_location(ast.Name(p, ast.Load()), node) for p in ("_kopt_a", "_kopt_b"))
        call = ast.copy_location(ast.Call(node, [left, right], []), node)
        return Combine(dotted, ("_kopt_a", "_kopt_b"), (ast.copy_location(ast.Return(call), node),), b.src, node)
    raise b.err(node, f"{what} takes a combine function first: a lambda, a function's name or a torch function",
                f"`{what}(lambda a, b: a + b, x, dim)`")


def _check_statements(fn: Combine) -> None:
    """Assignments, then one `return`; a loop, a branch or an early `return` is a located error."""
    if not fn.body or not isinstance(fn.body[-1], ast.Return) or fn.body[-1].value is None:
        raise fn.src.error(fn.node, f"the combine function `{fn.name}` must end with `return <value>`")
    for s in fn.body[:-1]:
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass)):
            continue
        kind = {ast.For: "a `for` loop", ast.While: "a `while` loop", ast.If: "an `if`", ast.Return: "an early `return`",
                ast.With: "a `with` block", ast.Try: "a `try` block"}.get(type(s), f"a `{type(s).__name__}` statement")
        raise fn.src.error(s, f"{kind} is not supported in the combine function `{fn.name}`", _HINT,
                           "for a choice per element, use `torch.where(cond, a, b)`")


def combine_region(b, fn: Combine, elems: list, tupled: bool, call: ast.Call, what: str) -> Region:
    """The region of a `tile.reduce_fn` / `tile.scan_fn`: `fn` inlined on scalars of the element types `elems`
    (the left ones, then the right ones), yielding one scalar per input."""
    k = len(elems)
    block = T.ReduceFnOp.combine_block(elems)
    left, right = list(block.args[:k]), list(block.args[k:])
    p = fn.params
    if not tupled and len(p) == 2:
        bound = {p[0]: left[0], p[1]: right[0]}
        hints = [p[0], p[1]]
    elif tupled and len(p) == 2:
        bound = {p[0]: tuple(left), p[1]: tuple(right)}
        hints = [f"{p[0]}.{i}" for i in range(k)] + [f"{p[1]}.{i}" for i in range(k)]
    elif tupled and len(p) == 2 * k:
        bound = dict(zip(p, left + right))
        hints = list(p)
    else:
        want = "2 parameters" + (f" (two tuples) or {2 * k} (`a0, .., a{k - 1}, b0, .., b{k - 1}`)" if tupled else "")
        raise fn.src.error(fn.node, f"the combine function `{fn.name}` takes {len(p)} parameter"
                                    f"{'s' if len(p) != 1 else ''}; {what} of {k} input{'s' if k > 1 else ''} "
                                    f"calls it with {want}")
    for arg, hint in zip(block.args, hints):
        if not hint.startswith("_kopt_"):
            head, sep, tail = hint.rpartition("_")  # xDSL drops a trailing `_<digits>`: keep it as `.<digits>`
            arg.name_hint = f"{head}.{tail}" if sep and tail.isdigit() and head else hint
    _check_statements(fn)
    saved = b.block, b.env, b.src
    b.block, b.src = block, fn.src
    b.env = {name: python_constant(v) for name, v in fn.constants}
    b.env.update(bound)
    ret = fn.body[-1]
    try:
        for s in fn.body[:-1]:
            b.stmt(s)
        out = b.expr(ret.value)
        values = list(out) if isinstance(out, tuple) else [out]
        if len(values) != k:
            raise b.err(ret, f"the combine function `{fn.name}` returns {len(values)} value"
                             f"{'s' if len(values) != 1 else ''} for {k} input{'s' if k > 1 else ''}",
                        "it returns one value per input, in order")
        results = []
        for v, elem in zip(values, elems):
            t = b.as_tile(v, ret, elem)
            if t.type.rank != 0:
                raise b.err(ret, f"the combine function `{fn.name}` returns a tile of rank {t.type.rank}: it "
                                 "combines scalars", _HINT)
            results.append(b.cast(t, elem, ret))
        b.emit(T.YieldOp(*results), ret)
    except KoptError as e:
        if e.loc is None or e.loc.file != fn.src.file or any("combine function" in n for n in e.notes):
            raise
        here = b.src.loc(call) if fn.src is not saved[2] else None
        where = f" (from the {what} on line {saved[2].loc(call).line})" if here is None else f" (from {here})"
        raise KoptError(e.message, e.loc, notes=[*e.notes, f"in the combine function `{fn.name}`{where}"]) from None
    finally:
        b.block, b.env, b.src = saved
    for op in block.ops:
        if isinstance(op, T.SymbolOp):
            raise op_error(op, f"`{op.expr.data}` is a size of the kernel: the combine function `{fn.name}` sees only "
                               "its arguments and numbers", "compute with it outside the combine function")
        if not isinstance(op, _ALLOWED) or any(isinstance(r.type, TileType) and r.type.rank for r in op.results):
            raise op_error(op, f"`{op.name}` cannot be part of the combine function `{fn.name}`", _HINT)
    return Region(block)


def _literal(b, v, elem, node: ast.AST) -> str:
    """`other` as IR literal text of the input's element type."""
    if not isinstance(v, PyScalar):
        raise b.err(node, "`other` must be a number (or a tuple of numbers, one per input)")
    x = v.value
    if is_float(elem):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(float(x))
    if isinstance(x, float) and not x.is_integer():
        raise b.err(node, f"`other` = {x} for a {short_name(elem)} input: give a value of its dtype")
    if is_bool(elem):
        return "1" if x else "0"
    return str(int(x))


def _other(b, node: ast.AST | None, inputs: list[SSAValue]) -> list[str]:
    if node is None:
        return [_literal(b, PyScalar(0), v.type.element_type, node) for v in inputs]
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        value = PyScalar(int(node.value))
    elif isinstance(node, ast.Tuple):
        value = tuple(PyScalar(int(e.value)) if isinstance(e, ast.Constant) and isinstance(e.value, bool)
                      else b.expr(e) for e in node.elts)
    else:
        value = b.expr(node)
    values = list(value) if isinstance(value, tuple) else [value] * len(inputs)
    if len(values) != len(inputs):
        raise b.err(node, f"`other` gives {len(values)} values for {len(inputs)} inputs")
    return [_literal(b, v, t.type.element_type, node) for v, t in zip(values, inputs)]


def _inputs(b, node: ast.expr, call: ast.Call, what: str) -> tuple[list[SSAValue], bool]:
    """The input tiles, and whether they came as a tuple; tiles of lower rank broadcast to the highest."""
    value = b.expr(node)
    tupled = isinstance(value, tuple)
    items = list(value) if tupled else [value]
    if not items:
        raise b.err(node, f"{what} of an empty tuple")
    tiles = [b.as_tile(v, node) for v in items]
    rank = max(t.type.rank for t in tiles)
    if rank == 0:
        raise b.err(node, f"{what} of a scalar: give a tile")
    widest = next(t for t in tiles if t.type.rank == rank)
    out = []
    for t in tiles:
        if t.type.rank < rank:  # `(values, idx)` with idx a row of indices: broadcast as torch would
            zeros = b.emit(T.FullLikeOp(widest, "0", TileType(["?"] * rank, t.type.element_type)), node).result
            t = b.binary(T.AddOp, t, zeros, node)
        out.append(t)
    return out, tupled


def _params(b, call: ast.Call, kwargs: dict, names: tuple[str, ...], what: str) -> dict:
    if len(call.args) > len(names):
        raise b.err(call, f"{what} takes at most {len(names)} positional arguments")
    out = dict(zip(names, call.args))
    for k, v in kwargs.items():
        if k not in names:
            raise b.err(v, f"{what}: unsupported keyword {k!r}", f"it takes {', '.join(names)}")
        if k in out:
            raise b.err(v, f"{what}: `{k}` given twice")
        out[k] = v
    for need in names[:2]:
        if need not in out:
            raise b.err(call, f"{what} needs `{need}`", f"`{what}(combine_fn, input, dim, ...)`")
    return out


def _flag(b, node: ast.expr | None, name: str) -> bool:
    if node is None:
        return False
    try:
        value = ast.literal_eval(node)
    except ValueError:
        value = None
    if not isinstance(value, bool):
        raise b.err(node, f"`{name}` must be a constant True or False")
    return value


def _dim(b, node: ast.expr | None, rank: int, what: str, call: ast.Call) -> int | None:
    if node is None or isinstance(node, ast.Constant) and node.value is None:
        return None
    try:
        value = ast.literal_eval(node)
    except ValueError:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise b.err(node, f"{what}: `dim` must be an integer constant")
    if not -rank <= value < rank:
        raise b.err(node, f"dim {value} is out of range for a tile of rank {rank}")
    return value % rank


def _result(values: list[SSAValue], tupled: bool):
    return tuple(values) if tupled else values[0]


@function("hl.reduce", "helion.language.reduce")
def reduce_fn(b, call: ast.Call, kwargs: dict):
    what = "hl.reduce"
    p = _params(b, call, kwargs, ("combine_fn", "input", "dim", "other", "keep_dims"), what)
    fn = resolve(b, p["combine_fn"], what)
    inputs, tupled = _inputs(b, p["input"], call, what)
    rank = inputs[0].type.rank
    d = _dim(b, p.get("dim"), rank, what, call)
    keep = _flag(b, p.get("keep_dims"), "keep_dims")
    others = _other(b, p.get("other"), inputs)
    elems = [t.type.element_type for t in inputs]
    values = inputs
    for dim in [d] if d is not None else reversed(range(rank)):
        region = combine_region(b, fn, elems, tupled, call, what)
        out_rank = values[0].type.rank - (0 if keep else 1)
        op = b.emit(T.ReduceFnOp(values, dim, keep, others, [TileType(["?"] * out_rank, e) for e in elems], region),
                    call)
        values = list(op.res)
    return _result(values, tupled)


@function("hl.associative_scan", "helion.language.associative_scan")
def associative_scan(b, call: ast.Call, kwargs: dict):
    what = "hl.associative_scan"
    p = _params(b, call, kwargs, ("combine_fn", "input", "dim", "reverse"), what)
    fn = resolve(b, p["combine_fn"], what)
    inputs, tupled = _inputs(b, p["input"], call, what)
    d = _dim(b, p.get("dim"), inputs[0].type.rank, what, call)
    if d is None:
        raise b.err(call, f"{what} needs `dim`", f"`{what}(combine_fn, x, dim)`: the dim to scan along")
    elems = [t.type.element_type for t in inputs]
    region = combine_region(b, fn, elems, tupled, call, what)
    op = b.emit(T.ScanFnOp(inputs, d, _flag(b, p.get("reverse"), "reverse"),
                           [TileType(["?"] * t.type.rank, t.type.element_type) for t in inputs], region), call)
    return _result(list(op.res), tupled)
