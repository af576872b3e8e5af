"""RMSNorm over the last dim: `x * rsqrt(mean(x^2) + eps) * weight`, statistics in fp32."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """torch.nn.functional.rms_norm(x, (n,), weight, eps) for a 2-D x."""
    m, n = x.size()
    assert weight.size(0) == n
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(torch.float32)
        inv_rms = torch.rsqrt((row * row).mean(dim=1, keepdim=True) + eps)
        out[tile_m, :] = (row * inv_rms * weight[:].to(torch.float32)).to(x.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, w = torch.randn(97, 1000, device=device), torch.randn(1000, device=device)
    want = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w
    torch.testing.assert_close(rms_norm(x, w, 1e-5), want, atol=1e-4, rtol=1e-4)
    print(f"rms_norm: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
