"""Mean of each row of a 2-D tensor (an fp32 sum divided by the true row length)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def mean_rows(x: torch.Tensor) -> torch.Tensor:
    """x.mean(dim=1)."""
    m, _n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = x[tile_m, :].mean(dim=1)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(97, 1000, device=device)
    torch.testing.assert_close(mean_rows(x), x.mean(dim=1), atol=1e-5, rtol=1e-5)
    print(f"mean_rows: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
