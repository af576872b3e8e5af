"""Kernel source: find a function's AST and map AST positions back to the user's file; and the functions of the
kernel's module that it names (`hl.reduce(combine, ...)`), as source of their own."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, StringAttr

from kopt.errors import KoptError, SourceLoc


@dataclass(frozen=True)
class KernelSource:
    """A kernel function's AST plus where its text sits in the file."""

    fn: ast.FunctionDef
    file: str
    line_offset: int  # added to AST line numbers
    col_offset: int  # added to AST column offsets (the dedent)
    text: str  # the dedented source, for hashing (with that of the module functions it names)
    # a function of the kernel's module by name (`def combine(a, b)` or `combine = lambda a, b: ...`), or None
    functions: Callable[[str], ModuleFunction | None] = field(default=lambda name: None, compare=False, repr=False)

    def loc(self, node: ast.AST) -> SourceLoc:
        return SourceLoc(self.file, node.lineno + self.line_offset, node.col_offset + 1 + self.col_offset)

    def error(self, node: ast.AST, message: str, *notes: str) -> KoptError:
        return KoptError(message, self.loc(node), notes=notes)

    def ir_loc(self, node: ast.AST) -> FileLineColLoc:
        loc = self.loc(node)
        return FileLineColLoc(StringAttr(loc.file), IntAttr(loc.line), IntAttr(loc.col))


@dataclass(frozen=True)
class ModuleFunction:
    """A function of the kernel's module, read as source: what `hl.reduce` / `hl.associative_scan` inline as
    their combine function. Errors in it are located in its own file (`src`)."""

    name: str
    node: ast.FunctionDef | ast.Lambda
    src: KernelSource
    constants: tuple[tuple[str, object], ...] = ()  # the numbers it reads from its closure and its module


class _LiveFunctions:
    """The functions a live kernel's globals and closure name, read from their source on first use."""

    def __init__(self, fn):
        self.fn = fn
        self.found: dict[str, ModuleFunction | None] = {}

    def value(self, name: str):
        code, cells = self.fn.__code__, self.fn.__closure__ or ()
        for var, cell in zip(code.co_freevars, cells):
            if var == name:
                try:
                    return cell.cell_contents
                except ValueError:  # an empty cell
                    return None
        return self.fn.__globals__.get(name)

    def __call__(self, name: str) -> ModuleFunction | None:
        if name not in self.found:
            value = self.value(name)
            self.found[name] = _read_function(name, value) if inspect.isfunction(value) else None
        return self.found[name]

    def texts(self, tree: ast.FunctionDef) -> str:
        """The source of every module function the kernel names (a combine function edited gives a new key)."""
        names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {tree.name})
        out = []
        for name in names:
            try:
                found = self(name) if inspect.isfunction(self.value(name)) else None
            except KoptError:  # reported where the kernel uses it
                found = None
            if found is not None:
                out.append(f"\n# {name}\n{found.src.text}")
        return "".join(out)


def _read_function(name: str, value) -> ModuleFunction | None:
    """A Python function (a `def` or a lambda) as source: its node, located in its own file."""
    from kopt.frontend.callables import _closure, _lambda_node

    try:
        file = inspect.getsourcefile(value) or "<unknown>"
        if value.__name__ == "<lambda>":
            lines, _ = inspect.getsourcelines(value)
            indent = len(lines[0]) - len(lines[0].lstrip())
            node = _lambda_node(value)  # its lines are the file's already
            src = KernelSource(node, file, 0, indent if lines[0][:1].isspace() else 0, ast.unparse(node))
        else:
            lines, start = inspect.getsourcelines(value)
            text = textwrap.dedent("".join(lines))
            node = next((n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)), None)
            if node is None:
                return None
            src = KernelSource(node, file, start - 1, len(lines[0]) - len(lines[0].lstrip()), text)
    except (OSError, TypeError, SyntaxError):
        return None
    constants, tensors = _closure(value)
    if tensors:
        raise KoptError(f"`{name}` reads the tensor `{tensors[0][0]}`: a combine function sees only its arguments "
                        "and numbers")
    return ModuleFunction(name, node, src, constants)


def from_function(fn) -> KernelSource:
    """The AST of a live Python function (the `@kopt.kernel` path)."""
    try:
        lines, start = inspect.getsourcelines(fn)
        file = inspect.getsourcefile(fn) or "<unknown>"
    except (OSError, TypeError) as e:
        raise KoptError(f"cannot read the source of kernel {fn.__qualname__}: {e}") from None
    raw = "".join(lines)
    text = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip())
    tree = ast.parse(text)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):  # `async def`, or a kernel made by a call rather than a `def`
        what = "an `async def`" if isinstance(node, ast.AsyncFunctionDef) else "not a plain `def`"
        raise KoptError(f"kernel {fn.__qualname__} is {what}", SourceLoc(file, start + node.lineno - 1,
                                                                          node.col_offset + 1 + indent),
                        notes=["@kopt.kernel compiles a plain `def` function"])
    functions = _LiveFunctions(fn)
    return KernelSource(node, file, start - 1, indent, text + functions.texts(node), functions)


def from_module_text(text: str, file: str) -> list[KernelSource]:
    """Every `@kopt.kernel` function of a Python file, read without running it (the CLI path)."""
    try:
        tree = ast.parse(text, filename=file)
    except SyntaxError as e:
        raise KoptError(f"invalid Python: {e.msg}", SourceLoc(file, e.lineno or 0, e.offset or 0)) from None
    found = []
    functions = _module_functions(tree, text, file)
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and any(_is_kernel_decorator(d) for d in node.decorator_list):
            raise KoptError(f"kernel {node.name} is an `async def`", SourceLoc(file, node.lineno, node.col_offset + 1),
                            notes=["@kopt.kernel compiles a plain `def` function"])
        if isinstance(node, ast.FunctionDef) and any(_is_kernel_decorator(d) for d in node.decorator_list):
            seg = ast.get_source_segment(text, node) or ""
            found.append(KernelSource(node, file, 0, 0, seg, functions))
    return found


def _module_functions(tree: ast.Module, text: str, file: str) -> Callable[[str], ModuleFunction | None]:
    """The module's own functions by name, read without running it: `def f(...)` (not a kernel) and
    `f = lambda ...` at the top level."""
    table: dict[str, ModuleFunction] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not any(_is_kernel_decorator(d) for d in node.decorator_list):
            table[node.name] = ModuleFunction(node.name, node, KernelSource(node, file, 0, 0, ""))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            table[name] = ModuleFunction(name, node.value, KernelSource(node.value, file, 0, 0, ""))
    return table.get


def _is_kernel_decorator(d: ast.expr) -> bool:
    target = d.func if isinstance(d, ast.Call) else d
    return (
        isinstance(target, ast.Attribute) and target.attr == "kernel" and isinstance(target.value, ast.Name)
    ) or (isinstance(target, ast.Name) and target.id == "kernel")


def decorator_kwargs(src: KernelSource) -> dict[str, ast.expr]:
    """Keyword arguments of the `@kopt.kernel(...)` decorator, as AST."""
    for d in src.fn.decorator_list:
        if isinstance(d, ast.Call) and _is_kernel_decorator(d):
            return {k.arg: k.value for k in d.keywords if k.arg}
    return {}
