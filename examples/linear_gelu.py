"""A linear layer with a fused GELU epilogue: gelu(x @ w + b), torch's exact (erf) GELU."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def linear_gelu(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """gelu(x @ w + b) for x [m, k], w [k, n], b [n], with gelu(v) = v * (1 + erf(v / sqrt(2))) / 2."""
    m, k = x.size()
    k2, n = w.size()
    assert k == k2, f"size mismatch {k} != {k2}"
    out = torch.empty([m, n], dtype=torch.promote_types(x.dtype, w.dtype), device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], w[tile_k, tile_n])
        out[tile_m, tile_n] = torch.nn.functional.gelu(acc + b[tile_n])
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtypes = [torch.float32, torch.float16] + ([torch.bfloat16] if device == "cuda" else [])
    for dtype in dtypes:  # the CPU interpreter's bf16 tl.dot is wrong: bf16 is checked on the GPU only
        for m, k, n in [(17, 100, 129), (256, 512, 128)]:
            x = torch.randn(m, k, device=device, dtype=dtype)
            w = torch.randn(k, n, device=device, dtype=dtype)
            b = torch.randn(n, device=device, dtype=dtype)
            want = torch.nn.functional.gelu(x.float() @ w.float() + b.float()).to(dtype)
            tol = 1e-2 * k ** 0.5 if dtype != torch.float32 or device == "cuda" else 1e-4
            torch.testing.assert_close(linear_gelu(x, w, b), want, atol=tol, rtol=1e-2)
            print(f"linear_gelu: matches torch on {m}x{k} @ {k}x{n} {str(dtype).replace('torch.', '')} ({device})")


if __name__ == "__main__":
    main()
