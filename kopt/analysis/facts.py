"""FactBase: the explicit shape facts of one compile, and the queries on them.

Facts are stated, printed (`describe`) and parsed back (`assume_text`); nothing
is inferred behind the user's back. Every query runs under a step budget and
answers TRUE/FALSE only with a proof, else UNKNOWN ("keep the mask").
"""

from __future__ import annotations

import ast
import functools
import math
import re

import sympy

from kopt.errors import KoptError

from . import decide
from .answer import Answer, Tri, unknown
from .budget import DEFAULT_BUDGET, Budget, Exhausted, TooLarge, check_size
from .context import Ctx
from .intervals import INF, bounds, exact
from .modsets import is_integral, mmeet, modular
from .poly import pconst, poly
from .symbols import _MUL, _UNARY, _fmt, _parse_ast, convert_ast, format_expr, next_power_of_2, parse_expr

__all__ = ["Tri", "Answer", "FactBase"]


def _expr(x) -> sympy.Expr:
    if isinstance(x, bool):
        raise KoptError(f"expected a shape expression, got {x!r}")
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, str):
        return parse_expr(x)
    if isinstance(x, sympy.Basic):
        return x
    raise KoptError(f"expected a shape expression, got {type(x).__name__}")


def _fact_expr(x) -> sympy.Expr:
    # Facts must print (describe) and parse back: only the shape language.
    e = _expr(x)
    format_expr(e)
    return e


def _sym(x) -> sympy.Symbol:
    e = _expr(x)
    if not e.is_Symbol:
        raise KoptError(f"expected a symbol, got '{e}'")
    return e


def _int(x, what: str) -> int | None:
    if x is None:
        return None
    if isinstance(x, sympy.Integer):
        return int(x)
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    raise KoptError(f"{what} must be an integer, got {x!r}")


