"""Softmax over dim 1 of a 2-D tensor, two ways: `torch.softmax` in the tile loop, and by hand."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def softmax(x: torch.Tensor) -> torch.Tensor:
    """Row softmax written with torch.softmax inside the tile loop."""
    n, _m = x.size()
    out = torch.empty_like(x)
    for tile_n in hl.tile(n):
        out[tile_n, :] = torch.softmax(x[tile_n, :], dim=1)
    return out


@kopt.kernel
def softmax_decomposed(x: torch.Tensor) -> torch.Tensor:
    """Row softmax written out: subtract the max, exponentiate, divide by the sum."""
    n, _m = x.size()
    out = torch.empty_like(x)
    for tile_n in hl.tile(n):
        values = x[tile_n, :]
        amax = torch.amax(values, dim=1, keepdim=True)
        exp = torch.exp(values - amax)
        sum_exp = torch.sum(exp, dim=1, keepdim=True)
        out[tile_n, :] = exp / sum_exp
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(257, 1000, device=device)
    for fn in (softmax, softmax_decomposed):
        torch.testing.assert_close(fn(x), torch.softmax(x, dim=1), atol=1e-5, rtol=1e-5)
        print(f"{fn.__name__}: matches torch.softmax on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
