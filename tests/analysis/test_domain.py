"""The shared walk (kopt/analysis/domain.py) keeps each analysis' step costs:
one step per node evaluated anew, per domain; nothing for a memo hit; nothing
for children a rule does not read. The numbers are those of the separate walks
the evaluator replaced, so a change to them is a change of budget behaviour."""

from __future__ import annotations

import sympy

from kopt.analysis import FactBase, maximum, next_power_of_2, size_symbol
from kopt.analysis.budget import Budget
from kopt.analysis.context import Ctx
from kopt.analysis.intervals import bounds
from kopt.analysis.modsets import POW2, modular, pow2_kind
from kopt.analysis.poly import POLYS, poly

N, M = size_symbol("n"), size_symbol("m")


def steps(ctx, fn, e):
    """fn(ctx, e) and the steps it spent."""
    before = ctx.budget.used
    got = fn(ctx, e)
    return got, ctx.budget.used - before


def fresh() -> Ctx:
    return Ctx(FactBase(), Budget(10**6))


def test_one_step_per_new_node_per_domain():
    ctx, e = fresh(), N + 2 * M  # Add, n, Mul, 2, m
    assert steps(ctx, bounds, e) == ((3, float("inf")), 5)
    assert steps(ctx, bounds, e)[1] == 0  # memo hit
    assert steps(ctx, modular, e) == ((1, 0), 5)  # its own memo


def test_unread_children_cost_nothing():
    ctx = fresh()
    assert steps(ctx, pow2_kind, N + M) == (None, 1)  # a sum: no claim, children unread
    assert steps(ctx, pow2_kind, maximum(1, next_power_of_2(N))) == (POW2, 4)


def test_poly_product_stops_at_the_factor_that_overflows():
    xs = sympy.symbols("x0:10", integer=True, positive=True)
    ys = sympy.symbols("y0:10", integer=True, positive=True)
    ctx, last = fresh(), N + 1
    e = sympy.Mul(sum(xs), sum(ys), last, evaluate=False)
    got, spent = steps(ctx, poly, e)
    assert got == {frozenset([(e, 1)]): 1} and spent == 253  # 10*10 terms > MAX_TERMS: one atom
    assert sum(ys) in ctx.memos[POLYS] and last not in ctx.memos[POLYS]
