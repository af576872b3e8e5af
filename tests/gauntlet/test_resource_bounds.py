"""User-sized input cannot exhaust kopt: a flat expression of 1000 terms compiles (the frontend's recursion limit
is raised for it; past that a RecursionError becomes a located error, though Python's own compiler refuses such
depth first), nested hl.static_range loops have a total unroll budget, and each compile stays
within the gauntlet's bound."""

from __future__ import annotations

import time

import pytest
import torch

from kopt.errors import KoptError
from tests.gauntlet.bounded import bounded
from tests.shapes.util import import_file, kernel_file


def _kernel(tmp_path, name: str, body: str):
    return getattr(import_file(kernel_file(tmp_path, name, body)), name)


def test_a_flat_sum_of_1000_terms_compiles_and_is_right(tmp_path):
    terms = " + ".join(f"x[t] * {i}.0" for i in range(1000))
    k = _kernel(tmp_path, "long_sum", f"""@kopt.kernel
def long_sum(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = {terms}
    return out
""")
    x = torch.randn(7)
    t0 = time.perf_counter()
    got = bounded(k, x)
    assert time.perf_counter() - t0 < 60
    torch.testing.assert_close(got, x * float(sum(range(1000))), rtol=1e-4, atol=1e-3)


def test_nested_static_ranges_have_a_total_unroll_budget(tmp_path):
    k = _kernel(tmp_path, "unrolled", """@kopt.kernel
def unrolled(x):
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        acc = x[t] * 0.0
        for i in hl.static_range(100):
            for j in hl.static_range(100):
                for m in hl.static_range(100):
                    acc = acc + x[t]
        out[t] = acc
    return out
""")
    t0 = time.perf_counter()
    with pytest.raises(KoptError) as info:
        bounded(k.compile, torch.randn(3))
    assert time.perf_counter() - t0 < 30, "the budget must stop the unroll early, not after it"
    e = info.value
    assert e.loc is not None and "static_range" in e.message and "4096" in e.message, e.format()


def test_nested_static_ranges_within_the_budget_unroll(tmp_path):
    k = _kernel(tmp_path, "small_unroll", """@kopt.kernel
def small_unroll(x):
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        acc = x[t] * 0.0
        for i in hl.static_range(4):
            for j in hl.static_range(3):
                acc = acc + x[t] * (i * 3 + j)
        out[t] = acc
    return out
""")
    x = torch.randn(5)
    torch.testing.assert_close(k(x), x * float(sum(range(12))))
