"""Row variance by Welford's algorithm, streaming each row in chunks (one pass over memory).

Each chunk's count, mean and squared deviations are merged into running ones with
Chan's parallel update, which stays accurate where `E[x^2] - E[x]^2` would cancel.
`chunk.size(1)` is the number of valid columns of the chunk (fewer in the last one);
lanes past the end of the row take no part in the chunk's sums.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def welford_var(x: torch.Tensor) -> torch.Tensor:
    """x.var(dim=1) (unbiased), accumulated in fp32."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        count = hl.zeros([tile_m], dtype=torch.float32)
        mean = hl.zeros([tile_m], dtype=torch.float32)
        m2 = hl.zeros([tile_m], dtype=torch.float32)
        for tile_n in hl.tile(n):
            chunk = x[tile_m, tile_n].to(torch.float32)
            c = chunk.size(1)
            chunk_mean = chunk.sum(dim=1) / c
            d = chunk - chunk_mean[:, None]
            chunk_m2 = (d * d).sum(dim=1)
            total = count + c
            delta = chunk_mean - mean
            mean = mean + delta * (c / total)
            m2 = m2 + chunk_m2 + delta * delta * (count * c / total)
            count = total
        out[tile_m] = (m2 / (count - 1)).to(x.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(97, 1000, device=device) * 3 + 100  # a large mean: naive formulas lose digits here
    torch.testing.assert_close(welford_var(x), x.var(dim=1), atol=1e-3, rtol=1e-4)
    print(f"welford_var: matches torch.var on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
