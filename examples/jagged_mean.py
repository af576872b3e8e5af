"""Jagged mean: row b of the result is the mean of values[offsets[b]:offsets[b+1], :] (0 for an empty segment).

As jagged_sum, with a division by each segment's length: `hl.jagged_tile(lengths)` walks the
rows of a block of segments up to the longest, each segment's lanes masked past its length.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def jagged_mean(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """values [total, d], offsets [num_rows + 1] (nondecreasing, from 0)."""
    _, d = values.size()
    num_rows = offsets.size(0) - 1
    out = torch.empty([num_rows, d], dtype=values.dtype, device=values.device)
    for tile_b, tile_d in hl.tile([num_rows, d]):
        starts = offsets[tile_b]
        lengths = offsets[tile_b.index + 1] - starts
        acc = hl.zeros([tile_b, tile_d], dtype=torch.float32)
        for tile_k in hl.jagged_tile(lengths):
            rows = starts[:, None] + tile_k.index[None, :]
            acc = acc + values[rows, tile_d].to(torch.float32).sum(1)
        count = lengths.to(torch.float32)[:, None]
        out[tile_b, tile_d] = torch.where(count > 0, acc / count, 0.0)
    return out


def reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    rows = [values[offsets[b]:offsets[b + 1]].double() for b in range(offsets.numel() - 1)]
    return torch.stack([r.mean(0) if len(r) else r.new_zeros(values.size(1)) for r in rows]).to(values.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    lengths[:3] = torch.tensor([0, 1, 90])  # an empty segment, a segment of one row, a long one
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    values = torch.randn(int(offsets[-1]), 70, device=device)
    torch.testing.assert_close(jagged_mean(values, offsets), reference(values, offsets), atol=1e-5, rtol=1e-5)
    print(f"jagged_mean: matches torch on {lengths.numel()} segments of width {values.size(1)} ({device})")


if __name__ == "__main__":
    main()