def _atomic(method):
    """A fact that is rejected leaves the FactBase as it was."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = self.copy()
        try:
            return method(self, *args, **kwargs)
        except KoptError:
            self.__dict__.update(saved.__dict__)
            raise

    return wrapper


class FactBase:
    """Explicit facts about shape symbols (per compile), plus bounded queries.

    Facts: equalities (`n = 4096`), bounds, congruences (`n % 16 == 0`), powers
    of two, `r = next_power_of_2(n)`, and relations `a <= b`.
    """

    def __init__(self) -> None:
        self._eqs: dict[sympy.Symbol, sympy.Expr] = {}
        self._bounds: dict[sympy.Symbol, tuple[int | None, int | None]] = {}
        self._congr: dict[sympy.Expr, tuple[int, int]] = {}
        self._pow2: set[sympy.Symbol] = set()
        self._npow2: dict[sympy.Symbol, sympy.Expr] = {}
        self._rels: list[tuple[sympy.Expr, sympy.Expr]] = []

    def copy(self) -> FactBase:
        """An independent copy (facts are per compile; sympy values are immutable)."""
        new = FactBase()
        new._eqs, new._bounds, new._congr = dict(self._eqs), dict(self._bounds), dict(self._congr)
        new._pow2, new._npow2, new._rels = set(self._pow2), dict(self._npow2), list(self._rels)
        return new

    # ------------------------------------------------------------ stating facts

    @_atomic
    def assume_power_of_two(self, sym) -> None:
        """`sym` is a power of two (block sizes)."""
        s = _sym(sym)
        self._pow2.add(s)
        self._check_value(s)

    @_atomic
    def assume_next_power_of_2(self, rdim_sym, n_expr) -> None:
        """rdim = next_power_of_2(n): a power of two with n <= rdim < 2n, equal to n
        when n is a power of two."""
        r, n = _sym(rdim_sym), _fact_expr(n_expr)
        old = self._npow2.get(r)
        if old is not None and old != n:
            raise KoptError(f"{r} is already next_power_of_2({format_expr(old)})")
        self._no_cycle(r, n)
        self._npow2[r] = n

    @_atomic
    def assume_bounds(self, sym, lo=None, hi=None) -> None:
        """lo <= sym <= hi (either may be None). On a non-symbol it becomes relations."""
        lo, hi = _int(lo, "lower bound"), _int(hi, "upper bound")
        e = _fact_expr(sym)
        if not e.is_Symbol:
            if lo is not None:
                self.assume_le(lo, e)
            if hi is not None:
                self.assume_le(e, hi)
            return
        olo, ohi = self._bounds.get(e, (None, None))
        lo = olo if lo is None else (lo if olo is None else max(lo, olo))
        hi = ohi if hi is None else (hi if ohi is None else min(hi, ohi))
        if lo is not None and hi is not None and lo > hi:
            raise KoptError(f"contradictory bounds: {lo} <= {e} <= {hi}")
        self._bounds[e] = (lo, hi)
        self._check_value(e)

    def assume_divisible(self, expr, k: int) -> None:
        """expr % k == 0."""
        self.assume_congruent(expr, k, 0)

    @_atomic
    def assume_congruent(self, expr, k: int, r: int) -> None:
        """expr % k == r."""
        e, k, r = _fact_expr(expr), _int(k, "modulus"), _int(r, "remainder")
        if k < 1:
            raise KoptError(f"modulus must be positive, got {k}")
        if not 0 <= r < k:
            raise KoptError(f"assumption is false: {format_expr(e)} % {k} is never {r}")
        new = (k, r)
        if e.is_Integer:
            if int(e) % k != r:
                raise KoptError(f"assumption is false: {e} % {k} == {r}")
            return
        old = self._congr.get(e)
        if old is not None:
            if (old[1] - r) % math.gcd(old[0], k):  # no number satisfies both
                raise KoptError(f"contradictory facts: {e} % {old[0]} == {old[1]} and {e} % {k} == {r}")
            new = mmeet(old, new)
        self._congr[e] = new
        if e.is_Symbol:
            self._check_value(e)

    @_atomic
    def assume_eq(self, sym, value) -> None:
        """sym == value (static sizes, block sizes from a config)."""
        s, v = _sym(sym), _fact_expr(value)
        if isinstance(v, next_power_of_2) and not v.args[0].is_Integer:
            return self.assume_next_power_of_2(s, v.args[0])
        old = self._eqs.get(s)
        if old is not None and old != v:
            if self.eq(old, v).is_true:
                return  # (`k2 == k`, `k == 64`, then `k2 == 64`: already known)
            # `k == k2` then `k == 64` (a host assert, then a static size): the fact is about what k stands for
            for a, b in ((old, v), (v, old)):
                if a.is_Symbol and a not in self._eqs and b.is_Integer:
                    return self.assume_eq(a, b)
            known = format_expr(old) + (f" = {format_expr(self._eqs[old])}" if old in self._eqs else "")
            raise KoptError(f"{s} is already known to be {known}, not {format_expr(v)}")
        self._no_cycle(s, v)
        self._eqs[s] = v
        self._check_value(s)

    @_atomic
    def assume_le(self, a, b) -> None:
        """a <= b for expressions (used where a bound is not a constant)."""
        a, b = _fact_expr(a), _fact_expr(b)
        if a.is_Integer and b.is_Integer:
            if a > b:
                raise KoptError(f"assumption is false: {a} <= {b}")
            return
        if b.is_Integer and a.is_Symbol:
            return self.assume_bounds(a, hi=int(b))
        if a.is_Integer and b.is_Symbol:
            return self.assume_bounds(b, lo=int(a))
        if (a, b) not in self._rels:
            self._rels.append((a, b))

    @_atomic
    def assume_text(self, text: str) -> None:
        """State a fact written as text: `N % 128 == 0`, `n == 4096`, `n >= 16`,
        `1 <= n <= 65536`, `_BLOCK_SIZE_0 is a power of 2`, `r = next_power_of_2(n)`.
        Every line of `describe()` is accepted back."""
        if not isinstance(text, str):
            raise KoptError(f"assumption must be text, got {type(text).__name__}")
        _apply_text(self, text)

    def describe(self) -> list[str]:
        """One line per fact, in a fixed order (each line is valid `assume_text`)."""
        eqs = sorted(f"{s} = {format_expr(v)}" for s, v in self._eqs.items())
        congr = sorted(f"{_fmt(e, _MUL)} % {k} == {r}" for e, (k, r) in self._congr.items())
        pow2 = sorted(f"{s} is a power of 2" for s in self._pow2)
        npow2 = sorted(
            f"{r} = next_power_of_2({format_expr(n)})  (=> {format_expr(n)} <= {r} < 2*{_fmt(n, _UNARY)})"
            for r, n in self._npow2.items()
        )
        bnds = sorted(_bounds_line(s, lo, hi) for s, (lo, hi) in self._bounds.items() if (lo, hi) != (None, None))
        rels = sorted(f"{format_expr(a)} <= {format_expr(b)}" for a, b in self._rels)
        return eqs + congr + pow2 + npow2 + bnds + rels

    def __repr__(self) -> str:
        return f"FactBase({self.describe()!r})"

    def _no_cycle(self, s: sympy.Symbol, value: sympy.Expr) -> None:
        # An equality chain that leads back to s would make resolution loop.
        todo, seen = list(value.free_symbols), set()
        while todo:
            t = todo.pop()
            if t == s:
                raise KoptError(f"fact about {s} refers back to {s}")
            if t in seen:
                continue
            seen.add(t)
            for dep in (self._eqs.get(t), self._npow2.get(t)):
                if dep is not None:
                    todo.extend(dep.free_symbols)

    def _check_value(self, s: sympy.Symbol) -> None:
        # A known constant must agree with everything else said about s.
        v = self._eqs.get(s)
        if v is None or not v.is_Integer:
            return
        v = int(v)
        bad = None
        lo, hi = self._bounds.get(s, (None, None))
        if (s.is_positive and v < 1) or (s.is_nonnegative and v < 0):
            bad = f"{s} = {v} is not {'positive' if s.is_positive else 'nonnegative'}"
        elif (lo is not None and v < lo) or (hi is not None and v > hi):
            bad = f"{s} = {v} is outside its bounds"
        elif s in self._congr and v % self._congr[s][0] != self._congr[s][1]:
            bad = f"{s} = {v} but {s} % {self._congr[s][0]} == {self._congr[s][1]}"
        elif s in self._pow2 and (v < 1 or v & (v - 1)):
            bad = f"{s} = {v} is not a power of 2"
        if bad:
            raise KoptError(f"contradictory facts: {bad}")

    # ------------------------------------------------------------ queries

    def divides(self, a, b, budget: int = DEFAULT_BUDGET) -> Answer:
        """Does a divide b exactly (b = a*q for an integer q)?"""
        return self._ask(decide.divides, budget, unknown, a, b)

    def le(self, a, b, budget: int = DEFAULT_BUDGET) -> Answer:
        """a <= b?"""
        return self._ask(lambda c, x, y: decide.compare(c, x, y, strict=False), budget, unknown, a, b)

    def lt(self, a, b, budget: int = DEFAULT_BUDGET) -> Answer:
        """a < b?"""
        return self._ask(lambda c, x, y: decide.compare(c, x, y, strict=True), budget, unknown, a, b)

    def ge(self, a, b, budget: int = DEFAULT_BUDGET) -> Answer:
        """a >= b?"""
        return self.le(b, a, budget)

    def gt(self, a, b, budget: int = DEFAULT_BUDGET) -> Answer:
        """a > b?"""
        return self.lt(b, a, budget)

    def eq(self, a, b, budget: int = DEFAULT_BUDGET) -> Answer:
        """a == b?"""
        answer = self._ask(decide.equal, budget, unknown, a, b)
        if answer.is_true or answer.is_false or not self._eqs:
            return answer
        # a floor or modulo of a symbol the facts fix (`(head // 2) * 2` with `head == 64`) is an atom to the
        # polynomial view: put the known values in and ask again
        known = {s: v for s, v in self._eqs.items() if v.is_Integer}
        if not known:
            return answer
        ea, eb = _expr(a), _expr(b)
        try:  # only small expressions (counted with a bound first: a shared DAG is huge as a tree)
            for e in (ea, eb):
                check_size(e, 64)
        except TooLarge:
            return answer
        if not (ea.free_symbols | eb.free_symbols) & set(known) or not any(e.has(sympy.floor, sympy.Mod)
                                                                           for e in (ea, eb)):
            return answer  # with floors or moduli of a symbol the facts fix
        retry = self._ask(decide.equal, budget, unknown, ea.subs(known), eb.subs(known))
        return retry if retry.is_true or retry.is_false else answer

    def const_bounds(self, expr, budget: int = DEFAULT_BUDGET) -> tuple[int | None, int | None]:
        """(lo, hi) with lo <= expr <= hi; None where unbounded or unknown."""
        return self._ask(_const_bounds, budget, lambda _: (None, None), expr)

    def modular(self, expr, budget: int = DEFAULT_BUDGET) -> tuple[int, int]:
        """(coeff, base): expr == base (mod coeff), 0 <= base < coeff; coeff 0 means
        expr == base. (1, 0) means nothing is known."""
        return self._ask(_modular, budget, lambda _: (1, 0), expr)

    def try_const(self, expr, budget: int = DEFAULT_BUDGET) -> int | None:
        """The value of expr if the facts fix it, else None."""
        return self._ask(_try_const, budget, lambda _: None, expr)

    def _ask(self, fn, budget, fallback, *args):
        exprs = [_expr(x) for x in args]  # bad input is the caller's error, not UNKNOWN
        try:
            for e in exprs:
                check_size(e)
            return fn(Ctx(self, Budget(budget)), *exprs)
        except Exhausted:
            return fallback("budget exhausted")
        except TooLarge:
            return fallback("expression too large")
        except (RecursionError, ArithmeticError):
            return fallback("expression too complex")


# ---------------------------------------------------------------- value queries


def _const_bounds(ctx, e):
    lo, hi = bounds(ctx, e)
    m = modular(ctx, e)
    if is_integral(m):
        lo = lo if lo == -INF else math.ceil(lo)
        hi = hi if hi == INF else math.floor(hi)
        c, r = m
        if c:  # move onto the lattice r + c*t
            lo = lo if lo == -INF else lo + (r - lo) % c
            hi = hi if hi == INF else hi - (hi - r) % c
    else:
        lo = lo if lo == -INF else math.floor(lo)
        hi = hi if hi == INF else math.ceil(hi)
    return (None if lo == -INF else int(lo)), (None if hi == INF else int(hi))


def _modular(ctx, e):
    m = modular(ctx, e)
    return (int(m[0]), int(m[1])) if is_integral(m) else (1, 0)


def _try_const(ctx, e):
    v = exact(bounds(ctx, e))
    if v is not None:
        return v
    m = modular(ctx, e)
    if is_integral(m) and m[0] == 0:
        return int(m[1])
    c = pconst(poly(ctx, e))
    return c if isinstance(c, int) else None


# ---------------------------------------------------------------- assumption text

_POW2_TEXT = re.compile(r"(.+?)\s+is\s+a\s+power\s+of\s+(?:2|two)\s*", re.IGNORECASE)
_NOTE = re.compile(r"\s*\(=>.*\)\s*$")
_SINGLE_EQ = re.compile(r"(?<![=<>!])=(?!=)")


def _bounds_line(s, lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{lo} <= {s} <= {hi}"
    return f"{s} >= {lo}" if lo is not None else f"{s} <= {hi}"


def _apply_text(fb: FactBase, text: str) -> None:
    t = text.strip()
    m = _POW2_TEXT.fullmatch(t)
    if m:
        return fb.assume_power_of_two(_sym_text(m.group(1), text))
    t = _SINGLE_EQ.sub("==", _NOTE.sub("", t))  # describe() writes `n = 4096  (=> ...)`
    try:
        node = _parse_ast(t).body
    except KoptError as e:
        raise KoptError(f"cannot parse assumption '{text}': {e.message.split(': ', 1)[-1]}") from None
    if not isinstance(node, ast.Compare):
        raise KoptError(
            f"assumption '{text}' is not a comparison "
            "(write e.g. 'n % 16 == 0', 'n == 4096', 'n >= 16', '_BLOCK_SIZE_0 is a power of 2')"
        )
    sides = [convert_ast(x, t) for x in [node.left, *node.comparators]]
    for op, lhs, rhs in zip(node.ops, sides, sides[1:]):
        _apply_rel(fb, op, lhs, rhs, text)


def _sym_text(name: str, text: str) -> sympy.Symbol:
    e = parse_expr(name)
    if not e.is_Symbol:
        raise KoptError(f"assumption '{text}': only a symbol can be a power of 2, not '{name}'")
    return e


def _apply_rel(fb: FactBase, op: ast.cmpop, lhs, rhs, text: str) -> None:
    if isinstance(op, ast.Eq):
        for x, y in ((lhs, rhs), (rhs, lhs)):
            if isinstance(x, sympy.Mod) and x.args[1].is_Integer and x.args[1] > 0 and y.is_Integer:
                return fb.assume_congruent(x.args[0], int(x.args[1]), int(y))
        if lhs.is_Symbol or rhs.is_Symbol:
            sym, value = (lhs, rhs) if lhs.is_Symbol else (rhs, lhs)
            return fb.assume_eq(sym, value)
        if lhs.is_Integer and rhs.is_Integer and lhs != rhs:
            raise KoptError(f"assumption '{text}' is false")
        fb.assume_le(lhs, rhs)
        return fb.assume_le(rhs, lhs)
    one = sympy.Integer(1)
    rel = {
        ast.LtE: (lhs, rhs),
        ast.Lt: (lhs + one, rhs),
        ast.GtE: (rhs, lhs),
        ast.Gt: (rhs + one, lhs),
    }.get(type(op))
    if rel is None:
        raise KoptError(f"assumption '{text}': only ==, <=, <, >=, > are supported")
    fb.assume_le(*rel)
