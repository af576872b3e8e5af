"""Functions passed as kernel arguments (an epilogue `lambda acc, tile: acc + bias[tile[1]]`, a `score_mod`):
inlined where the kernel calls them, compiled in, and keyed by their code and the constants they close over.

The source of a lambda is the line it is written on (several lambdas on one line are told apart by the
column where the code object's first instruction starts: Python 3.11's `co_positions`); a `def` is read
whole. A function's body is one expression (a lambda), or assignments and a final `return`.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field

from kopt.errors import KoptError


@dataclass(frozen=True)
class InlineFunction:
    """What the device builder inlines: parameters, the body, the constants the function closes over."""

    name: str
    params: tuple[str, ...]
    body: tuple[ast.stmt, ...] | ast.expr
    constants: tuple[tuple[str, object], ...]
    tensors: tuple[tuple[str, str, int], ...]  # captured tensors: (name, dtype short name, rank)
    key: str  # the source text, constants and captured tensors' kinds: equal keys compile the same


@dataclass(frozen=True, eq=False)
class CallableRef:
    """A function argument in the cache key: equal (and hashed) by its code and constants, not by identity."""

    fn: object = field(repr=False)
    inline: InlineFunction = field(repr=False)

    @property
    def key(self) -> str:
        return self.inline.key

    def __eq__(self, other) -> bool:
        return isinstance(other, CallableRef) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"CallableRef({self.key!r})"


def _is_tensor(v) -> bool:
    return hasattr(v, "data_ptr") and hasattr(v, "dtype") and hasattr(v, "dim")


def _closure(fn):
    """The numbers (constants) and tensors (extra kernel arguments) a function reads from its closure and its
    module (`scale` and `bias` in `lambda acc, t: (acc + bias[t[1]]) * scale`)."""
    from kopt.dialects.dtypes import from_torch_name

    code, cells = fn.__code__, fn.__closure__ or ()
    read = [(n, c.cell_contents) for n, c in zip(code.co_freevars, cells)]
    read += [(n, fn.__globals__[n]) for n in code.co_names if n in fn.__globals__
             and (fn.__globals__[n] is None or isinstance(fn.__globals__[n], (bool, int, float))
                  or _is_tensor(fn.__globals__[n]))]
    constants, tensors = [], []
    for name, value in read:
        if _is_tensor(value):
            dtype = from_torch_name(str(value.dtype))
            if dtype is None:
                raise KoptError(f"a function passed to a kernel captures `{name}`, of dtype {value.dtype}, which "
                                "kopt does not support")
            tensors.append((name, dtype, value.dim()))
        elif value is None or isinstance(value, (bool, int, float)):
            constants.append((name, value))
        else:
            raise KoptError(f"a function passed to a kernel closes over `{name}`, a {type(value).__name__}",
                            notes=["kopt inlines such functions: what they capture must be a number, a bool, None "
                                   "or a tensor"])
    return tuple(constants), tuple(tensors)


def _parse_around_lambdas(text: str) -> ast.Module:
    """The lines a lambda sits on, parsed: as they are, or (a dict entry, an argument list cut at the line's end)
    each `lambda ...` expression on them alone, kept at its line and column."""
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    found = []
    for m in re.finditer(r"\blambda\b", text):
        start = m.start()
        line0, col0 = text.count("\n", 0, start), start - (text.rfind("\n", 0, start) + 1)
        for end in range(len(text), start, -1):  # the longest piece that parses: the whole lambda
            if end < len(text) and text[end] not in ",)]}\n":
                continue
            try:
                expr = ast.parse(text[start:end], mode="eval").body
            except SyntaxError:
                continue
            for n in ast.walk(expr):
                if hasattr(n, "lineno"):
                    if n.lineno == 1:
                        n.col_offset += col0
                    if getattr(n, "end_lineno", None) == 1:
                        n.end_col_offset += col0
                    n.lineno += line0
                    n.end_lineno = (n.end_lineno or 1) + line0
            found.append(ast.Expr(expr))
            break
    return ast.Module(body=found, type_ignores=[])


def _lambda_node(fn) -> ast.Lambda:
    lines, first = inspect.getsourcelines(fn)
    tree = _parse_around_lambdas(textwrap.dedent("".join(lines)) if lines[0][:1].isspace() else "".join(lines))
    ast.increment_lineno(tree, first - 1)  # errors inside it point at the file's lines
    indent = len(lines[0]) - len(lines[0].lstrip())
    # the body's first real instruction (the RESUME before it spans nothing)
    spans = [p for p in fn.__code__.co_positions() if None not in p and p[3] > p[2]]
    line, col = (spans[0][0], spans[0][2]) if spans else (first, None)
    candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
                  and [a.arg for a in n.args.args] == list(fn.__code__.co_varnames[:fn.__code__.co_argcount])]
    if not candidates:
        raise KoptError(f"cannot read the source of the lambda passed to the kernel (line {first})")
    # the lambda whose body starts nearest before that instruction (its body may start with a sub-expression)
    here = [n for n in candidates if n.body.lineno == line and (col is None or n.body.col_offset + indent <= col)]
    return max(here, key=lambda n: n.body.col_offset) if here else candidates[0]


def read_callable(fn) -> InlineFunction:
    """The inlinable form of a Python function or lambda passed to a kernel."""
    if not inspect.isfunction(fn):
        raise KoptError(f"a kernel argument of type {type(fn).__name__} cannot be called in a tile loop",
                        notes=["pass a Python function or a lambda"])
    try:
        if fn.__name__ == "<lambda>":
            node = _lambda_node(fn)
            params, body = tuple(a.arg for a in node.args.args), node.body
        else:
            lines, first = inspect.getsourcelines(fn)
            tree = ast.parse(textwrap.dedent("".join(lines)))
            ast.increment_lineno(tree, first - 1)
            node = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
            params = tuple(a.arg for a in node.args.args)
            body = tuple(node.body[1:] if node.body and isinstance(node.body[0], ast.Expr)
                         and isinstance(node.body[0].value, ast.Constant) else node.body)
            if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
                raise KoptError(f"`{fn.__name__}`, passed to a kernel, must end with `return <value>`")
    except (OSError, TypeError, SyntaxError) as e:
        raise KoptError(f"cannot read the source of `{fn.__name__}`, passed to a kernel: {e}") from None
    constants, tensors = _closure(fn)
    text = ast.unparse(body) if isinstance(body, ast.expr) else "\n".join(ast.unparse(s) for s in body)
    key = f"{','.join(params)}: {text} | {constants!r} | {tensors!r}"
    return InlineFunction(fn.__name__, params, body, constants, tensors, key)
