"""A matmul that takes its epilogue as a function: `matmul_epilogue(x, y, lambda acc, tile: ...)`.

The function is inlined where the kernel calls it (on the fp32 accumulator, with the output tile), compiled
in and keyed by its code: a new lambda with the same code reuses the compile. Tensors it captures (a bias)
become kernel arguments, read from it at every call.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def matmul_epilogue(x: torch.Tensor, y: torch.Tensor, epilogue=lambda acc, tile: acc) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.promote_types(x.dtype, y.dtype), device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = epilogue(acc, (tile_m, tile_n)).to(out.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, y, bias = (torch.randn(100, 64, device=device), torch.randn(64, 72, device=device),
                  torch.randn(72, device=device))
    got = matmul_epilogue(x, y, lambda acc, tile: torch.relu(acc + bias[tile[1]]))
    torch.testing.assert_close(got, torch.relu(x @ y + bias), atol=1e-3, rtol=1e-3)
    print(f"matmul_epilogue: matches torch.relu(x @ y + bias) on {tuple(x.shape)} x {tuple(y.shape)} ({device})")


if __name__ == "__main__":
    main()
