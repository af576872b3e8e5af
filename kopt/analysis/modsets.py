"""Modular sets: `e` lies in {base + coeff*t : t integer}, for divisibility proofs.

(coeff, base) with coeff >= 0; coeff 0 means `e == base`; (1, 0) means "some
integer". Both may be Fractions (inside a floor, `n/16` with 128 | n is in 8Z).
None means nothing is known, not even that `e` is an integer.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from .domain import Domain, evaluate
from .intervals import INTERVALS, npow2

ANY_INT = (1, 0)
_MAX_BITS = 4096


def _q(v) -> Fraction | int:
    return v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v


def rgcd(a, b):
    """gcd of two nonnegative rationals (gcd(0, x) = x)."""
    a, b = abs(a), abs(b)
    if isinstance(a, int) and isinstance(b, int):
        return math.gcd(a, b)
    a, b = Fraction(a), Fraction(b)
    g = math.gcd(a.numerator * b.denominator, b.numerator * a.denominator)
    return _q(Fraction(g, a.denominator * b.denominator))


def norm(c, b):
    c = _q(abs(c))
    b = _q(b)
    if c:
        b = _q(b % c)
        if _size(c) > _MAX_BITS:
            return ANY_INT if is_integral((c, b)) else None
    if any(isinstance(v, Fraction) and v.denominator.bit_length() > 64 for v in (b, c)):
        return None  # keeps Fraction arithmetic cheap; such values are not shapes
    return c, b


def _size(v) -> int:
    return v.numerator.bit_length() + (v.denominator.bit_length() if isinstance(v, Fraction) else 0)


def is_integral(m) -> bool:
    return m is not None and isinstance(_q(m[0]), int) and isinstance(_q(m[1]), int)


def madd(x, y):
    if x is None or y is None:
        return None
    return norm(rgcd(x[0], y[0]), x[1] + y[1])


def mmul(x, y):
    # (c1*s + b1)(c2*t + b2) = c1c2*st + c1b2*s + c2b1*t + b1b2
    if x is None or y is None:
        return None
    (c1, b1), (c2, b2) = x, y
    return norm(rgcd(rgcd(c1 * c2, c1 * b2), c2 * b1), b1 * b2)


def munion(x, y):
    """Smallest modular set holding both (for Min/Max)."""
    if x is None or y is None:
        return None
    return norm(rgcd(rgcd(x[0], y[0]), x[1] - y[1]), x[1])


def mmeet(x, y):
    """Both hold: intersect congruences (CRT); integral sets only."""
    if x is None:
        return y
    if y is None or not (is_integral(x) and is_integral(y)):
        return x
    (c1, b1), (c2, b2) = x, y
    if c1 == 0 or c2 == 0:
        return x if c1 == 0 else y
    g = math.gcd(c1, c2)
    if (b2 - b1) % g:
        return x  # contradictory facts: keep one side, claim nothing new
    # b1 + c1*t = b2 (mod c2)  ->  t = (b2-b1)/g * inv(c1/g) (mod c2/g)
    m = c2 // g
    t = ((b2 - b1) // g * pow(c1 // g, -1, m)) % m if m > 1 else 0
    return norm(c1 * m, b1 + c1 * t)


# ---------------------------------------------------------------- the analysis


class ModSets(Domain):
    """Modular-set rules; None (not even known to be an integer) is the top."""

    def refine(self, ctx, e, value):
        congr = ctx.facts._congr.get(e)
        return value if congr is None else mmeet(value, congr)

    def constant(self, v):
        return 0, _q(v)

    def symbol(self, ctx, s):
        if not s.is_integer:
            return None
        if s in ctx.facts._pow2 or s in ctx.facts._npow2:
            # A power of two >= lo is a multiple of next_power_of_2(lo).
            lo = evaluate(ctx, INTERVALS, s)[0]
            if lo >= 1:
                return npow2(math.ceil(lo)), 0
        return ANY_INT

    def add(self, ctx, x, y):
        return madd(x, y)

    def mul(self, ctx, x, y):
        return mmul(x, y)

    def minimum(self, ctx, x, y):
        return munion(x, y)

    maximum = minimum

    def pow(self, ctx, base, ex):
        if not (ex.is_Integer and ex >= 0):
            return None
        k = int(ex)
        m = evaluate(ctx, self, base)
        if k <= 16:
            acc = (0, 1)
            for _ in range(k):
                acc = mmul(acc, m)
            return acc
        if is_integral(m):
            return (m[0], 0) if m[1] == 0 else ANY_INT  # c | x  =>  c | x**k
        return None

    def floor(self, ctx, arg):
        return _rounded(evaluate(ctx, self, arg), math.floor)

    def ceiling(self, ctx, arg):
        return _rounded(evaluate(ctx, self, arg), math.ceil)

    def mod(self, ctx, a, b):
        return _mod(evaluate(ctx, self, a), evaluate(ctx, self, b))

    def next_power_of_2(self, ctx, arg):
        lo = evaluate(ctx, INTERVALS, arg)[0]
        return (npow2(math.ceil(lo)), 0) if lo >= 1 else ANY_INT

    def cdiv(self, ctx, a, b):
        return _cdiv(evaluate(ctx, self, a), evaluate(ctx, self, b))


MODSETS = ModSets()


def modular(ctx, e: sympy.Basic):
    """Modular set of `e` under ctx's facts (memoised per query)."""
    return evaluate(ctx, MODSETS, e)


