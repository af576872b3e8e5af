"""Matrix multiplication: out = x @ y, tiled over [m, n] with a sequential k-loop and an fp32 accumulator."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """[m, k] @ [k, n] -> [m, n]; fp16/bf16 inputs accumulate in fp32 and round once on the store."""
    m, k = x.size()
    k2, n = y.size()
    assert k == k2, f"size mismatch {k} != {k2}"
    out = torch.empty([m, n], dtype=torch.promote_types(x.dtype, y.dtype), device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtypes = [torch.float32, torch.float16] + ([torch.bfloat16] if device == "cuda" else [])
    for dtype in dtypes:  # the CPU interpreter's bf16 tl.dot is wrong: bf16 is checked on the GPU only
        for m, k, n in [(17, 100, 129), (256, 512, 128)]:
            x = torch.randn(m, k, device=device, dtype=dtype)
            y = torch.randn(k, n, device=device, dtype=dtype)
            want = (x.float() @ y.float()).to(dtype)
            tol = 1e-2 * k ** 0.5 if dtype != torch.float32 or device == "cuda" else 1e-4
            torch.testing.assert_close(matmul(x, y), want, atol=tol, rtol=1e-2)
            print(f"matmul: matches torch on {m}x{k} @ {k}x{n} {str(dtype).replace('torch.', '')} ({device})")


if __name__ == "__main__":
    main()
