"""Index of the largest element of each row (the first one on ties, as torch.argmax)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def argmax_rows(x: torch.Tensor) -> torch.Tensor:
    """x.argmax(dim=1), an int64 tensor."""
    m, _n = x.size()
    out = torch.empty([m], dtype=torch.int64, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = torch.argmax(x[tile_m, :], dim=1)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(97, 1000, device=device)
    torch.testing.assert_close(argmax_rows(x), x.argmax(dim=1))
    print(f"argmax_rows: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