def _rounded(m, rnd):
    if m is None or not isinstance(m[0], int):
        return ANY_INT
    return norm(m[0], rnd(m[1]))  # floor(c*t + b) = c*t + floor(b) for integer c


def _mod(a, b):
    # Mod(a, b) = a - b*floor(a/b): integral inputs only.
    if not (is_integral(a) and is_integral(b)):
        return None
    (ca, ba), (cb, bb) = a, b
    if cb == 0:
        if bb == 0:
            return None
        if ca % bb == 0:  # a mod b is fixed
            return 0, ba % bb
        return norm(math.gcd(ca, bb), ba)
    return madd(a, mmul(b, ANY_INT))


def _cdiv(a, b):
    if not (is_integral(a) and is_integral(b)):
        return None
    (ca, ba), (cb, bb) = a, b
    if cb == 0 and bb > 0 and ca % bb == 0:  # cdiv(c*t + b, k) = (c/k)*t + cdiv(b, k)
        return norm(ca // bb, -(-ba // bb))
    return ANY_INT


# ---------------------------------------------------------------- powers of two

POW2, POW2_OR_ZERO = "p", "z"


class PowersOfTwo(Domain):
    """POW2 if a node is provably a power of two, POW2_OR_ZERO if one or 0, else None."""

    def constant(self, v):
        if v.denominator != 1:
            return None
        v = v.numerator
        return POW2 if v > 0 and v & (v - 1) == 0 else (POW2_OR_ZERO if v == 0 else None)

    def symbol(self, ctx, s):
        return POW2 if (s in ctx.facts._pow2 or s in ctx.facts._npow2) else None

    def mul(self, ctx, x, y):
        # A product or min of powers of two is one, or may be 0 if a factor may.
        if x is None or y is None:
            return None
        return POW2 if x == y == POW2 else POW2_OR_ZERO

    minimum = mul

    def maximum(self, ctx, x, y):
        # max(1, 0-or-pow2) is a power of two.
        if x is None or y is None:
            return None
        return POW2 if POW2 in (x, y) else POW2_OR_ZERO

    def pow(self, ctx, base, ex):
        return evaluate(ctx, self, base) if ex.is_Integer and ex >= 0 else None

    def next_power_of_2(self, ctx, arg):
        lo = evaluate(ctx, INTERVALS, arg)[0]
        return POW2 if lo >= 1 else (POW2_OR_ZERO if lo >= 0 else None)

    def floor(self, ctx, arg):
        # floor(P/Q) for powers of two is P/Q when Q <= P, else 0.
        parts = split_div(arg)
        if parts is None or evaluate(ctx, self, parts[0]) != POW2 or evaluate(ctx, self, parts[1]) != POW2:
            return None
        p, q = evaluate(ctx, INTERVALS, parts[0]), evaluate(ctx, INTERVALS, parts[1])
        return POW2 if q[1] <= p[0] else POW2_OR_ZERO

    def cdiv(self, ctx, a, b):
        # cdiv(P, Q) for powers of two is P/Q or 1.
        ka, kb = evaluate(ctx, self, a), evaluate(ctx, self, b)
        return POW2 if ka == kb == POW2 else None


POWERS_OF_TWO = PowersOfTwo()


def pow2_kind(ctx, e):
    """POW2 if `e` is provably a power of two, POW2_OR_ZERO if it is one or 0, else None."""
    return evaluate(ctx, POWERS_OF_TWO, e)


def split_div(arg: sympy.Basic, max_factors: int = 8):
    """arg as (numerator, denominator) sympy expressions, taking only factors with
    exponent -1 into the denominator; None if arg is not of that small form."""
    coeff, rest = arg.as_coeff_Mul()
    if not coeff.is_Rational:
        return None
    factors = sympy.Mul.make_args(rest)
    if len(factors) > max_factors:
        return None
    num = [sympy.Integer(coeff.p)] if coeff.p != 1 else []
    den = [sympy.Integer(coeff.q)] if coeff.q != 1 else []
    for f in factors:
        if f.is_Pow and f.args[1] == -1:
            den.append(f.args[0])
        elif f.is_Pow and not (f.args[1].is_Integer and f.args[1] >= 0):
            return None
        elif f != 1:
            num.append(f)
    # Unevaluated products: cheap to build, and every analysis reads Mul by its args.
    return sympy.Mul(*num, evaluate=False), sympy.Mul(*den, evaluate=False)
