"""Python AST of a kernel function -> a tile-dialect module (host function + device kernels)."""

from __future__ import annotations

import ast
import re
import sys

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Region

from kopt.dialects import tile as T
from kopt.dialects.dtypes import from_short
from kopt.dialects.types import RangeType, TensorType, TileType
import kopt.frontend.ops  # noqa: F401 - registers the device operation handlers
from kopt.frontend.device import DeviceBuilder
from kopt.frontend.host import HostScope, captured_name, torch_attr_name
from kopt.frontend.host_facts import HostFacts
from kopt.frontend.signature import ArgSpec, TensorSpec
from kopt.frontend.source import KernelSource
from kopt.frontend.tunables import as_value, tunable_registration

_NAME = re.compile(r"[A-Za-z_]\w*")
_DEVICE_LOOPS = ("hl.tile", "hl.grid", "hl.jagged_tile", "helion.language.tile", "helion.language.grid",
                 "helion.language.jagged_tile")


def is_device_loop(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.For)
        and isinstance(stmt.iter, ast.Call)
        and torch_attr_name(stmt.iter.func) in _DEVICE_LOOPS
    )


_DEPTH = 20000  # Python frames the frontend may use: a flat sum of 1000 terms nests 1000 BinOps deep


def build_module(src: KernelSource, specs: dict[str, ArgSpec], tunables: dict | None = None) -> ModuleOp:
    """Build the tile IR of one kernel function for the given argument types (an expression nested past what the
    recursive frontend can follow is a located error, not a RecursionError)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _DEPTH))
    try:
        return _build_module(src, specs, tunables or {})
    except RecursionError:
        raise src.error(src.fn, "the kernel nests expressions too deeply for kopt's frontend",
                        "split a long expression into several assignments") from None
    finally:
        sys.setrecursionlimit(limit)


def _build_module(src: KernelSource, specs: dict[str, ArgSpec], tunables: dict) -> ModuleOp:
    fn = src.fn
    check_params(src)
    params = [a.arg for a in fn.args.args]
    scope = HostScope(src)
    for p, a in zip(params, fn.args.args):
        if p not in specs:
            raise src.error(a, f"no type known for argument `{p}`",
                            'give one with @kopt.kernel(signature="...") or --signature')
        scope.add_param(p, specs[p])

    host = Block()
    for line in _signature_checks(src, params, specs):  # sizes the signature ties: checked at every call
        host.add_op(T.PyStmtOp(line))
    for p in params:  # tensors a function argument captures: read from it at every call
        for cap, _, _ in getattr(scope.callables.get(p), "tensors", ()):
            host.add_op(T.PyStmtOp(f"{captured_name(p, cap)} = captured({p}, {cap!r})"))
    kernels: list[T.KernelOp] = []
    host_facts = HostFacts()  # `assert`s on sizes and hl.specialize: facts for the kernels that follow
    body = fn.body[1:] if fn.body and _is_docstring(fn.body[0]) else fn.body
    device_names: dict[str, ast.For] = {}  # names the device loops so far bind, and the host has not rebound
    for stmt in body:
        if is_device_loop(stmt):
            name = f"_{fn.name}_kernel" + (f"_{len(kernels)}" if kernels else "")
            kernel, launch = _build_kernel(src, scope, stmt, name)
            host_facts.attach(kernel, launch, scope, stmt)
            kernels.append(kernel)
            host.add_op(launch)
            device_names.update({n: stmt for n in _stored_names(stmt)})
            continue
        _check_no_device_names(src, stmt, device_names)
        if isinstance(stmt, ast.Return):
            host.add_op(T.HostReturnOp(ast.unparse(stmt.value) if stmt.value else "None"))
        else:
            if (tunable := tunable_registration(stmt, src)) is not None:  # compiled in: `x = <value>`
                stmt = as_value(stmt, tunables.get(tunable[1], tunable[2].default()))
            _check_host_stmt(src, stmt)
            scope.record(stmt)
            host_facts.see(stmt)
            if not _is_block_size_registration(stmt):
                host.add_op(T.PyStmtOp(ast.unparse(stmt)))
    if not kernels:
        raise src.error(fn, f"kernel `{fn.name}` has no device loop",
                        "put the device code in `for tile in hl.tile(...):`")
    host_fn = T.HostFuncOp(fn.name, params, Region(host))
    host_fn.location = src.ir_loc(fn)
    return ModuleOp([host_fn, *kernels])


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_block_size_registration(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Call)
        and torch_attr_name(stmt.value.func) == "hl.register_block_size"
    )


def check_params(src: KernelSource) -> None:
    """A kernel takes plain positional arguments (a launcher binds each to a tensor or a scalar) and is no
    generator: `*args`, `**kwargs`, keyword-only arguments and `yield` are located errors."""
    a = src.fn.args
    for extra, what in ((a.vararg, "*args"), (a.kwarg, "**kwargs")):
        if extra is not None:
            stars = "*" if what == "*args" else "**"
            raise src.error(extra, f"`{stars}{extra.arg}`: kernels cannot take {what}; list every argument",
                            f"`{stars}{extra.arg}` would bind any number of arguments; a kernel names each argument, "
                            "e.g. `def k(x, y):`")
    if a.posonlyargs or a.kwonlyargs:
        first = (a.posonlyargs or a.kwonlyargs)[0]
        raise src.error(first, "kernel arguments must be plain positional arguments",
                        "drop the `/` or `*` marker from the argument list")
    for node in _own_nodes(src.fn):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            raise src.error(node, f"`{'yield from' if isinstance(node, ast.YieldFrom) else 'yield'}` is not "
                                  "supported in a kernel",
                            "a kernel writes its results into tensors (`out[tile] = ...`) and returns them")


def _own_nodes(fn: ast.FunctionDef):
    """The nodes of a function's body, not of functions or lambdas nested in it."""
    todo = list(fn.body)
    while todo:
        node = todo.pop(0)
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))


