"""The decision procedures behind FactBase's queries: divides, compare, equal.

Each rule either proves its answer from the analyses (bounds, modular sets,
powers of two, expanded differences plus facts) or passes; whatever no rule
proves is UNKNOWN.
"""

from __future__ import annotations

import math

from .answer import Answer, false, true, unknown
from .intervals import INF, bounds, exact, prevpow2
from .modsets import POW2, is_integral, madd, mmul, modular, pow2_kind
from .poly import ONE, atom_facts, padd, pbounds, pconst, poly, prove_nonneg
from .symbols import brief as short


def named(e, v) -> str:
    """`4096`, or `n = 4096` when the value came from the facts."""
    return str(v) if e.is_Integer else f"{short(e)} = {v}"


# ---------------------------------------------------------------- divides


def divides(ctx, a, b) -> Answer:
    va, vb = exact(bounds(ctx, a)), exact(bounds(ctx, b))
    if va is not None:
        return _by_constant(ctx, a, va, b, vb)
    if vb == 0:
        return true(f"{named(b, 0)} is a multiple of anything")
    rest = _structural_rest(ctx, a, b)
    if rest is not None and not rest:
        return true(f"{short(a)} is a factor of every term of {short(b)}")
    for rule in (_by_power_of_two, _refuted):
        got = rule(ctx, a, b, rest)
        if got is not None:
            return got
    return unknown(f"{short(b)} mod {short(a)} unknown")


def _by_constant(ctx, a, va, b, vb) -> Answer:
    if va == 0:
        if vb is not None:
            return (true if vb == 0 else false)(f"0 divides only 0, and {named(b, vb)}")
        lo, hi = bounds(ctx, b)
        if lo > 0 or hi < 0:
            return false(f"0 divides only 0, and {short(b)} != 0")
        return unknown(f"{short(b)} mod 0 unknown")
    k = abs(va)
    if vb is not None:
        ok = vb % k == 0
        return (true if ok else false)(f"{named(a, va)} {'divides' if ok else 'does not divide'} {named(b, vb)}")
    m = modular(ctx, b)
    if is_integral(m) and m[0] % k == 0:
        c, r = m
        if r % k == 0:
            what = f"{short(b)} = {r}" if c == 0 else f"{short(b)}, a multiple of {c}" + (f" plus {r}" if r else "")
            return true(f"{named(a, va)} divides {what}")
        return false(f"{short(b)} % {k} == {r % k}, so {named(a, va)} does not divide it")
    return unknown(f"{short(b)} mod {named(a, va)} unknown")


def _structural_rest(ctx, a, b):
    """The terms of b that a does not visibly divide (b = a*q + rest), or None
    when a is not a single monomial."""
    pa = poly(ctx, a)
    if len(pa) != 1:
        return None
    (ma, ca), = pa.items()
    if not isinstance(ca, int) or ca == 0:
        return None
    need = dict(ma)
    rest = {}
    for mono, c in poly(ctx, b).items():
        ctx.tick()
        have = dict(mono)
        quotient_ok = isinstance(c, int) and c % ca == 0 and all(have.get(x, 0) >= k for x, k in need.items())
        if quotient_ok:
            left = [x for x, k in have.items() if k > need.get(x, 0)]
            quotient_ok = all(is_integral(modular(ctx, x)) for x in left)
        if not quotient_ok:
            rest[mono] = c
    return rest


def _poly_modular(ctx, p):
    acc = (0, 0)
    for mono, c in p.items():
        ctx.tick()
        term = (0, c)
        for atom, k in mono:
            for _ in range(min(k, 16)):
                term = mmul(term, modular(ctx, atom))
            if k > 16:
                return None
        acc = madd(acc, term)
    return acc


def _by_power_of_two(ctx, a, b, rest):
    if pow2_kind(ctx, a) != POW2:
        return None
    hi = bounds(ctx, a)[1]
    if hi != INF and hi >= 1:
        cap = prevpow2(int(hi))
        m = _poly_modular(ctx, rest) if rest is not None else modular(ctx, b)
        if is_integral(m) and m[0] % cap == 0 and m[1] % cap == 0:
            what = short(b) if rest is None or len(rest) == len(poly(ctx, b)) else f"the other terms of {short(b)}"
            return true(f"{short(a)} is a power of 2 <= {cap}, and {cap} divides {what}")
    if pow2_kind(ctx, b) == POW2:
        # For powers of two, a | b exactly when a <= b.
        le = compare(ctx, a, b, strict=False)
        if le.is_true:
            return true(f"{short(a)} and {short(b)} are powers of 2 and {le.reason}")
        if le.is_false:
            return false(f"{short(a)} and {short(b)} are powers of 2 and {short(b)} < {short(a)}")
    return None


