"""Constant integer bounds: an interval [lo, hi] for every shape expression.

Endpoints are ints or Fractions, or -INF/INF for "unbounded". Every rule only
ever widens, so a bound is always sound; endpoints beyond 2**CAP_BITS are
widened (to INF, or clamped toward zero on the inner side) so that products of
huge constants stay cheap.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from .domain import Domain, evaluate

INF = math.inf
CAP_BITS = 4096
_CAP = 1 << CAP_BITS
FULL = (-INF, INF)
# Fractions with wider denominators are rounded outward to integers: exactness
# there buys nothing for shapes and costs big gcds.
_DEN_BITS = 64


def npow2(v: int) -> int:
    """Triton's next_power_of_2 on a nonnegative int."""
    return 0 if v <= 0 else 1 << (v - 1).bit_length()


def prevpow2(v: int) -> int:
    """Largest power of two <= v (v >= 1)."""
    return 1 << (v.bit_length() - 1)


def _lo(v):
    """Normalise a lower bound: widen downward only."""
    if v == -INF or v < -_CAP:
        return -INF
    if v > _CAP:
        return _CAP
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return v.numerator
        if v.denominator.bit_length() > _DEN_BITS:
            return math.floor(v)
    return v


def _hi(v):
    """Normalise an upper bound: widen upward only."""
    if v == INF or v > _CAP:
        return INF
    if v < -_CAP:
        return -_CAP
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return v.numerator
        if v.denominator.bit_length() > _DEN_BITS:
            return math.ceil(v)
    return v


def _mul(a, b):
    if a == 0 or b == 0:
        return 0
    if a in (INF, -INF) or b in (INF, -INF):
        return INF if (a > 0) == (b > 0) else -INF
    return a * b


def iadd(x, y):
    return _lo(x[0] + y[0]), _hi(x[1] + y[1])


def ineg(x):
    return -x[1], -x[0]


def iscale(x, c):
    """Multiply by a constant (int or Fraction)."""
    return imul(x, (c, c))


def imul(x, y):
    ps = [_mul(a, b) for a in x for b in y]
    return _lo(min(ps)), _hi(max(ps))


def iinv(x):
    """1/x, or FULL when x may contain 0."""
    lo, hi = x
    if lo > 0 or hi < 0:
        a = 0 if hi in (INF, -INF) else Fraction(1) / hi
        b = 0 if lo in (INF, -INF) else Fraction(1) / lo
        return _lo(min(a, b)), _hi(max(a, b))
    return FULL


def ipow(x, e: int):
    """x**e for an integer exponent."""
    if e == 0:
        return (1, 1)
    if e < 0:
        return ipow(iinv(x), -e)
    if e > 64:
        # Rare in shapes; keep only the sign information.
        if x[0] >= 1:
            return (1, INF)
        if x[0] >= 0 and x[1] <= 1:
            return (0, 1)
        return (0, INF) if e % 2 == 0 else FULL
    lo, hi = x
    if lo >= 0 or e % 2 == 1:  # monotone
        return _lo(_pow(lo, e)), _hi(_pow(hi, e))
    m = max(-lo, hi)
    return (0 if hi >= 0 else _lo(_pow(hi, e))), _hi(_pow(m, e))


def _pow(v, e: int):
    if v in (INF, -INF):
        return v if (v > 0 or e % 2 == 1) else INF
    bits = (abs(v.numerator) if isinstance(v, Fraction) else abs(v)).bit_length()
    if bits * e > CAP_BITS + 1:
        big = INF if v > 0 or e % 2 == 0 else -INF
        return big
    return v**e


def ifloor(x):
    return tuple(v if v in (INF, -INF) else math.floor(v) for v in x)


def iceil(x):
    return tuple(v if v in (INF, -INF) else math.ceil(v) for v in x)


def exact(x):
    """The single integer in x, if x is a point."""
    lo, hi = x
    if lo == hi and lo not in (INF, -INF) and (isinstance(lo, int) or lo.denominator == 1):
        return int(lo)
    return None


