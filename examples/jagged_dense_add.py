"""Jagged + dense add: out[b, j] = y[b, j] + x_values[x_offsets[b] + j] for j below segment b's length, else y[b, j].

The jagged operand is a flat buffer of segments: the gather `hl.load(x_values, [rows],
extra_mask=...)` reads a segment's elements only where its length says they exist (the others
read 0); the dense operand and the result are [num_rows, n].
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def jagged_dense_add(x_values: torch.Tensor, x_offsets: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x_values [total], x_offsets [num_rows + 1] (nondecreasing, from 0), y [num_rows, n]."""
    num_rows, n = y.size()
    out = torch.empty_like(y)
    for tile_b, tile_n in hl.tile([num_rows, n]):
        starts = x_offsets[tile_b]
        lengths = x_offsets[tile_b.index + 1] - starts
        rows = starts[:, None] + tile_n.index[None, :]
        x = hl.load(x_values, [rows], extra_mask=tile_n.index[None, :] < lengths[:, None])
        out[tile_b, tile_n] = y[tile_b, tile_n] + x
    return out


def reference(x_values: torch.Tensor, x_offsets: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = y.clone()
    for b in range(x_offsets.numel() - 1):
        seg = x_values[x_offsets[b]:x_offsets[b + 1]][: y.size(1)]
        out[b, : seg.numel()] += seg
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    lengths[:3] = torch.tensor([0, 1, 90])  # an empty segment, one of one element, one longer than a row of y
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    x_values = torch.randn(int(offsets[-1]), device=device)
    y = torch.randn(33, 50, device=device)
    torch.testing.assert_close(jagged_dense_add(x_values, offsets, y), reference(x_values, offsets, y))
    print(f"jagged_dense_add: matches torch on {lengths.numel()} segments, y of shape {tuple(y.shape)} ({device})")


if __name__ == "__main__":
    main()
