"""Jagged layer norm: each segment values[offsets[b]:offsets[b+1], :] is normalized over all its elements.

A program takes a block of segments and walks them three times (`hl.jagged_tile(lengths)` over
their rows, `hl.tile(d)` over the columns): the mean, the variance about it, then the normalized
values, stored back in the values' layout. kopt masks each segment's lanes past its length.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def jagged_layer_norm(values: torch.Tensor, offsets: torch.Tensor, eps: float) -> torch.Tensor:
    """values [total, d], offsets [num_rows + 1] (nondecreasing, from 0)."""
    _, d = values.size()
    num_rows = offsets.size(0) - 1
    out = torch.empty_like(values)
    for tile_b in hl.tile(num_rows):
        starts = offsets[tile_b]
        lengths = offsets[tile_b.index + 1] - starts
        count = (lengths * d).to(torch.float32)
        total = hl.zeros([tile_b], dtype=torch.float32)
        for tile_d in hl.tile(d):
            for tile_k in hl.jagged_tile(lengths):
                x = values[starts[:, None] + tile_k.index[None, :], tile_d].to(torch.float32)
                total = total + x.sum(2).sum(1)
        mean = total / torch.clamp(count, min=1.0)
        squares = hl.zeros([tile_b], dtype=torch.float32)
        for tile_d in hl.tile(d):
            for tile_k in hl.jagged_tile(lengths):
                x = values[starts[:, None] + tile_k.index[None, :], tile_d].to(torch.float32)
                centered = x - mean[:, None, None]
                squares = squares + (centered * centered).sum(2).sum(1)
        rstd = torch.rsqrt(squares / torch.clamp(count, min=1.0) + eps)
        for tile_d in hl.tile(d):
            for tile_k in hl.jagged_tile(lengths):
                rows = starts[:, None] + tile_k.index[None, :]
                x = values[rows, tile_d].to(torch.float32)
                out[rows, tile_d] = ((x - mean[:, None, None]) * rstd[:, None, None]).to(out.dtype)
    return out


def reference(values: torch.Tensor, offsets: torch.Tensor, eps: float) -> torch.Tensor:
    parts = [values[offsets[b]:offsets[b + 1]].double() for b in range(offsets.numel() - 1)]
    normed = [torch.nn.functional.layer_norm(p, p.shape, eps=eps) for p in parts if p.numel()]
    return torch.cat(normed, 0).to(values.dtype) if normed else values.clone()


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    lengths[:3] = torch.tensor([0, 1, 90])  # an empty segment, a segment of one row, a long one
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    values = torch.randn(int(offsets[-1]), 70, device=device) * 3 + 1
    got = jagged_layer_norm(values, offsets, 1e-5)
    torch.testing.assert_close(got, reference(values, offsets, 1e-5), atol=1e-4, rtol=1e-4)
    print(f"jagged_layer_norm: matches torch on {lengths.numel()} segments of width {values.size(1)} ({device})")


if __name__ == "__main__":
    main()