def _refuted(ctx, a, b, rest):
    (la, _), (lb, hb) = bounds(ctx, a), bounds(ctx, b)
    if lb > 0 and hb < la:
        return false(f"0 < {short(b)} < {short(a)}")
    ma, mb = modular(ctx, a), modular(ctx, b)
    if is_integral(ma) and is_integral(mb) and ma[1] == 0 and ma[0] > 1:
        c = ma[0]
        if mb[0] % c == 0 and mb[1] % c != 0:
            return false(f"{c} divides {short(a)} but {short(b)} % {c} == {mb[1] % c}")
    return None


# ---------------------------------------------------------------- order


def _integral(ctx, *es) -> bool:
    return all(is_integral(modular(ctx, e)) for e in es)


def _rel_facts(ctx):
    out = []
    for x, y in ctx.facts._rels:
        out.append((padd(ctx, poly(ctx, y), poly(ctx, x), -1), lambda x=x, y=y: f"{short(x)} <= {short(y)}"))
    return out


def compare(ctx, a, b, strict: bool) -> Answer:
    """a < b (strict) or a <= b."""
    op = "<" if strict else "<="
    claim = f"{short(a)} {op} {short(b)}"
    if a == b:
        return (false if strict else true)(f"both sides are {short(a)}")
    d = padd(ctx, poly(ctx, b), poly(ctx, a), -1)  # b - a
    c = pconst(d)
    if c is not None:
        holds = c > 0 if strict else c >= 0
        return (true if holds else false)(f"{claim}: the difference is {c}")
    ints = _integral(ctx, a, b)
    # a op b  <=>  goal_t >= 0;  not (a op b)  <=>  goal_f >= 0   (integers)
    goal_t = padd(ctx, d, {ONE: 1}, -1) if strict else d
    goal_f = padd(ctx, {}, d, -1) if strict else padd(ctx, padd(ctx, {}, d, -1), {ONE: 1}, -1)
    if not ints:
        lo, hi = pbounds(ctx, d)
        if lo > 0 or (lo >= 0 and not strict):
            return true(f"{claim}: the difference is >= {lo}")
        if hi < 0 or (hi <= 0 and strict):
            return false(f"{claim} fails: the difference is <= {hi}")
        return unknown(f"sign of {short(b)} - {short(a)} unknown")
    facts = _rel_facts(ctx) + atom_facts(ctx, d)
    for depth in (1, 2):
        why = prove_nonneg(ctx, goal_t, facts, depth)
        if why is not None:
            return true(_because(claim, why))
        why = prove_nonneg(ctx, goal_f, facts, depth)
        if why is not None:
            return false(_because(f"{claim} fails", why))
    return unknown(f"sign of {short(b)} - {short(a)} unknown")


def _because(claim: str, why: str) -> str:
    return f"{claim}: from the bounds of the terms" if why == "bounds" else f"{claim}: {why}"


# ---------------------------------------------------------------- equality


def equal(ctx, a, b) -> Answer:
    claim = f"{short(a)} == {short(b)}"
    if a == b:
        return true(f"{claim}: same expression")
    d = padd(ctx, poly(ctx, b), poly(ctx, a), -1)
    c = pconst(d)
    if c is not None:
        return (true if c == 0 else false)(f"{claim}: the difference is {c}")
    lo, hi = pbounds(ctx, d)
    if lo == hi == 0:
        return true(f"{claim}: the difference is 0 under the facts")
    if lo > 0 or hi < 0:
        return false(f"{claim} fails: the difference is in [{lo}, {hi}]")
    ma, mb = modular(ctx, a), modular(ctx, b)
    if is_integral(ma) and is_integral(mb):
        g = math.gcd(ma[0], mb[0])
        if g and (ma[1] - mb[1]) % g:
            return false(f"{claim} fails: {short(a)} % {g} == {ma[1] % g} but {short(b)} % {g} == {mb[1] % g}")
    if _integral(ctx, a, b):
        le, ge = compare(ctx, a, b, strict=False), compare(ctx, b, a, strict=False)
        if le.is_true and ge.is_true:
            return true(f"{claim}: {le.reason}; {ge.reason}")
        if le.is_false or ge.is_false:
            return false(f"{claim} fails: {(le if le.is_false else ge).reason}")
    return unknown(f"{short(b)} - {short(a)} unknown")
