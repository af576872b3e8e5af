"""Control flow inside tile loops: `if` / `elif` / `else`, and loops whose bounds the kernel computes.

`if`:
- folded at compile time where the condition is known then: a constant, `x is None` / `is not None` of a
  kernel tensor, comparisons of Python numbers (`hl.static_range` indices), `not` / `and` / `or` of those;
- a real branch (`tile.if`, a Python `if` in Triton) on a scalar condition: a loaded value, a tile's
  begin or end, a size, a grid index. Values assigned in a branch and used after it are the branch's
  results; one assigned in only one branch, and not before, is an error where it is used;
- on a tile (a condition per lane): `torch.where` when both branches only assign values, else an error
  that says to write `torch.where`.

Loops nested in a tile loop may take bounds the kernel computes (`hl.tile(0, tile_m.end)`,
`hl.tile(start, end)` with `start = offsets[g]`): each such bound becomes a size of its own, named
`_dyn_begin_k` / `_dyn_extent_k` by a `tile.let`, nonnegative and unknown to the host, so that the shape
analysis treats it honestly (it keeps the masks it cannot prove) and one compile still serves every size.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from xdsl.ir import Block, Region, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i1, i32, is_float, short_name
from kopt.dialects.types import RangeType, TensorType, TileType
from kopt.frontend.host import torch_attr_name
from kopt.frontend.values import PyScalar

_STATIC_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
                   ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b}
_ATOMICS = ("add", "max", "min", "and", "or", "xor", "xchg")
_SIDE_EFFECTS = ("hl.store", "helion.language.store", *(f"{p}.atomic_{k}" for p in ("hl", "helion.language")
                                                        for k in _ATOMICS))


@dataclass(frozen=True)
class AssignedInOneBranch:
    """The value of a name an `if` assigned in only one branch (and that had none before): an error where read."""

    name: str
    line: int


# ---------------------------------------------------------------- conditions known at compile time


def static_condition(b, node: ast.expr) -> bool | None:
    """The value of a condition the compiler knows, or None if only the kernel can tell."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, type(None))):
        return bool(node.value)
    if isinstance(node, ast.Name) and node.id not in b.env and node.id in b.scope.constants:
        return bool(b.scope.constants[node.id])  # a bool (or None, or a tuple) argument: compiled in
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = static_condition(b, node.operand)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        parts = [static_condition(b, v) for v in node.values]
        if isinstance(node.op, ast.And):
            return False if False in parts else (True if all(p is True for p in parts) else None)
        return True if True in parts else (False if all(p is False for p in parts) else None)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None:
            value = b.env.get(node.left.id) if isinstance(node.left, ast.Name) else None
            if isinstance(value, SSAValue) and isinstance(value.type, TensorType):
                return isinstance(op, ast.IsNot)  # a kernel tensor is never None
            if isinstance(node.left, ast.Name) and node.left.id in b.scope.constants:
                return (b.scope.constants[node.left.id] is None) == isinstance(op, ast.Is)
            return None
        if type(op) in _STATIC_COMPARE:
            a, c = _python_number(b, node.left), _python_number(b, right)
            if a is not None and c is not None:
                return _STATIC_COMPARE[type(op)](a, c)
    return None


def _python_number(b, node: ast.expr):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and isinstance(b.env.get(node.id), PyScalar):
        return b.env[node.id].value
    return None


# ---------------------------------------------------------------- if


def if_statement(b, s: ast.If) -> None:
    known = static_condition(b, s.test)
    if known is not None:
        b.body(s.body if known else s.orelse)
        return
    if any(isinstance(n, ast.Compare) and any(isinstance(o, (ast.Is, ast.IsNot)) for o in n.ops) for n in ast.walk(s.test)):
        raise b.err(s.test, "`is None` / `is not None` is decided when the kernel is compiled: on a kernel tensor "
                            "argument it is; on this it cannot be")
    cond = _condition(b, s.test)
    if cond.type.rank == 0:
        _branch(b, s, cond)
    elif _pure(s.body) and _pure(s.orelse):
        _select(b, s, cond)
    else:
        raise b.err(s.test, "an `if` on a tile (one condition per lane) whose branches store or loop",
                    "write the lanes' choice as a value: `y = torch.where(cond, a, b)`, and store it once")


