"""Elementwise ReLU over a 2-D tensor, tiled over both dims."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def relu(x: torch.Tensor) -> torch.Tensor:
    """out = max(x, 0)."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = torch.relu(x[tile_m, tile_n])
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(129, 65, device=device)
    torch.testing.assert_close(relu(x), torch.relu(x))
    print(f"relu: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
