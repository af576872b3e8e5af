"""Sum each row of a 2-D tensor into a 1-D result."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def row_sum(x: torch.Tensor) -> torch.Tensor:
    """out[i] = sum_j x[i, j]."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = x[tile_m, :].sum(-1)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(97, 1000, device=device)
    torch.testing.assert_close(row_sum(x), x.sum(-1), atol=1e-4, rtol=1e-5)
    print(f"row_sum: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