def _condition(b, node: ast.expr) -> SSAValue:
    """A condition as an i1 value: comparisons as they are, `and` / `or` / `not` lane-wise, a number `!= 0`."""
    if isinstance(node, ast.BoolOp):
        parts = [_condition(b, v) for v in node.values]
        op = T.AndOp if isinstance(node.op, ast.And) else T.OrOp
        out = parts[0]
        for p in parts[1:]:
            out = b.binary(op, out, p, node)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return b.binary(T.EqOp, _condition(b, node.operand), PyScalar(0), node)
    value = b.expr(node)
    if isinstance(value, SSAValue) and isinstance(value.type, RangeType):
        raise b.err(node, "a tile is not a condition: compare its `.index`, `.begin` or `.end`")
    t = b.as_tile(value, node)
    return t if t.type.element_type == i1 else b.binary(T.NeOp, t, PyScalar(0), node)


def _assigned(stmts: list[ast.stmt]) -> list[str]:
    names = [n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    return list(dict.fromkeys(names))


def _pure(stmts: list[ast.stmt]) -> bool:
    """Do these statements only compute values (no store, loop or call with side effects)?"""
    for s in stmts:
        if isinstance(s, ast.Pass):
            continue
        if isinstance(s, ast.If):
            if not (_pure(s.body) and _pure(s.orelse)):
                return False
            continue
        if not isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            return False
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        if not all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets):
            return False  # a subscript store
        if any(isinstance(n, ast.Call) and torch_attr_name(n.func) in _SIDE_EFFECTS for n in ast.walk(s)):
            return False
    return True


def _run(b, stmts: list[ast.stmt], env: dict, block: Block | None) -> dict:
    """Lower statements with a copy of `env`, into `block` (None: the current block); return the env after."""
    outer_block, outer_env = b.block, b.env
    b.env = dict(env)
    if block is not None:
        b.block = block
    try:
        b.body(stmts)
        return b.env
    finally:
        b.block, b.env = outer_block, outer_env


def _merge_names(b, s: ast.If, before: dict, envs: list[dict]) -> list[str]:
    """The names whose value depends on the branch taken; names given a value in only one branch (and none
    before) become AssignedInOneBranch in the current env."""
    merged = []
    for name in _assigned(s.body + s.orelse):
        values = [e.get(name, before.get(name)) for e in envs]
        if any(v is None for v in values):
            b.env[name] = AssignedInOneBranch(name, s.lineno)
            continue
        if all(v is values[0] for v in values):
            b.env[name] = values[0]
            continue
        merged.append(name)
    return merged


def _branch_value(b, name: str, value, node: ast.AST, like=None) -> SSAValue:
    if isinstance(value, SSAValue) and isinstance(value.type, TileType):
        return value
    if isinstance(value, PyScalar):
        return b.as_tile(value, node, like)
    raise b.err(node, f"`{name}` is assigned a {type(value).__name__} in a branch of this `if`: only values "
                      "(tiles, numbers) may differ between branches")


def _like(values) -> object:
    """The element type a Python number takes beside a tile value of the other branch."""
    return next((v.type.element_type for v in values if isinstance(v, SSAValue) and isinstance(v.type, TileType)), None)


def _branch(b, s: ast.If, cond: SSAValue) -> None:
    """A scalar condition: `tile.if`, its branches in regions, the values they assign as its results."""
    before = dict(b.env)
    then_block, else_block = Block(), Block()
    envs = [_run(b, s.body, before, then_block), _run(b, s.orelse, before, else_block)]
    names = _merge_names(b, s, before, envs)
    yields: list[list[SSAValue]] = [[], []]
    for name in names:
        raw = [e.get(name, before.get(name)) for e in envs]
        for k, block in enumerate((then_block, else_block)):
            outer = b.block
            b.block = block
            try:
                yields[k].append(_branch_value(b, name, raw[k], s, _like(raw)))
            finally:
                b.block = outer
        a, c = yields[0][-1].type, yields[1][-1].type
        if a.element_type != c.element_type or a.rank != c.rank:
            raise b.err(s, f"`{name}` is a {_describe(a)} in one branch of this `if` and a {_describe(c)} in the "
                           "other: give it one type and rank in both (`.to(...)`, `hl.zeros` before the `if`)")
    then_block.add_op(T.YieldOp(*yields[0]))
    else_block.add_op(T.YieldOp(*yields[1]))
    types = [TileType(["?"] * v.type.rank, v.type.element_type) for v in yields[0]]
    op = T.IfOp.create(operands=[cond], result_types=types, regions=[Region(then_block), Region(else_block)])
    b.emit(op, s)
    for name, r in zip(names, op.results):
        r.name_hint = name
        b.env[name] = r


def _select(b, s: ast.If, cond: SSAValue) -> None:
    """A condition per lane, branches that only compute values: both run, `torch.where` picks per lane."""
    before = dict(b.env)
    envs = [_run(b, s.body, before, None), _run(b, s.orelse, before, None)]
    for name in _merge_names(b, s, before, envs):
        raw = [e.get(name, before.get(name)) for e in envs]
        a, c = (_branch_value(b, name, v, s, _like(raw)) for v in raw)
        b.env[name] = b.where(cond, a, c, s)


