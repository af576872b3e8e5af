"""Shape symbols, the two shape functions, and shape-expression text.

Sizes are positive integer symbols, strides nonnegative ones (an expanded view
has stride 0). Text goes through Python's `ast`, node by node, against a
whitelist: a shape written in IR or by a user is never `eval`ed.

floor, Mod, Min and Max are built by `floordiv`, `mod`, `minimum`, `maximum`,
which fold constants only: sympy's own automatic evaluation of these consults
its assumption system, which gets some shape expressions wrong (sympy 1.14:
`Max(2, floor(12/(B*k)))` evaluates to `floor(12/(B*k))` for positive integers
B, k; it is 0 for B*k > 12).
"""

from __future__ import annotations

import ast
import re

import sympy

from kopt.errors import KoptError

__all__ = [
    "size_symbol",
    "stride_symbol",
    "block_symbol",
    "next_power_of_2",
    "cdiv",
    "parse_expr",
    "format_expr",
    "floordiv",
    "mod",
    "minimum",
    "maximum",
]


def size_symbol(name: str) -> sympy.Symbol:
    """A tensor size: a positive integer."""
    return sympy.Symbol(name, integer=True, positive=True)


def stride_symbol(name: str) -> sympy.Symbol:
    """A stride: a nonnegative integer (0 for broadcast/expanded dims)."""
    return sympy.Symbol(name, integer=True, nonnegative=True)


def block_symbol(name: str) -> sympy.Symbol:
    """A block size: a positive integer. Being a power of 2 is a fact in a FactBase,
    since sympy has no such assumption. Same symbol as `size_symbol(name)`."""
    return size_symbol(name)


def _npow2_int(v: int) -> int:
    # Triton's next_power_of_2: 0 -> 0, 1 -> 1, 1000 -> 1024.
    return 0 if v == 0 else 1 << (v - 1).bit_length()


class next_power_of_2(sympy.Function):  # noqa: N801 - prints as Triton's name
    """Smallest power of two >= n (Triton's `next_power_of_2`), for n >= 0."""

    nargs = 1

    @classmethod
    def eval(cls, n):
        if n.is_Integer and n >= 0:
            return sympy.Integer(_npow2_int(int(n)))
        if isinstance(n, next_power_of_2):  # idempotent: keeps nesting flat
            return n
        return None

    def _eval_is_integer(self):
        return True if self.args[0].is_integer else None

    def _eval_is_positive(self):
        return True if self.args[0].is_positive else None

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_nonnegative else None


