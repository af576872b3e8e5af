"""Row sums of long rows: a sequential loop over column chunks with an fp32 accumulator."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def long_sum(x: torch.Tensor) -> torch.Tensor:
    """out[i] = sum_j x[i, j], streaming each row in chunks instead of holding it whole."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        acc = hl.zeros([tile_m], dtype=torch.float32)
        for tile_n in hl.tile(n):
            acc = acc + x[tile_m, tile_n].to(torch.float32).sum(-1)
        out[tile_m] = acc.to(x.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(7, 20000, device=device)
    torch.testing.assert_close(long_sum(x), x.sum(-1), atol=1e-3, rtol=1e-5)
    print(f"long_sum: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
