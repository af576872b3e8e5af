"""One walk over shape expressions for every abstract domain.

The analyses (intervals, modular sets, powers of two, polynomials) differ only
in what each kind of node means; the walk around them (memo, step budget,
dispatch on the sympy node, facts that pin a symbol down) is the same, so it
lives here once and each analysis is a `Domain`: one rule per node kind.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from .symbols import cdiv, next_power_of_2

_MISSING = object()  # memo miss (None is a value in several domains)


class Domain:
    """The rules of one analysis, one per node kind. A rule answers None for
    "nothing known", which the walk turns into `unknown(e)`; the defaults here
    know nothing.

    Sums, products, min and max are folds done by the walk: `add`, `mul`,
    `minimum` and `maximum` combine two values, starting from `constant(0)` /
    `constant(1)`, or from the first child for min and max. Left as None, the
    node is unknown and none of its children is read, so they cost no steps.
    The other kinds get the raw sympy arguments: there the domains differ in
    what they read (the exponent, another domain, integrality) and some must
    not evaluate a child at all. Rules evaluate children with `evaluate`
    itself, not through `bounds`/`modular`: a wrapper is one more Python frame
    per level of nesting.
    """

    add = mul = minimum = maximum = None  # (ctx, acc, value) -> value

    # A fold that reaches this value reads no further children (poly: a product
    # too big to expand stays one atom). The other domains read every child,
    # even past an unknown one, and their step counts are kept as they were.
    absorbing = _MISSING

    def unknown(self, e):
        """The top element for node `e` (the same for all `e` but in poly)."""

    def refine(self, ctx, e, value):
        """`value` met with whatever the facts state about `e` itself."""
        return value

    def constant(self, v: int | Fraction):
        """A rational constant: an int when whole (the cheap common case)."""

    def symbol(self, ctx, s: sympy.Symbol):
        """A symbol the facts do not pin to a value (pinned ones are resolved first)."""

    def pow(self, ctx, base, exp):
        """base**exp."""

    def floor(self, ctx, arg):
        """floor(arg)."""

    def ceiling(self, ctx, arg):
        """ceiling(arg)."""

    def mod(self, ctx, a, b):
        """Mod(a, b)."""

    def next_power_of_2(self, ctx, arg):
        """next_power_of_2(arg)."""

    def cdiv(self, ctx, a, b):
        """cdiv(a, b)."""


def evaluate(ctx, domain: Domain, e: sympy.Basic):
    """The value of `e` in `domain` under ctx's facts.

    Memoised per query and per domain; each node evaluated anew costs one step.
    One function with the rules called straight from it, so that a level of
    nesting costs few Python frames (budget.MAX_DEPTH counts on a few).
    """
    memo = ctx.memos[domain]
    got = memo.get(e, _MISSING)
    if got is not _MISSING:
        return got
    ctx.tick()
    got = op = None
    if e.is_Rational:
        got = domain.constant(int(e.p) if e.q == 1 else Fraction(int(e.p), int(e.q)))
    elif e.is_Symbol:
        value = ctx.resolve(e)
        got = domain.symbol(ctx, e) if value is None else evaluate(ctx, domain, value)
    elif e.is_Add:
        op, rest = domain.add, e.args
        got = None if op is None else domain.constant(0)
    elif e.is_Mul:
        op, rest = domain.mul, e.args
        got = None if op is None else domain.constant(1)
    elif e.is_Pow:
        got = domain.pow(ctx, *e.args)
    elif isinstance(e, sympy.floor):
        got = domain.floor(ctx, e.args[0])
    elif isinstance(e, sympy.ceiling):
        got = domain.ceiling(ctx, e.args[0])
    elif isinstance(e, sympy.Mod):
        got = domain.mod(ctx, *e.args)
    elif isinstance(e, (sympy.Min, sympy.Max)):
        op = domain.minimum if isinstance(e, sympy.Min) else domain.maximum
        if op is not None:
            got, rest = evaluate(ctx, domain, e.args[0]), e.args[1:]
    elif isinstance(e, next_power_of_2):
        got = domain.next_power_of_2(ctx, e.args[0])
    elif isinstance(e, cdiv):
        got = domain.cdiv(ctx, *e.args)
    if op is not None:
        for a in rest:
            if got is domain.absorbing:
                break
            got = op(ctx, got, evaluate(ctx, domain, a))
    if got is None:
        got = domain.unknown(e)
    got = domain.refine(ctx, e, got)
    memo[e] = got
    return got
