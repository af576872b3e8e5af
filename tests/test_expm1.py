"""torch.expm1 inside a tile loop (the op docs/adding-an-op.md adds): accurate near 0, where exp(x) - 1
loses the digits of x, right at the edges, and on awkward shapes and in half precision."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def expm1_kernel(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = torch.expm1(x[tile])
    return out


@kopt.kernel
def expm1_method(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile].expm1() + torch.special.expm1(x[tile])
    return out


def test_expm1_is_accurate_near_zero_and_at_the_edges():
    small = torch.tensor([1e-10, -1e-10, 3e-8, -3e-8, 1e-7, 1e-5, -1e-5, 1e-3], dtype=torch.float32)
    edges = torch.tensor([0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), 20.0, -30.0, 88.0], dtype=torch.float32)
    x = torch.cat([small, edges])
    got, want = expm1_kernel(x), torch.expm1(x)
    torch.testing.assert_close(got, want, rtol=2e-7, atol=0.0)  # relative: exp(1e-7) - 1 alone is 19 % off
    assert torch.isnan(expm1_kernel(torch.tensor([float("nan")]))).all()


def test_expm1_on_awkward_shapes_half_precision_and_integers():
    for n in (1, 7, 97, 1025):
        x = torch.randn(n) * 3
        torch.testing.assert_close(expm1_kernel(x), torch.expm1(x), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(expm1_method(x), 2 * torch.expm1(x), rtol=1e-6, atol=1e-7)
    h = torch.randn(257).half()
    torch.testing.assert_close(expm1_kernel(h), torch.expm1(h.float()).half(), rtol=1e-3, atol=1e-3)
    i = torch.arange(-5, 6, dtype=torch.int32)  # torch computes it in floating point: so does kopt
    torch.testing.assert_close(expm1_method(i.float()), 2 * torch.expm1(i.float()))
