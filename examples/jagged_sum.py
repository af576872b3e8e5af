"""Jagged (segmented) row sums: row b of the result sums values[offsets[b]:offsets[b+1], :].

Each program takes a block of segments and a block of columns; `hl.jagged_tile(lengths)`
walks the segments' rows up to the longest one, and kopt masks each segment's lanes past
its own length (in the gather and in the sum).
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def jagged_sum(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
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
        out[tile_b, tile_d] = acc
    return out


def reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    return torch.stack([values[offsets[b]:offsets[b + 1]].float().sum(0) for b in range(offsets.numel() - 1)]
                       ).to(values.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    lengths[:3] = torch.tensor([0, 1, 90])  # an empty segment, a segment of one row, a long one
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    values = torch.randn(int(offsets[-1]), 70, device=device)
    torch.testing.assert_close(jagged_sum(values, offsets), reference(values, offsets), atol=1e-4, rtol=1e-5)
    print(f"jagged_sum: matches torch on {lengths.numel()} segments of width {values.size(1)} ({device})")


if __name__ == "__main__":
    main()
