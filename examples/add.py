"""Elementwise addition of two same-shaped tensors (1-D or 2-D)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x + y, tile by tile over every dim of the output."""
    out = torch.empty_like(x)
    for tile in hl.tile(out.size()):
        out[tile] = x[tile] + y[tile]
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for shape in [(1000,), (97, 257)]:
        x, y = torch.randn(shape, device=device), torch.randn(shape, device=device)
        torch.testing.assert_close(add(x, y), x + y)
        print(f"add: matches torch on {shape} ({device})")


if __name__ == "__main__":
    main()
