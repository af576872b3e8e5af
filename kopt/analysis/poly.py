"""Polynomial normal form and a small sign prover for differences of shapes.

A poly is {monomial: coefficient}; a monomial is a frozenset of (atom, exponent)
pairs, an atom being anything that is not +, * or a small integer power (a
symbol, floor, Mod, min, next_power_of_2, ...). Expanding ourselves, with a
term cap and a step per product, replaces sympy.expand/simplify: `b - a`
cancels exactly where expansion alone shows it. A product or power that would
expand past MAX_TERMS stays whole, as one atom (still exact, just less
normalised), so `p**12 + 1 - p**12` still cancels.

The prover shows d >= 0 from the bounds of d's terms, or after subtracting
nonnegative multiples of at most two known facts `f >= 0` (the defining
inequalities of the atoms in d, e.g. n <= next_power_of_2(n) < 2n, and the
user's relations).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import sympy

from .domain import Domain, evaluate
from .intervals import INTERVALS, bounds, iadd, imul, ipow, iscale
from .modsets import POW2, POWERS_OF_TWO, split_div
from .symbols import brief as short
from .symbols import cdiv, next_power_of_2

MAX_TERMS = 64
ONE = frozenset()


class Polys(Domain):
    """Expansion rules; a node that does not expand is an atom of its own."""

    # pmul's None (too many terms): the product stays whole, its later factors unread.
    absorbing = None

    def unknown(self, e):
        return _atom(e)

    def constant(self, v):
        return {ONE: _num(v)} if v else {}

    def add(self, ctx, acc, p):
        _accumulate(ctx, acc, p, 1)  # acc is this sum's own fresh dict
        return acc

    def mul(self, ctx, acc, p):
        return pmul(ctx, acc, p)

    def pow(self, ctx, base, ex):
        if not (ex.is_Integer and 0 <= ex <= 16):
            return None
        p = evaluate(ctx, self, base)
        acc = {ONE: 1}
        for _ in range(int(ex)):
            acc = pmul(ctx, acc, p)
            if acc is None:
                return None
        return acc

    def next_power_of_2(self, ctx, arg):
        if evaluate(ctx, POWERS_OF_TWO, arg) == POW2:
            return evaluate(ctx, self, arg)  # next_power_of_2(P) == P
        return None


POLYS = Polys()


def poly(ctx, e: sympy.Basic) -> dict:
    """Expanded form of `e` (memoised; callers must not mutate the result)."""
    return evaluate(ctx, POLYS, e)


def _atom(e) -> dict:
    return {frozenset([(e, 1)]): 1}


def _num(v):
    return v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v


def _accumulate(ctx, out: dict, p: dict, scale) -> None:
    for mono, c in p.items():
        ctx.tick()
        v = out.get(mono, 0) + c * scale
        if v:
            out[mono] = _num(v)
        else:
            out.pop(mono, None)


def padd(ctx, a: dict, b: dict, scale=1) -> dict:
    """a + scale*b."""
    out = dict(a)
    _accumulate(ctx, out, b, scale)
    return out


def pmul(ctx, a: dict, b: dict) -> dict | None:
    """a*b, or None if it has more than MAX_TERMS terms."""
    if len(a) * len(b) > MAX_TERMS * MAX_TERMS:
        return None
    if len(b) == 1 and ONE in b:  # scaling: the common case c*x
        a, b = b, a
    if len(a) == 1 and ONE in a:
        return padd(ctx, {}, b, a[ONE])
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            ctx.tick(1 + len(mb))
            mono = _mono_mul(ma, mb)
            v = out.get(mono, 0) + ca * cb
            if v:
                out[mono] = _num(v)
            else:
                out.pop(mono, None)
    return out if len(out) <= MAX_TERMS else None


def _mono_mul(a: frozenset, b: frozenset) -> frozenset:
    if not a:
        return b
    if not b:
        return a
    exps = dict(a)
    for atom, k in b:
        exps[atom] = exps.get(atom, 0) + k
    return frozenset(exps.items())


def pconst(p: dict):
    """The constant a poly equals, or None."""
    if not p:
        return 0
    if len(p) == 1 and ONE in p:
        return p[ONE]
    return None


def pbounds(ctx, p: dict):
    """Interval of a poly: sum over terms of coefficient * product of atom bounds."""
    acc = (0, 0)
    for mono, c in p.items():
        ctx.tick(1 + len(mono))
        term = (1, 1)
        for atom, k in mono:
            # evaluate, not bounds(): the prover's hottest loop, one call less per atom.
            term = imul(term, ipow(evaluate(ctx, INTERVALS, atom), k))
        acc = iadd(acc, iscale(term, c))
    return acc


# ---------------------------------------------------------------- facts about atoms


def atom_facts(ctx, p: dict) -> list:
    """(poly known >= 0, label thunk) pairs relating the atoms of `p` to their
    arguments. Labels are thunks so that only a used fact is ever formatted."""
    out: list = []
    seen = set()
    for mono in p:
        for atom, _ in mono:
            if atom not in seen:
                seen.add(atom)
                ctx.tick()
                out.extend(_facts_of(ctx, atom))
    return out


def _facts_of(ctx, atom):
    # Every rule below rounds (x < y  =>  x <= y - 1): integers only (a floor's
    # argument is a quotient: _div_facts checks its numerator and denominator).
    if not isinstance(atom, sympy.floor) and not all(ctx.is_int(a) for a in atom.args):
        return []
    if atom.is_Symbol and atom in ctx.facts._npow2:
        return _npow2_facts(ctx, atom, ctx.facts._npow2[atom])
    if isinstance(atom, next_power_of_2):
        return _npow2_facts(ctx, atom, atom.args[0])
    if isinstance(atom, (sympy.Min, sympy.Max)):
        sign = 1 if isinstance(atom, sympy.Min) else -1
        me = _atom(atom)
        rel = "<=" if sign == 1 else ">="
        return [
            (_lin(ctx, [(poly(ctx, a), sign), (me, -sign)]), lambda a=a: f"{short(atom)} {rel} {short(a)}")
            for a in atom.args
        ]
    if isinstance(atom, (sympy.floor, cdiv)):
        parts = split_div(atom.args[0]) if isinstance(atom, sympy.floor) else atom.args
        if parts is None or bounds(ctx, parts[1])[0] < 1:
            return []
        return _div_facts(ctx, atom, poly(ctx, parts[0]), poly(ctx, parts[1]), isinstance(atom, cdiv))
    if isinstance(atom, sympy.Mod):
        q = poly(ctx, atom.args[1])
        if bounds(ctx, atom.args[1])[0] < 1:
            return []
        me = _atom(atom)
        out = [(_lin(ctx, [(q, 1), ({ONE: 1}, -1), (me, -1)]), lambda: f"{short(atom)} < {short(atom.args[1])}")]
        if bounds(ctx, atom.args[0])[0] >= 0:
            out.append((_lin(ctx, [(poly(ctx, atom.args[0]), 1), (me, -1)]), lambda: f"{short(atom)} <= {short(atom.args[0])}"))
        return out
    return []


def _lin(ctx, parts) -> dict:
    out: dict = {}
    for p, s in parts:
        _accumulate(ctx, out, p, s)
    return out


def _npow2_facts(ctx, me_expr, n):
    if bounds(ctx, n)[0] < 1 or not ctx.is_int(n):
        return []
    me, pn = _atom(me_expr), poly(ctx, n)

    def label(tail):
        head = short(me_expr) if me_expr.is_Symbol else "next_power_of_2(...)"
        return lambda: f"{head} = next_power_of_2({short(n)}) {tail(short(n))}"

    return [
        (_lin(ctx, [(me, 1), (pn, -1)]), label(lambda t: f">= {t}")),
        (_lin(ctx, [(pn, 2), ({ONE: 1}, -1), (me, -1)]), label(lambda t: f"< 2*{t}")),
    ]


def _div_facts(ctx, atom, num, den, ceil: bool):
    # den*q <= num <= den*q + den - 1 for q = floor(num/den); mirrored for cdiv.
    if not all(ctx.is_int(x) for p in (num, den) for mono in p for x, _ in mono):
        return []
    scale = 1
    for c in num.values():  # clear fractions such as floor(n/2 + 1/4)
        if isinstance(c, Fraction):
            scale = scale * c.denominator // gcd(scale, c.denominator)
    if scale != 1:
        num, den = padd(ctx, {}, num, scale), padd(ctx, {}, den, scale)
    dq = pmul(ctx, den, _atom(atom))
    if dq is None:
        return []
    one = {ONE: 1}
    kind = "up" if ceil else "down"
    lower = _lin(ctx, [(dq, 1), (num, -1)] if ceil else [(num, 1), (dq, -1)])
    upper = _lin(ctx, [(num, 1), (den, 1), (one, -1), (dq, -1)] if ceil else [(dq, 1), (den, 1), (one, -1), (num, -1)])
    return [
        (lower, lambda: f"{short(atom)} rounds {kind}"),
        (upper, lambda: f"{short(atom)} rounds {kind} by less than 1"),
    ]


# ---------------------------------------------------------------- the prover


def prove_nonneg(ctx, d: dict, facts: list, depth: int = 1):
    """Why d >= 0 (a str), or None. Tries bounds, then one fact, then (depth 2) two."""
    if _by_bounds(ctx, d):
        return "bounds"
    for r, i in _residues(ctx, d, facts):
        if _by_bounds(ctx, r):
            return facts[i][1]()
    if depth >= 2:
        for r, i in _residues(ctx, d, facts):
            for r2, j in _residues(ctx, r, facts):
                if j != i and _by_bounds(ctx, r2):
                    return f"{facts[i][1]()} and {facts[j][1]()}"
    return None


def _by_bounds(ctx, p: dict) -> bool:
    return pbounds(ctx, p)[0] >= 0 or pbounds(ctx, _dominate(ctx, p))[0] >= 0


def _dominate(ctx, p: dict) -> dict:
    """A poly <= p, with negative terms absorbed by larger positive ones.

    For c < 0 and M >= 0, a term c'*M*X with X >= 1 has M*X >= M, so
    c'*M*X + c*M >= (c' + c)*M*X: e.g. k*n - n >= 0 for k >= 1.
    """
    out = dict(p)
    for neg, c in p.items():
        if c >= 0 or neg == ONE:
            continue
        for pos in list(out):
            ctx.tick()
            cp = out[pos]
            if cp <= 0 or pos == neg or not _covers(ctx, pos, neg):
                continue
            out.pop(neg, None)
            out[pos] = cp + c
            break
    return out


def _covers(ctx, big: frozenset, small: frozenset) -> bool:
    """big = small * X with X >= 1 and small >= 0 (so big >= small)."""
    have = dict(big)
    extra = (1, 1)
    for atom, k in small:
        if have.get(atom, 0) < k or bounds(ctx, atom)[0] < 0:
            return False
        have[atom] -= k
    for atom, k in have.items():
        if k:
            extra = imul(extra, ipow(bounds(ctx, atom), k))
    return extra[0] >= 1


def _residues(ctx, d, facts):
    """d - lam*f for each fact f and lam > 0 that cancels one of d's monomials."""
    for i, (f, _) in enumerate(facts):
        tried = set()
        for mono, cf in f.items():
            ctx.tick()
            cd = d.get(mono)
            if mono == ONE or cd is None or (cd > 0) != (cf > 0):
                continue
            lam = Fraction(cd) / Fraction(cf)
            if lam in tried:
                continue
            tried.add(lam)
            yield padd(ctx, d, f, -_num(lam)), i
