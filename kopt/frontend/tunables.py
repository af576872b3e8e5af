"""`x = hl.register_tunable("x", PowerOfTwoFragment(16, 256))` in host code (kopt/autotuner.py).

A tunable is a value the config chooses and kopt compiles in: the frontend reads the registration as
`x = <value>` (the config's field `x`, else the fragment's default), so an integer tunable is a host literal,
a fact `x == value` of the kernels that use it and a literal in their block shapes (host_facts.py). The runtime
keys compiles on the config, and the autotuner tries the fragment's choices (kopt/runtime/kernel.py).
"""

from __future__ import annotations

import ast

from kopt import autotuner
from kopt.errors import KoptError
from kopt.frontend.host import torch_attr_name

REGISTER = ("hl.register_tunable", "helion.language.register_tunable")


def tunable_registration(stmt: ast.stmt, src) -> tuple[str, str, object] | None:
    """(host name, config field, fragment) of `name = hl.register_tunable("field", Fragment(...))`, else None;
    a malformed registration is a located error."""
    if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
            and torch_attr_name(stmt.value.func) in REGISTER):
        return None
    call = stmt.value
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        raise src.error(stmt, "assign hl.register_tunable(...) to one name: `x = hl.register_tunable(\"x\", ...)`")
    if len(call.args) != 2 or call.keywords or not (isinstance(call.args[0], ast.Constant)
                                                    and isinstance(call.args[0].value, str)):
        raise src.error(call, "hl.register_tunable takes a name and a fragment: "
                              "hl.register_tunable(\"x\", PowerOfTwoFragment(16, 256))")
    return stmt.targets[0].id, call.args[0].value, fragment(call.args[1], src)


def fragment(node: ast.expr, src):
    """A fragment written as `PowerOfTwoFragment(16, 256, 64)` (any module prefix), with constant arguments."""
    name = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else \
        node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
    cls = next((c for c in autotuner.FRAGMENTS if c.__name__ == name), None)
    if cls is None:
        known = ", ".join(c.__name__ for c in autotuner.FRAGMENTS)
        raise src.error(node, "the fragment of hl.register_tunable must be written in place", f"one of: {known}")
    try:
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    except ValueError:
        raise src.error(node, f"the arguments of {name} must be constants") from None
    if "default" in kwargs:
        kwargs["default_val"] = kwargs.pop("default")
    try:
        return cls(*args, **kwargs)
    except KoptError as e:
        raise src.error(node, e.message, *e.notes) from None
    except TypeError as e:
        raise src.error(node, f"{name}: {e}") from None


def as_value(stmt: ast.Assign, value) -> ast.Assign:
    """`name = value`, where the registration was."""
    out = ast.Assign(targets=stmt.targets, value=ast.Constant(value))
    return ast.fix_missing_locations(ast.copy_location(out, stmt))


def registrations(src) -> dict[str, tuple[str, object]]:
    """Config field -> (host name, fragment) for the kernel function's top-level registrations."""
    out = {}
    for stmt in src.fn.body:
        found = tunable_registration(stmt, src)
        if found is not None:
            out[found[1]] = (found[0], found[2])
    return out
