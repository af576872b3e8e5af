"""Batched matrix multiplication: out[b] = x[b] @ y[b], a 3-D grid over [batch, m, n] and a k-loop."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def bmm(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """[b, m, k] @ [b, k, n] -> [b, m, n], as torch.bmm; each program owns one batch's [m, n] tile."""
    b, m, k = x.size()
    b2, k2, n = y.size()
    assert b == b2 and k == k2, f"size mismatch {tuple(x.shape)} @ {tuple(y.shape)}"
    out = torch.empty([b, m, n], dtype=torch.promote_types(x.dtype, y.dtype), device=x.device)
    for tile_b, tile_m, tile_n in hl.tile([b, m, n]):
        acc = hl.zeros([tile_b, tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.baddbmm(acc, x[tile_b, tile_m, tile_k], y[tile_b, tile_k, tile_n])
        out[tile_b, tile_m, tile_n] = acc
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtypes = [torch.float32, torch.float16] + ([torch.bfloat16] if device == "cuda" else [])
    for dtype in dtypes:  # the CPU interpreter's bf16 tl.dot is wrong: bf16 is checked on the GPU only
        for b, m, k, n in [(3, 17, 100, 33), (2, 128, 64, 129)]:
            x = torch.randn(b, m, k, device=device, dtype=dtype)
            y = torch.randn(b, k, n, device=device, dtype=dtype)
            want = torch.bmm(x.float(), y.float()).to(dtype)
            tol = 1e-2 * k ** 0.5 if dtype != torch.float32 or device == "cuda" else 1e-4
            torch.testing.assert_close(bmm(x, y), want, atol=tol, rtol=1e-2)
            print(f"bmm: matches torch on {b}x{m}x{k} @ {b}x{k}x{n} {str(dtype).replace('torch.', '')} ({device})")


if __name__ == "__main__":
    main()
