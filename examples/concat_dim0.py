"""Concatenate two matrices along dim 0 with two device loops: the second covers rows
[m1, m1 + m2) of the output through `hl.tile(begin, end)`."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def concat_dim0(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """out = torch.cat([x, y], dim=0) for x [m1, n], y [m2, n]."""
    m1, n = x.size()
    m2, _ = y.size()
    out = torch.empty([m1 + m2, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m1, n]):
        out[tile_m, tile_n] = x[tile_m, tile_n]
    for tile_m in hl.tile(m1, m1 + m2):
        for tile_n in hl.tile(n):
            # tile_m covers output rows; the same rows of y start at 0
            out[tile_m, tile_n] = y[tile_m.index - m1, tile_n]
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, y = torch.randn(37, 300, device=device), torch.randn(90, 300, device=device)
    torch.testing.assert_close(concat_dim0(x, y), torch.cat([x, y], dim=0))
    print(f"concat_dim0: matches torch on {tuple(x.shape)} + {tuple(y.shape)} ({device})")


if __name__ == "__main__":
    main()