def _signature_checks(src: KernelSource, params: list[str], specs: dict[str, ArgSpec]) -> list[str]:
    """Host statements that check, at every call, the sizes a signature ties: a dim named twice
    (`x: f32[M, N], y: f32[N, K]`) is one size, a literal dim (`f32[M, 8]`) that size. The kernel is compiled
    so (one symbol), so a call that breaks it is a KoptError located at the dim in the signature, else at the
    parameter."""
    first: dict[str, str] = {}
    lines = []
    for p in params:
        spec = specs.get(p)
        if not isinstance(spec, TensorSpec) or not spec.dims:
            continue
        for i, d in enumerate(spec.dims):
            here = f"{p}.size({i})"
            if d.isdigit():
                message, cond = f"`{here}` is {{{here}}}, but the signature says {d}", f"{here} != {d}"
            elif d in first:
                there = first[d]
                message = (f"`{here}` ({{{here}}}) and `{there}` ({{{there}}}) must be equal: the signature names "
                           f"both `{d}`")
                cond = f"{here} != {there}"
            else:
                first[d] = here
                continue
            loc = _signature_loc(src, p, i, spec)
            note = f"the kernel was compiled for the signature's sizes: {here} is `{d}`"
            lines.append(f"if {cond}: raise KoptError(f{message!r}, SourceLoc({loc.file!r}, {loc.line}, {loc.col}), "
                         f"notes=[{note!r}])")
    return lines


def _signature_loc(src: KernelSource, param: str, index: int, spec: TensorSpec):
    """Dim `index` of `param` in the decorator's `signature="..."` when that string is where it comes from (one
    line, no escapes); else the parameter in the `def`."""
    import linecache

    from kopt.frontend.signature import dim_offsets, parse_signature
    from kopt.frontend.source import decorator_kwargs

    node = decorator_kwargs(src).get("signature")
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.lineno == node.end_lineno:
        try:
            same = getattr(parse_signature(node.value, "signature=").get(param), "dims", None) == spec.dims
        except Exception:  # noqa: BLE001 - an unreadable decorator string: the def is the place
            same = False
        loc = src.loc(node)
        text = linecache.getline(loc.file, loc.line)
        offset = dim_offsets(node.value).get((param, index))
        if same and offset is not None and text[loc.col - 1: loc.col] in "\"'" \
                and text[loc.col: loc.col + len(node.value)] == node.value:
            return type(loc)(loc.file, loc.line, loc.col + 1 + offset)
    arg = next((a for a in src.fn.args.args if a.arg == param), src.fn)
    return src.loc(arg)


def _stored_names(stmt: ast.stmt) -> set[str]:
    """The names a statement binds (its own scope: not those of lambdas or comprehensions in it)."""
    return {n.id for n in _own_nodes_of(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def _own_nodes_of(stmt: ast.stmt):
    todo = [stmt]
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                                 ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))


