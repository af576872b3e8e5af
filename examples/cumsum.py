"""Row-wise cumulative sum: out[i, j] = x[i, 0] + ... + x[i, j] (`torch.cumsum(x, dim=1)`, `tl.cumsum`).

A row is held whole (a persistent block): a scan along it cannot be cut into independent chunks.
Halves accumulate in fp32, integers in int64, as torch does.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def cumsum(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.cumsum(x[tile_m, :], dim=1)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(65, 1000, device=device)
    torch.testing.assert_close(cumsum(x), torch.cumsum(x, 1), atol=1e-4, rtol=1e-4)
    print(f"cumsum: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
