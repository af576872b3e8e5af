"""fp8 GEMM with per-tensor scales: out = (a @ b) * scale_a * scale_b in bf16, a and b in float8_e4m3fn.

The product runs on fp8 operands and accumulates in fp32 (`hl.dot` of fp8 tiles: Hopper's fp8 tensor-core
form); the scales are one-element tensors, as `torch._scaled_mm` takes them. On the CPU the Triton
interpreter computes it, with its own rounding of the fp8 products (tests allow for it).
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def fp8_gemm(a: torch.Tensor, b: torch.Tensor, scale_a: torch.Tensor, scale_b: torch.Tensor) -> torch.Tensor:
    """a [m, k] and b [k, n] in fp8, scale_a and scale_b [1] in fp32 -> [m, n] bf16."""
    m, k = a.size()
    _, n = b.size()
    out = torch.empty([m, n], dtype=torch.bfloat16, device=a.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = hl.dot(a[tile_m, tile_k], b[tile_k, tile_n], acc=acc)
        out[tile_m, tile_n] = (acc * (scale_a[0] * scale_b[0])).to(torch.bfloat16)
    return out


def reference(a: torch.Tensor, b: torch.Tensor, scale_a: torch.Tensor, scale_b: torch.Tensor) -> torch.Tensor:
    return (a.float() @ b.float() * (scale_a * scale_b)).to(torch.bfloat16)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a = torch.randn(100, 256, device=device).to(torch.float8_e4m3fn)
    b = torch.randn(256, 72, device=device).to(torch.float8_e4m3fn)
    sa, sb = torch.tensor([0.5], device=device), torch.tensor([0.25], device=device)
    torch.testing.assert_close(fp8_gemm(a, b, sa, sb).float(), reference(a, b, sa, sb).float(), atol=0.1, rtol=2e-2)
    print(f"fp8_gemm: matches torch on {tuple(a.shape)} x {tuple(b.shape)} ({device})")


if __name__ == "__main__":
    main()