def inpow2(x):
    """next_power_of_2 is monotone on integers >= 0."""
    lo, hi = x
    if lo < 0:
        return FULL
    lo = npow2(math.ceil(lo))
    return lo, (INF if hi == INF else npow2(math.floor(hi)))


def _mod(a, b, ints: bool):
    # Mod(a, b) takes the sign of b (Python's %); only b's sign matters for the range.
    # It is < b, so <= b - 1 for integers (for reals only <= b).
    if b[0] >= 1:
        k = exact(b)
        if k is not None and a[0] != -INF and a[1] != INF:
            q = math.floor(a[0] / Fraction(k))
            if q == math.floor(a[1] / Fraction(k)):  # a stays inside one period
                return a[0] - q * k, a[1] - q * k
        hi = b[1] - (1 if ints else 0) if b[1] != INF else INF
        if a[0] >= 0:
            hi = min(hi, a[1])
        return 0, hi
    if b[1] <= -1:
        return ineg(_mod(ineg(a), ineg(b), ints))
    return FULL


# ---------------------------------------------------------------- the analysis


class Intervals(Domain):
    """Interval rules; anything unrecognised is FULL."""

    def unknown(self, e):
        return FULL

    def constant(self, v):
        return _lo(v), _hi(v)

    def symbol(self, ctx, s):
        lo, hi = -INF, INF
        if s.is_positive:
            lo = 1
        elif s.is_nonnegative:
            lo = 0
        user = ctx.facts._bounds.get(s)
        if user is not None:
            lo = max(lo, -INF if user[0] is None else user[0])
            hi = min(hi, INF if user[1] is None else user[1])
        n = ctx.facts._npow2.get(s)
        if n is not None:
            nl, nh = inpow2(evaluate(ctx, self, n))
            lo, hi = max(lo, nl), min(hi, nh)
        if s.is_integer:
            lo = lo if lo == -INF else math.ceil(lo)
            hi = hi if hi == INF else math.floor(hi)
        congr = ctx.facts._congr.get(s)
        if congr is not None and s.is_integer:
            k, r = congr  # s = k*t + r: round lo up and hi down onto that lattice
            if lo != -INF:
                lo = lo + (r - lo) % k
            if hi != INF:
                hi = hi - (hi - r) % k
        if s in ctx.facts._pow2 or n is not None:
            lo = npow2(max(1, lo))
            if hi != INF:
                hi = prevpow2(hi) if hi >= 1 else 0
        if lo > hi:
            # Contradictory facts: answer nothing rather than something vacuous.
            return FULL
        return lo, hi

    def add(self, ctx, x, y):
        return iadd(x, y)

    def mul(self, ctx, x, y):
        return imul(x, y)

    def minimum(self, ctx, x, y):
        return min(x[0], y[0]), min(x[1], y[1])

    def maximum(self, ctx, x, y):
        return max(x[0], y[0]), max(x[1], y[1])

    def pow(self, ctx, base, ex):
        return ipow(evaluate(ctx, self, base), int(ex)) if ex.is_Integer else FULL

    def floor(self, ctx, arg):
        return ifloor(evaluate(ctx, self, arg))

    def ceiling(self, ctx, arg):
        return iceil(evaluate(ctx, self, arg))

    def mod(self, ctx, a, b):
        # Mod(a, b) < b, so <= b - 1 for integers only.
        ints = ctx.is_int(a) and ctx.is_int(b)
        return _mod(evaluate(ctx, self, a), evaluate(ctx, self, b), ints)

    def next_power_of_2(self, ctx, arg):
        return inpow2(evaluate(ctx, self, arg))

    def cdiv(self, ctx, a, b):
        # The numerator is read only when the divisor is surely >= 1.
        d = evaluate(ctx, self, b)
        if d[0] >= 1:
            return iceil(imul(evaluate(ctx, self, a), iinv(d)))
        return FULL


INTERVALS = Intervals()


def bounds(ctx, e: sympy.Basic):
    """Interval of `e` under ctx's facts (memoised per query)."""
    return evaluate(ctx, INTERVALS, e)
