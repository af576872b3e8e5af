"""Dynamic by default: one compile per kernel serves every layout, through symbolic strides."""

from __future__ import annotations

import pytest
import torch

import kopt
from tests.helpers import load_example
from tests.shapes.views import LAYOUTS_1D, LAYOUTS_2D, check_views, view_1d, view_2d

SHAPES = [(1, 1), (7, 97), (33, 257), (130, 3)]


def fresh(module: str, name: str):
    """A new kernel object for an example function, so its cache counts only this test's compiles."""
    return kopt.kernel(getattr(load_example(module), name).fn)


def _tol(m: int) -> dict:
    return dict(atol=1e-4 if m > 256 else 2e-5, rtol=1e-5)


@pytest.mark.parametrize("name, ref", [
    ("softmax", lambda x: torch.softmax(x, dim=1)),
    ("softmax_decomposed", lambda x: torch.softmax(x, dim=1)),
])
def test_softmax_every_layout(name, ref):
    fn = fresh("softmax", name)
    for layout in LAYOUTS_2D:
        for n, m in SHAPES:
            x = view_2d(n, m, layout)
            check_views(x, layout)
            torch.testing.assert_close(fn(x), ref(x), **_tol(m), msg=lambda s: f"{layout} {(n, m)}: {s}")
    assert fn.cache_info().currsize == 1


@pytest.mark.parametrize("module, name", [("row_sum", "row_sum"), ("long_sum", "long_sum")])
def test_row_sums_every_layout(module, name):
    fn = fresh(module, name)
    for layout in LAYOUTS_2D:
        for n, m in SHAPES:
            x = view_2d(n, m, layout)
            torch.testing.assert_close(fn(x), x.sum(-1), **_tol(m), msg=lambda s: f"{layout} {(n, m)}: {s}")
    assert fn.cache_info().currsize == 1


def test_add_every_pair_of_layouts():
    fn = fresh("add", "add")
    for lx in LAYOUTS_2D:
        for ly in ("contiguous", "transposed", "expand_rows", "expand_cols"):
            for n, m in [(1, 1), (7, 97), (65, 33)]:
                x, y = view_2d(n, m, lx), view_2d(n, m, ly)
                torch.testing.assert_close(fn(x, y), x + y, msg=lambda s: f"{lx}+{ly} {(n, m)}: {s}")
    for lx in LAYOUTS_1D:
        for ly in LAYOUTS_1D:
            for n in (1, 7, 1025):
                x, y = view_1d(n, lx), view_1d(n, ly)
                torch.testing.assert_close(fn(x, y), x + y, msg=lambda s: f"{lx}+{ly} {n}: {s}")
    assert fn.cache_info().currsize == 2  # one per rank