class cdiv(sympy.Function):  # noqa: N801 - prints as Triton's name
    """Ceiling division of integers: cdiv(a, b) = -(-a // b)."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a.is_Integer and b.is_Integer and b != 0:
            return sympy.Integer(-(-int(a) // int(b)))
        if b == 1:
            return a
        return None

    def _eval_is_integer(self):
        a, b = self.args
        return True if (a.is_integer and b.is_integer and b.is_nonzero) else None

    def _eval_is_positive(self):
        a, b = self.args
        return True if (a.is_positive and b.is_positive) else None


# ---------------------------------------------------------------- safe constructors


def floordiv(a, b) -> sympy.Expr:
    """a // b, without sympy's assumption-driven rewrites."""
    a, b = sympy.sympify(a), sympy.sympify(b)
    q = a / b
    if q.is_Rational:
        return sympy.Integer(q.p // q.q)
    if b == 1 and _plainly_integer(a):
        return a
    return sympy.floor(q, evaluate=False)


def mod(a, b) -> sympy.Expr:
    """a % b (sign of b, as Python and sympy.Mod), folding only constants."""
    a, b = sympy.sympify(a), sympy.sympify(b)
    if a.is_Rational and b.is_Rational and b != 0:
        return a - b * sympy.floor(a / b)  # numbers only: exact
    if a == 0 or (b == 1 and _plainly_integer(a)):
        return sympy.Integer(0)
    return sympy.Mod(a, b, evaluate=False)


def _plainly_integer(e) -> bool:
    # Read from structure and declared symbol assumptions, never inferred by sympy.
    if e.is_Integer or (e.is_Symbol and e.is_integer is True):
        return True
    if isinstance(e, (sympy.floor, sympy.ceiling, next_power_of_2, cdiv)):
        return True
    if e.is_Add or e.is_Mul or isinstance(e, (sympy.Min, sympy.Max, sympy.Mod)):
        return all(_plainly_integer(x) for x in e.args)
    if e.is_Pow:
        return e.args[1].is_Integer and e.args[1] >= 0 and _plainly_integer(e.args[0])
    return False


def _minmax(cls, pick, args) -> sympy.Expr:
    flat: list = []
    for a in map(sympy.sympify, args):
        flat.extend(a.args if isinstance(a, cls) else [a])
    consts = [a for a in flat if a.is_Rational]
    rest = list(dict.fromkeys(a for a in flat if not a.is_Rational))
    if consts:
        rest.append(pick(consts))  # Rationals compare exactly
    return rest[0] if len(rest) == 1 else cls(*rest, evaluate=False)


def minimum(*args) -> sympy.Expr:
    """min(...) folding constants and flattening, with no other evaluation."""
    return _minmax(sympy.Min, min, args)


def maximum(*args) -> sympy.Expr:
    """max(...) folding constants and flattening, with no other evaluation."""
    return _minmax(sympy.Max, max, args)


# ---------------------------------------------------------------- parsing

_MAX_TEXT = 1_000  # real shapes are far shorter; parsing cost grows with length
_MAX_DEPTH = 150
_MAX_EXPONENT = 1024
_STRIDE_NAME = re.compile(r".*_stride_.*")
# Sizes a kernel computes from data (`hl.tile(start, end)` with `start = offsets[g]`): `_dyn_begin_k`,
# `_dyn_extent_k`. They may be 0 (an empty group): nonnegative, never the positive size symbols.
DATA_SIZE_PREFIX = "_dyn_"
_CALLS = {"next_power_of_2": next_power_of_2, "cdiv": cdiv, "min": minimum, "max": maximum}
_ARITY = {"next_power_of_2": (1, 1), "cdiv": (2, 2), "min": (1, 64), "max": (1, 64)}


def symbol_for_name(name: str) -> sympy.Symbol:
    """The symbol a name in shape text denotes: a stride, or a size computed from data, both nonnegative
    (they may be 0); else a size of a tensor or a block, positive."""
    if name.startswith(DATA_SIZE_PREFIX) or _STRIDE_NAME.fullmatch(name):
        return stride_symbol(name)  # nonnegative integer
    return size_symbol(name)


def parse_expr(text: str) -> sympy.Expr:
    """Parse shape text (`2*n + 1`, `n // 16`, `cdiv(n, _BLOCK_SIZE_0)`, ...) into sympy.

    Raises KoptError on anything outside the shape language.
    """
    tree = _parse_ast(text)
    return convert_ast(tree.body, text)


def _parse_ast(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise KoptError(f"shape expression must be text, got {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise KoptError(f"shape expression is too long ({len(text)} characters)")
    if not text.strip():
        raise KoptError("empty shape expression")
    try:
        return ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        msg = getattr(e, "msg", None) or str(e) or type(e).__name__
        raise KoptError(f"cannot parse shape expression '{_clip(text)}': {msg}") from None


def convert_ast(node: ast.AST, text: str, depth: int = 0) -> sympy.Expr:
    """Convert one whitelisted ast node (and its children) to sympy."""
    if depth > _MAX_DEPTH:
        raise KoptError(f"shape expression '{_clip(text)}' is nested too deeply")

    def sub(n: ast.AST) -> sympy.Expr:
        return convert_ast(n, text, depth + 1)

    if isinstance(node, ast.Constant):
        if type(node.value) is int:
            return sympy.Integer(node.value)
        raise KoptError(f"shape expression '{_clip(text)}': only integer constants, got {node.value!r}")
    if isinstance(node, ast.Name):
        return symbol_for_name(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = sub(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return _binop_chain(node, sub, text)
    if isinstance(node, ast.Call):
        return _call(node, sub, text)
    what = type(node).__name__
    raise KoptError(f"shape expression '{_clip(text)}': unsupported syntax ({what})")


def _binop_chain(node: ast.BinOp, sub, text: str) -> sympy.Expr:
    # `a + b + c + ...` parses as a left-deep chain: walk it iteratively, so a
    # long sum is not "deep", and build each run of + or * as one Add/Mul
    # (adding terms one by one would re-flatten the sum every time).
    spine = []
    while isinstance(node, ast.BinOp):
        spine.append(node)
        node = node.left
    acc, run, kind = sub(node), [], None
    for n in reversed(spine):
        op_kind = "add" if isinstance(n.op, (ast.Add, ast.Sub)) else "mul" if isinstance(n.op, ast.Mult) else None
        if op_kind != kind and run:
            acc, run = _flush(kind, acc, run), []
        kind = op_kind
        if op_kind == "add":
            run.append(sub(n.right) * (1 if isinstance(n.op, ast.Add) else -1))
        elif op_kind == "mul":
            run.append(sub(n.right))
        else:
            acc = _binop(n.op, acc, n.right, sub, text)
    return _flush(kind, acc, run) if run else acc


def _flush(kind: str, acc: sympy.Expr, run: list) -> sympy.Expr:
    return sympy.Add(acc, *run) if kind == "add" else sympy.Mul(acc, *run)


def _binop(op: ast.operator, a: sympy.Expr, right: ast.AST, sub, text: str) -> sympy.Expr:
    if isinstance(op, ast.Pow):
        # Only a literal exponent: a symbolic one would leave the integer world.
        if not (isinstance(right, ast.Constant) and type(right.value) is int and 0 <= right.value <= _MAX_EXPONENT):
            raise KoptError(f"shape expression '{_clip(text)}': '**' needs an integer literal 0..{_MAX_EXPONENT}")
        if a.is_Integer and abs(int(a)).bit_length() * right.value > 1 << 16:
            raise KoptError(f"shape expression '{_clip(text)}': constant is too large")
        return a**right.value
    if isinstance(op, (ast.FloorDiv, ast.Mod)):
        b = sub(right)
        if b == 0:
            raise KoptError(f"shape expression '{_clip(text)}': division by zero")
        return floordiv(a, b) if isinstance(op, ast.FloorDiv) else mod(a, b)
    sym = {ast.Div: "/ (use //)", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}
    raise KoptError(f"shape expression '{_clip(text)}': unsupported operator {sym.get(type(op), type(op).__name__)}")


def _call(node: ast.Call, sub, text: str) -> sympy.Expr:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in _CALLS:
        shown = name or ast.unparse(node.func)
        raise KoptError(
            f"shape expression '{_clip(text)}': unknown function '{shown}' "
            f"(allowed: {', '.join(sorted(_CALLS))})"
        )
    if node.keywords:
        raise KoptError(f"shape expression '{_clip(text)}': {name}() takes no keyword arguments")
    lo, hi = _ARITY[name]
    if not lo <= len(node.args) <= hi:
        raise KoptError(f"shape expression '{_clip(text)}': {name}() takes {lo if lo == hi else f'{lo} or more'} arguments")
    args = [sub(a) for a in node.args]
    if name == "cdiv" and args[1] == 0:
        raise KoptError(f"shape expression '{_clip(text)}': division by zero")
    return _CALLS[name](*args)


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# ---------------------------------------------------------------- printing

# Python precedence levels, loosest first: the printer adds parentheses
# exactly where Python's parser would otherwise regroup.
_ADD, _MUL, _UNARY, _POW, _ATOM = range(5)


def format_expr(expr) -> str:
    """Deterministic shape text that `parse_expr` reads back to an equal expression.

    floor(a/b) prints as `a // b`, Mod(a, b) as `a % b`. Raises KoptError for
    expressions outside the shape language (e.g. a bare fraction `n/2`).
    """
    return _fmt(sympy.sympify(expr), _ADD)


def _wrap(text: str, prec: int, need: int) -> str:
    return f"({text})" if prec < need else text


def _fmt(e: sympy.Basic, need: int) -> str:
    if e.is_Integer:
        v = int(e)
        return _wrap(str(v), _UNARY if v < 0 else _ATOM, need)
    if e.is_Symbol:
        return e.name
    if e.is_Add:
        return _wrap(_fmt_add(e), _ADD, need)
    if e.is_Mul:
        text, prec = _fmt_mul(e)
        return _wrap(text, prec, need)
    if e.is_Pow:
        base, ex = e.args
        if ex.is_Integer and ex > 0:
            return _wrap(f"{_fmt(base, _ATOM)}**{int(ex)}", _POW, need)
    if isinstance(e, sympy.floor):
        num, den = e.args[0].as_numer_denom()
        return _wrap(f"{_fmt(num, _MUL)} // {_fmt(den, _UNARY)}", _MUL, need)
    if isinstance(e, sympy.Mod):
        return _wrap(f"{_fmt(e.args[0], _MUL)} % {_fmt(e.args[1], _UNARY)}", _MUL, need)
    names = {sympy.Min: "min", sympy.Max: "max", next_power_of_2: "next_power_of_2", cdiv: "cdiv"}
    for cls, name in names.items():
        if isinstance(e, cls):
            return f"{name}({', '.join(_fmt(a, _ADD) for a in e.args)})"
    raise KoptError(f"cannot write '{e}' as a shape expression")


def _fmt_add(e: sympy.Add) -> str:
    terms = e.as_ordered_terms()
    # Lead with a positive term when there is one: `n - k*m`, not `-k*m + n`.
    first = next((i for i, t in enumerate(terms) if not t.as_coeff_Mul()[0].is_negative), 0)
    terms.insert(0, terms.pop(first))
    out = _fmt(terms[0], _MUL)
    for term in terms[1:]:
        if term.as_coeff_Mul()[0].is_negative:
            out += f" - {_fmt(-term, _MUL)}"
        else:
            out += f" + {_fmt(term, _MUL)}"
    return out


def _fmt_mul(e: sympy.Mul) -> tuple[str, int]:
    coeff, rest = e.as_coeff_Mul()
    if not coeff.is_Integer:
        raise KoptError(f"cannot write '{e}' as a shape expression (non-integer coefficient)")
    factors = [_fmt(f, _UNARY) for f in rest.as_ordered_factors()]
    if coeff == -1:
        # `-n` is a unary minus; `-n*m` groups as `(-n)*m`, a product.
        return "-" + "*".join(factors), (_UNARY if len(factors) == 1 else _MUL)
    if coeff != 1:
        factors.insert(0, _fmt(coeff, _UNARY))
    return "*".join(factors), _MUL


def brief(expr, limit: int = 60) -> str:
    """Short display text for reasons and messages (never raises, bounded cost)."""
    stack, seen = [expr], 0
    while stack:
        seen += 1
        if seen > 40:
            return f"<expression of {_count(expr)} nodes>"
        stack.extend(stack.pop().args)
    try:
        text = format_expr(expr)
    except KoptError:
        text = str(expr)
    return _clip(text, limit)


def _count(expr, cap: int = 10_000) -> str:
    stack, seen = [expr], 0
    while stack and seen < cap:
        seen += 1
        stack.extend(stack.pop().args)
    return f"{seen}+" if stack else str(seen)