def _check_no_device_names(src: KernelSource, stmt: ast.stmt, device_names: dict[str, ast.For]) -> None:
    """Host code after a device loop cannot see the loop's tiles and values: they live on the device, and the
    launcher never binds them (a NameError, or the host's older value: a wrong answer). A located error at the
    use; a host assignment to the name ends its device meaning."""
    if not device_names:
        return
    own = {n.arg for n in ast.walk(stmt) if isinstance(n, ast.arg)}  # a lambda's, a comprehension's own names
    own |= {t.id for c in ast.walk(stmt) if isinstance(c, ast.comprehension) for t in ast.walk(c.target)
            if isinstance(t, ast.Name)}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in device_names \
                and node.id not in own:
            loop = device_names[node.id]
            targets = {t.id for t in ast.walk(loop.target) if isinstance(t, ast.Name)}
            what = "a tile of" if node.id in targets else "a value computed in"
            verb = "returned" if isinstance(stmt, ast.Return) else "used"
            raise src.error(node, f"`{node.id}` is {what} the device loop on line {src.loc(loop).line}: it exists "
                                  f"only inside the loop and cannot be {verb} after it",
                            "store what the host needs into a tensor inside the loop (`out[tile] = value`) and "
                            "use or return that tensor")
    for n in _stored_names(stmt):
        device_names.pop(n, None)


def _check_host_stmt(src: KernelSource, stmt: ast.stmt) -> None:
    """Host code is plain Python, except that device loops may not hide inside it."""
    for node in ast.walk(stmt):
        if isinstance(node, ast.For) and is_device_loop(node):
            raise src.error(node, "a device loop (`hl.tile`) must be a top-level statement of the kernel",
                            "move it out of the enclosing host statement")


def _build_kernel(src: KernelSource, scope: HostScope, loop: ast.For, name: str):
    if loop.orelse:
        raise src.error(loop, "`for ... else` is not supported")
    used = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name)}
    used |= {captured_name(f, cap) for f in used if f in scope.callables for cap, _, _ in scope.callables[f].tensors}
    arg_names = [n for n in scope.order if n in used and (n in scope.tensors or n in scope.scalars)]
    arg_types = []
    for n in arg_names:
        if n in scope.tensors:
            t = scope.tensors[n]
            arg_types.append(TensorType(t.dims, from_short(t.dtype), t.strides))
        else:
            arg_types.append(TileType([], from_short(scope.scalars[n].dtype)))
    kernel = T.KernelOp(name, arg_types, arg_names)
    kernel.location = src.ir_loc(loop)
    counter = iter(range(1 << 30))
    builder = DeviceBuilder(src, scope, dict(zip(arg_names, kernel.body.block.args)),
                            kernel.body.block, lambda: f"_BLOCK_SIZE_{next(counter)}")
    ranges = builder.loop_ranges(loop)
    for_op = T.ForOp(ranges, "parallel")
    builder.emit(for_op, loop)
    builder.block = for_op.body.block
    builder.bind_loop(loop, for_op.ranges)
    builder.body(loop.body)
    builder.emit(T.YieldOp(), loop)
    if builder.dyn_facts:
        kernel.add_facts(builder.dyn_facts)
    return kernel, T.LaunchOp(name, arg_names, _bindings(scope, kernel, arg_names))


def _bindings(scope: HostScope, kernel: T.KernelOp, arg_names: list[str]) -> dict[str, str]:
    """A host expression for every size or stride symbol the kernel mentions."""
    texts: list[str] = []
    for op in kernel.walk():
        for v in (*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)):
            t = v.type
            if isinstance(t, TensorType):
                texts += [*t.dims, *t.stride_names]
            elif isinstance(t, RangeType):
                texts += [t.extent.data, t.begin.data]
        if isinstance(op, T.SymbolOp):
            texts.append(op.expr.data)
    symbols = sorted({m for text in texts for m in _NAME.findall(text)})
    where: dict[str, str] = {}
    for n in arg_names:
        t = scope.tensors.get(n)
        if t is None:
            continue
        for i, d in enumerate(t.dims):
            where.setdefault(d, f"{n}.size({i})")
        for i, s in enumerate(t.strides):
            where.setdefault(s, f"{n}.stride({i})")
    bind = {}
    for s in symbols:
        if s in scope.host_bindings:  # computed by the launcher at each call (torch.rand_like's seed)
            bind[s] = scope.host_bindings[s]
        elif s in scope.scalars and scope.scalars[s].is_size:
            bind[s] = s
        elif s in where:
            bind[s] = where[s]
        elif s in scope.tensors.keys() or s.startswith("_BLOCK_SIZE_"):
            continue
        else:
            for t in scope.tensors.values():  # a size of a tensor the kernel does not take
                for i, d in enumerate(t.dims):
                    if d == s:
                        bind[s] = f"{t.name}.size({i})"
    return bind
