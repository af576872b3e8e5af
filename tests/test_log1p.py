"""torch.log1p inside a tile loop keeps its accuracy near 0, where log(1 + x) loses the digits of x."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def log1p_kernel(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = torch.log1p(x[tile])
    return out


def test_log1p_is_accurate_near_zero_and_at_the_edges():
    small = torch.tensor([1e-10, -1e-10, 3e-8, -3e-8, 1e-7, 1e-5, -1e-5, 1e-3], dtype=torch.float32)
    edges = torch.tensor([0.0, -0.0, -1.0, float("inf"), 5.0, 1e30, -0.5, 0.75], dtype=torch.float32)
    x = torch.cat([small, edges])
    got, want = log1p_kernel(x), torch.log1p(x)
    torch.testing.assert_close(got, want, rtol=2e-7, atol=0.0)  # relative: log(1 + 1e-7) alone is 19 % off
    assert torch.isnan(log1p_kernel(torch.tensor([-2.0, float("nan")]))).all()


def test_log1p_on_awkward_shapes_and_half_precision():
    for n in (1, 7, 97, 1025):
        x = torch.rand(n) * 4 - 0.9
        torch.testing.assert_close(log1p_kernel(x), torch.log1p(x), rtol=1e-6, atol=1e-7)
    h = (torch.rand(257) * 2).half()
    torch.testing.assert_close(log1p_kernel(h), torch.log1p(h.float()).half(), rtol=1e-3, atol=1e-3)
