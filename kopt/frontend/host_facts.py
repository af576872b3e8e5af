"""Shape facts stated by host code: `assert`s on sizes, and `hl.specialize`.

`assert n % 16 == 0` or `assert x.size(1) == 1024` at the top level of a kernel
function runs in the launcher before every launch that follows it, so the
kernels launched after it may rely on it: it becomes a fact of their plan
(`n % 16 == 0`, `_m == 1024`), which mask-elision reads. Only
comparisons of size expressions are taken (==, <=, <, >=, >, joined by `and`);
anything else stays a plain Python assert. An assert stops counting once a name
it reads is assigned again, since the launch would then see another value.
(Under `python -O` Python drops asserts: then a fact holds only if the user's
sizes really satisfy it.)

`block = 64` (an int literal, or the value a config gives `hl.register_tunable`) makes `block == 64` a fact of
the kernels launched after it, until `block` is assigned again: a size the facts fix is a literal in block shapes
(`hl.zeros([tile_m, block])` needs one).

`n = hl.specialize(x.size(0))` asks for a kernel compiled for the value of n:
the frontend reads it as the size `n` and lists `n` in the kernel's
`specialized` attribute; the runtime keys its compiles on that value and
states `n == value` as a fact (the CLI, which has no values, takes
`--assume "n == 4096"` instead).
"""

from __future__ import annotations

import ast

from xdsl.dialects.builtin import ArrayAttr, StringAttr

from kopt.analysis import FactBase
from kopt.dialects.sizes import canonical
from kopt.dialects import tile as T
from kopt.errors import KoptError
from kopt.frontend.host import SPECIALIZE_CALLS, HostScope, torch_attr_name

_RELATIONS = {ast.Eq: "==", ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">"}


def specialized_arg(value: ast.expr) -> ast.expr | None:
    """The argument of `hl.specialize(arg)`, else None."""
    if isinstance(value, ast.Call) and torch_attr_name(value.func) in SPECIALIZE_CALLS and len(value.args) == 1:
        return value.args[0]
    return None


def _assigned_names(stmt: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def _read_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class HostFacts:
    """What the host statements seen so far promise to the kernels launched next."""

    def __init__(self) -> None:
        self._asserts: list[ast.Assert] = []
        self._specialized: list[str] = []
        self._literals: dict[str, int] = {}  # `block = 64` (or a tunable's value): the name is that size

    def see(self, stmt: ast.stmt) -> None:
        """Take note of one top-level host statement (in program order)."""
        assigned = _assigned_names(stmt)
        if assigned:
            self._asserts = [a for a in self._asserts if not (_read_names(a.test) & assigned)]
            for name in assigned:
                self._literals.pop(name, None)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Constant) and type(stmt.value.value) is int and stmt.value.value > 0:
            self._literals[stmt.targets[0].id] = stmt.value.value
        if isinstance(stmt, ast.Assert):
            self._asserts.append(stmt)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            if specialized_arg(stmt.value) is not None:
                self._specialized.append(stmt.targets[0].id)

    def attach(self, kernel: T.KernelOp, launch: T.LaunchOp, scope: HostScope, loop: ast.AST | None = None) -> None:
        """Record the facts and specializations that concern this kernel (launched for `loop`) on it."""
        facts = scope.static_facts() + [f for a in self._asserts for f in assert_facts(a.test, scope)]
        used = _read_names(loop) if loop is not None else set(launch.bindings)
        facts += [f"{name} == {value}" for name, value in self._literals.items() if name in used]
        if facts:
            kernel.add_facts(facts)
        used = [n for n in self._specialized if n in launch.bindings]
        if used:
            kernel.attributes["specialized"] = ArrayAttr(StringAttr(n) for n in used)


def assert_facts(test: ast.expr, scope: HostScope) -> list[str]:
    """The shape facts an assert's condition states (those parts of an `and` that are facts)."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    out = []
    for part in parts:
        text = _comparison_text(part, scope)
        if text is not None and _is_fact(text):
            out.append(text)
    return out


def _comparison_text(node: ast.expr, scope: HostScope) -> str | None:
    if not isinstance(node, ast.Compare) or not all(type(op) in _RELATIONS for op in node.ops):
        return None
    sides = [scope.try_size_expr(x) for x in [node.left, *node.comparators]]
    if any(s is None for s in sides):
        return None
    try:  # the shape language's own spelling: `n*m % 128`, not the host's `(n * m) % (128)`
        sides = [canonical(s) for s in sides]
    except KoptError:
        return None
    text = sides[0]
    for op, side in zip(node.ops, sides[1:]):
        text += f" {_RELATIONS[type(op)]} {side}"
    return text


def _is_fact(text: str) -> bool:
    # Only what a FactBase accepts on its own (a false constant assert is left to Python).
    try:
        FactBase().assume_text(text)
    except KoptError:
        return False
    return True


def specialized_dims(fn: ast.FunctionDef) -> list[tuple[str, int]]:
    """(parameter, dim) of every size the kernel's host code passes to `hl.specialize`: `x.size(1)`,
    `x.shape[1]`, or a name bound to one of those (`_, d = x.size()` then `hl.specialize(d)`). The runtime keys
    its compiles on their values and states them as facts (so the first compile already has them)."""
    params = {a.arg for a in fn.args.args}
    named: dict[str, tuple[str, int]] = {}
    out: list[tuple[str, int]] = []

    def dim_of(node: ast.expr) -> tuple[str, int] | None:
        if isinstance(node, ast.Name):
            return named.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "size" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in params \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return node.func.value.id, int(node.args[0].value)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape" \
                and isinstance(node.value.value, ast.Name) and node.value.value.id in params \
                and isinstance(node.slice, ast.Constant):
            return node.value.value.id, int(node.slice.value)
        return None

    for stmt in fn.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            continue
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr == "size" and not value.args and isinstance(value.func.value, ast.Name) \
                and value.func.value.id in params:
            for i, e in enumerate(target.elts):
                if isinstance(e, ast.Name):
                    named[e.id] = (value.func.value.id, i)
        elif isinstance(target, ast.Name):
            arg = specialized_arg(value)
            dim = dim_of(arg) if arg is not None else dim_of(value)
            if dim is not None:
                named[target.id] = dim
                if arg is not None and dim not in out:
                    out.append(dim)
    return out