def _describe(t: TileType) -> str:
    return f"rank-{t.rank} {short_name(t.element_type)}"


# ---------------------------------------------------------------- loops with computed bounds


def loop_bound(b, node: ast.expr, nested: bool) -> str | SSAValue:
    """A loop bound: a host size (text), or, in a nested loop, a scalar the kernel computes."""
    size = b.scope.try_size_expr(node)
    if size is not None:
        return size
    if not nested:
        raise b.err(node, "an outermost device loop's bounds must be sizes the host knows",
                    "a bound computed on the device (a loaded value, a tile's end) would need a device-to-host "
                    "sync before the launch; loop over the host size and mask, or nest the loop")
    value = b.expr(node)
    if isinstance(value, PyScalar) and isinstance(value.value, int):
        return str(value.value)
    if not (isinstance(value, SSAValue) and isinstance(value.type, TileType) and value.type.rank == 0
            and not is_float(value.type.element_type) and value.type.element_type != i1):
        raise b.err(node, "a loop bound must be an integer: a size, a scalar loaded from a tensor, a tile's "
                          "`.begin` / `.end`, or arithmetic of them")
    return value


def _bound_of(value: SSAValue) -> str | None:
    """A size the host knows that a computed bound never exceeds: a tile's begin or end is at most its range's end."""
    owner = value.owner
    if isinstance(owner, T.TileAttrOp) and owner.which in ("begin", "end"):
        return owner.range.type.end.data
    return None


def dynamic_range(b, node: ast.Call, begin: str | SSAValue, end: str | SSAValue, block: str) -> RangeType:
    """A loop range with a computed bound: `tile.let`s name its begin (when computed) and its extent."""
    k = b.next_dyn_id()
    begin_text = begin
    if isinstance(begin, SSAValue):
        begin_text = f"_dyn_begin_{k}"
        b.emit(T.LetOp(begin_text, begin), node)
    end_value = end if isinstance(end, SSAValue) else b.emit(T.SymbolOp(end, TileType([], i32)), node).result
    if begin == "0":
        extent = end_value
    else:
        begin_value = begin if isinstance(begin, SSAValue) else b.emit(T.SymbolOp(begin, TileType([], i32)), node).result
        extent = b.binary(T.SubOp, end_value, begin_value, node)
    static_begin = not isinstance(begin, SSAValue) or _bound_of(begin) is not None
    bound = _bound_of(end_value) if static_begin else None
    if bound is None and not isinstance(end, SSAValue) and not isinstance(begin, SSAValue):
        bound = end
    extent_text = f"_dyn_extent_{k}"
    b.emit(T.LetOp(extent_text, extent, bound), node)
    if bound is not None:
        b.dyn_facts.append(f"{extent_text} <= {bound}")
    return RangeType(extent_text, block, begin_text)


# ---------------------------------------------------------------- jagged loops

JAGGED_LOOPS = ("hl.jagged_tile", "helion.language.jagged_tile")


def jagged_range(b, call: ast.Call, nested: bool) -> tuple[RangeType, SSAValue]:
    """`hl.jagged_tile(ends)`, as Helion defines it: a loop from 0 to the largest of `ends` (a tile of per-lane
    ends whose dims come from enclosing tiles), in which each lane of those tiles runs only while
    `index < ends`. The range, and the ends that a `tile.jagged` in the loop body will state."""
    if not nested:
        raise b.err(call, "hl.jagged_tile cannot be an outermost loop",
                    "its lanes' ends come from an enclosing tile: nest it in `for tile_b in hl.tile(b):`")
    if call.keywords or len(call.args) != 1:
        raise b.err(call, "hl.jagged_tile takes one argument: a tile of per-lane ends")
    ends = b.expr(call.args[0])
    if not (isinstance(ends, SSAValue) and isinstance(ends.type, TileType) and ends.type.rank >= 1
            and not is_float(ends.type.element_type) and ends.type.element_type != i1):
        raise b.err(call.args[0], "hl.jagged_tile needs a tile of integer ends whose dims come from enclosing "
                                  "tiles (`lengths = offsets[tile_b.index + 1] - offsets[tile_b]`)",
                    "for one end shared by every lane, write `hl.tile(end)`")
    end = ends
    for d in reversed(range(ends.type.rank)):
        end = b.emit(T.ReduceOp("max", end, d, False, TileType(["?"] * d, ends.type.element_type)), call).result
    return dynamic_range(b, call, "0", end, b.next_block_id()), ends
