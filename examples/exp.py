"""Elementwise exp of a tensor of any rank (Helion's exp example, with `import kopt`)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def exp(x: torch.Tensor) -> torch.Tensor:
    """out = exp(x); fp16/bf16 inputs are exponentiated in fp32 and rounded back."""
    out = torch.empty_like(x)
    for tile in hl.tile(x.size()):
        out[tile] = torch.exp(x[tile])
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(97, 257, device=device)
    torch.testing.assert_close(exp(x), torch.exp(x))
    print(f"exp: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
