"""Elementwise exact (erf) GELU of a 2-D tensor, with the fp32 upcast written out."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def gelu(x: torch.Tensor) -> torch.Tensor:
    """out = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))."""
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile(out.size()):
        v = x[tile_m, tile_n].to(torch.float32)
        out[tile_m, tile_n] = 0.5 * v * (1.0 + torch.erf(v * 0.7071067811865476))
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(257, 97, device=device)
    torch.testing.assert_close(gelu(x), torch.nn.functional.gelu(x), atol=1e-5, rtol=1e-5)
    print(f"gelu: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
