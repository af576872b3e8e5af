"""Elementwise SiLU (x * sigmoid(x)) of a 1-D tensor, computed in fp32."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def silu(x: torch.Tensor) -> torch.Tensor:
    """out = silu(x), upcast to fp32 for the math as Helion's activations do."""
    (n,) = x.size()
    out = torch.empty_like(x)
    for tile in hl.tile(n):
        out[tile] = torch.nn.functional.silu(x[tile].to(torch.float32))
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(10007, device=device)
    torch.testing.assert_close(silu(x), torch.nn.functional.silu(x))
    print(f"silu: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
