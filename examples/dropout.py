"""Dropout with Helion's explicit seed: each element is kept with probability 1 - p and scaled by 1 / (1 - p).

`hl.rand([tile_m, tile_n], seed)` draws uniform values from Philox at each element's global index, so the mask
depends on the seed and the element only: the same seed gives the same mask whatever the block sizes.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def dropout(x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        keep = hl.rand([tile_m, tile_n], seed) >= p
        out[tile_m, tile_n] = torch.where(keep, x[tile_m, tile_n] / (1.0 - p), 0.0).to(out.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.ones(300, 257, device=device)
    y = dropout(x, 0.25, 1234)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.75) < 0.01, kept
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.75))
    assert torch.equal(y, dropout(x, 0.25, 1234)) and not torch.equal(y, dropout(x, 0.25, 1235))
    print(f"dropout: keeps {kept:.3f} of {x.numel()} elements at p = 0.25, the same mask for the same seed "
          f"(matches torch's scaling) ({device})")


if __name__ == "__main__":
    main()
