"""Evaluate a fixed-degree polynomial elementwise by Horner's rule, unrolled with hl.static_range."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def polyval(coeffs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """out = c0 + c1 x + c2 x^2 + c3 x^3 + c4 x^4 with coeffs [5]; the loop unrolls at compile time."""
    (n,) = x.size()
    out = torch.empty_like(x)
    for tile in hl.tile(n):
        v = x[tile].to(torch.float32)
        acc = hl.zeros([tile], dtype=torch.float32)
        for i in hl.static_range(5):
            acc = acc * v + coeffs[4 - i].to(torch.float32)
        out[tile] = acc
    return out


def reference(coeffs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    v = x.float()
    return sum(coeffs[i].float() * v ** i for i in range(5)).to(x.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    coeffs, x = torch.randn(5, device=device), torch.randn(1001, device=device)
    torch.testing.assert_close(polyval(coeffs, x), reference(coeffs, x), atol=1e-4, rtol=1e-5)
    print(f"polyval: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
