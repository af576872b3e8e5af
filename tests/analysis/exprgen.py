"""Shared pieces for the analysis tests: a random expression grammar whose
divisors stay positive, and concrete environments that satisfy the facts."""

from __future__ import annotations

import random

import sympy

from kopt.analysis import FactBase, cdiv, floordiv, maximum, minimum, mod, next_power_of_2, size_symbol

N, M, K = size_symbol("n"), size_symbol("m"), size_symbol("k")
B = size_symbol("_BLOCK_SIZE_0")
R = size_symbol("_RDIM_SIZE_1")
SYMS = (N, M, K, B, R)


def positive_expr(rng: random.Random, depth: int) -> sympy.Expr:
    """An expression that is >= 1 for every positive environment."""
    if depth <= 0 or rng.random() < 0.35:
        return rng.choice([*SYMS, sympy.Integer(rng.choice([1, 2, 3, 4, 8, 16, 12]))])
    a, b = positive_expr(rng, depth - 1), positive_expr(rng, depth - 1)
    return rng.choice(
        [
            lambda: a + b,
            lambda: a * b,
            lambda: maximum(a, b),
            lambda: minimum(a, b),
            lambda: next_power_of_2(a),
            lambda: cdiv(a, b),
            lambda: maximum(1, floordiv(a, b)),
        ]
    )()


def any_expr(rng: random.Random, depth: int) -> sympy.Expr:
    """Any integer expression (divisors positive)."""
    if depth <= 0 or rng.random() < 0.3:
        return rng.choice([*SYMS, sympy.Integer(rng.randint(-5, 20))])
    a, b = any_expr(rng, depth - 1), any_expr(rng, depth - 1)
    d = positive_expr(rng, depth - 1)
    return rng.choice(
        [
            lambda: a + b,
            lambda: a - b,
            lambda: a * b,
            lambda: floordiv(a, d),
            lambda: mod(a, d),
            lambda: minimum(a, b),
            lambda: maximum(a, b),
            lambda: cdiv(a, d),
            lambda: rng.randint(1, 4) * a,
        ]
    )()


def random_facts(rng: random.Random) -> tuple[FactBase, dict]:
    """Facts of the kinds a compile states, and a recipe to draw environments."""
    fb = FactBase()
    fb.assume_power_of_two(B)
    fb.assume_next_power_of_2(R, N)
    spec = {"n_mult": 1, "n_off": 0, "b_hi": 256, "n_val": None, "b_val": None, "m_lo": 1, "m_hi": 300, "k_le_n": False}
    if rng.random() < 0.5:
        spec["n_mult"] = rng.choice([2, 8, 16, 128])
        spec["n_off"] = rng.choice([0, 0, 1, spec["n_mult"] // 2])
        fb.assume_congruent(N, spec["n_mult"], spec["n_off"])
    if rng.random() < 0.5:
        spec["b_hi"] = rng.choice([1, 8, 64, 128])
        fb.assume_bounds(B, hi=spec["b_hi"])
    if rng.random() < 0.2:
        spec["n_val"] = spec["n_mult"] * rng.randint(1, 40) + spec["n_off"]
        fb.assume_eq(N, spec["n_val"])
    if rng.random() < 0.2:
        spec["k_le_n"] = True
        fb.assume_text("k <= n")
    if rng.random() < 0.2:
        spec["b_val"] = rng.choice([p for p in (1, 2, 4, 8, 16, 32, 64, 128) if p <= spec["b_hi"]])
        fb.assume_eq(B, spec["b_val"])
    if rng.random() < 0.3:
        spec["m_lo"], spec["m_hi"] = 16, 64
        fb.assume_bounds(M, 16, 64)
    return fb, spec


def draw_env(rng: random.Random, spec: dict) -> dict:
    n = spec["n_val"] or spec["n_off"] + spec["n_mult"] * rng.choice([1, 2, 3, 5, 7, 8, 16, 31, 64, rng.randint(1, 100)])
    b = spec["b_val"] or rng.choice([p for p in (1, 2, 4, 8, 16, 32, 64, 128, 256) if p <= spec["b_hi"]])
    r = 1 << (n - 1).bit_length()
    m = rng.choice([spec["m_lo"], spec["m_hi"], rng.randint(spec["m_lo"], spec["m_hi"])])
    k = rng.choice([1, 2, 3, 4, 1024, rng.randint(1, 50)])
    if spec["k_le_n"]:
        k = rng.choice([1, n, rng.randint(1, n)])
    return {N: n, M: m, K: k, B: b, R: r}


def value(expr: sympy.Expr, env: dict) -> int:
    got = sympy.sympify(expr).xreplace({s: sympy.Integer(v) for s, v in env.items()})
    assert got.is_Integer, f"{expr} did not evaluate: {got}"
    return int(got)
