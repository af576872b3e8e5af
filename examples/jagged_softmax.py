"""Jagged softmax: each segment values[offsets[b]:offsets[b+1], :] gets a softmax over its rows, per column.

Two walks over each block of segments with `hl.jagged_tile(lengths)`: an online max and sum of
exponentials (rescaled as the max grows), then the normalized exponentials, stored back in the
values' layout. kopt masks each segment's lanes past its length, so the max and the sum see only
the rows that are there.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def jagged_softmax(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """values [total, d], offsets [num_rows + 1] (nondecreasing, from 0)."""
    _, d = values.size()
    num_rows = offsets.size(0) - 1
    out = torch.empty_like(values)
    for tile_b, tile_d in hl.tile([num_rows, d]):
        starts = offsets[tile_b]
        lengths = offsets[tile_b.index + 1] - starts
        row_max = hl.full([tile_b, tile_d], float("-inf"), dtype=torch.float32)
        row_sum = hl.zeros([tile_b, tile_d], dtype=torch.float32)
        for tile_k in hl.jagged_tile(lengths):
            x = values[starts[:, None] + tile_k.index[None, :], tile_d].to(torch.float32)
            new_max = torch.maximum(row_max, x.amax(1))
            row_sum = row_sum * torch.exp(row_max - new_max) + torch.exp(x - new_max[:, None, :]).sum(1)
            row_max = new_max
        for tile_k in hl.jagged_tile(lengths):
            rows = starts[:, None] + tile_k.index[None, :]
            x = values[rows, tile_d].to(torch.float32)
            out[rows, tile_d] = (torch.exp(x - row_max[:, None, :]) / row_sum[:, None, :]).to(out.dtype)
    return out


def reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    parts = [torch.softmax(values[offsets[b]:offsets[b + 1]].double(), 0) for b in range(offsets.numel() - 1)]
    return torch.cat(parts, 0).to(values.dtype) if parts else values.clone()


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    lengths[:3] = torch.tensor([0, 1, 90])  # an empty segment, a segment of one row, a long one
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    values = torch.randn(int(offsets[-1]), 70, device=device) - 4  # all negative: a 0 in a masked lane would win a max
    torch.testing.assert_close(jagged_softmax(values, offsets), reference(values, offsets), atol=1e-5, rtol=1e-4)
    print(f"jagged_softmax: matches torch on {lengths.numel()} segments of width {values.size(1)} ({device})")


if __name__ == "__main__":
    main()
