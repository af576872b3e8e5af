"""Kernel source: find a function's AST and map AST positions back to the user's file."""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, StringAttr

from kopt.errors import KoptError, SourceLoc


@dataclass(frozen=True)
class KernelSource:
    """A kernel function's AST plus where its text sits in the file."""

    fn: ast.FunctionDef
    file: str
    line_offset: int  # added to AST line numbers
    col_offset: int  # added to AST column offsets (the dedent)
    text: str  # the dedented source, for hashing

    def loc(self, node: ast.AST) -> SourceLoc:
        return SourceLoc(self.file, node.lineno + self.line_offset, node.col_offset + 1 + self.col_offset)

    def error(self, node: ast.AST, message: str, *notes: str) -> KoptError:
        return KoptError(message, self.loc(node), notes=notes)

    def ir_loc(self, node: ast.AST) -> FileLineColLoc:
        loc = self.loc(node)
        return FileLineColLoc(StringAttr(loc.file), IntAttr(loc.line), IntAttr(loc.col))


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
    return KernelSource(node, file, start - 1, indent, text)


def from_module_text(text: str, file: str) -> list[KernelSource]:
    """Every `@kopt.kernel` function of a Python file, read without running it (the CLI path)."""
    try:
        tree = ast.parse(text, filename=file)
    except SyntaxError as e:
        raise KoptError(f"invalid Python: {e.msg}", SourceLoc(file, e.lineno or 0, e.offset or 0)) from None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and any(_is_kernel_decorator(d) for d in node.decorator_list):
            raise KoptError(f"kernel {node.name} is an `async def`", SourceLoc(file, node.lineno, node.col_offset + 1),
                            notes=["@kopt.kernel compiles a plain `def` function"])
        if isinstance(node, ast.FunctionDef) and any(_is_kernel_decorator(d) for d in node.decorator_list):
            seg = ast.get_source_segment(text, node) or ""
            found.append(KernelSource(node, file, 0, 0, seg))
    return found


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
