"""LayerNorm over the last dim: `(x - mean) / sqrt(var + eps) * weight + bias`, statistics in fp32."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
    """torch.nn.functional.layer_norm(x, (n,), weight, bias, eps) for a 2-D x."""
    m, n = x.size()
    assert weight.size(0) == n and bias.size(0) == n  # one row length: weight and bias line up with x's rows
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(torch.float32)
        mean = row.mean(dim=1, keepdim=True)
        centered = row - mean
        var = (centered * centered).mean(dim=1, keepdim=True)  # biased, as layer_norm uses
        normed = centered * torch.rsqrt(var + eps)
        out[tile_m, :] = (normed * weight[:].to(torch.float32) + bias[:].to(torch.float32)).to(x.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(97, 1000, device=device)
    w, b = torch.randn(1000, device=device), torch.randn(1000, device=device)
    want = torch.nn.functional.layer_norm(x, (1000,), w, b, 1e-5)
    torch.testing.assert_close(layer_norm(x, w, b, 1e-5), want, atol=1e-4, rtol=1e-4)
    print(f"layer_norm: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
