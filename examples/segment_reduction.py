"""Segment reduction: out[g, :] = the sum of values[offsets[g]:offsets[g+1], :] (0 for an empty segment).

One program per segment and block of columns (`hl.grid` over the segments): its inner loop runs
from the segment's start to its end, bounds the kernel loads from `offsets` (`hl.tile(start, end)`),
so a program does the work its segment has and no more.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def segment_reduction(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """values [total, d], offsets [num_segments + 1] (nondecreasing, from 0, at most total)."""
    _, d = values.size()
    num_segments = offsets.size(0) - 1
    out = torch.empty([num_segments, d], dtype=values.dtype, device=values.device)
    for g in hl.grid(num_segments):
        start = offsets[g]
        end = offsets[g + 1]
        for tile_d in hl.tile(d):
            acc = hl.zeros([tile_d], dtype=torch.float32)
            for tile_t in hl.tile(start, end):
                acc = acc + values[tile_t, tile_d].to(torch.float32).sum(0)
            out[g, tile_d] = acc.to(out.dtype)
    return out


def reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    return torch.stack([values[offsets[g]:offsets[g + 1]].double().sum(0) for g in range(offsets.numel() - 1)]
                       ).to(values.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    lengths[:3] = torch.tensor([0, 1, 300])  # an empty segment, a segment of one row, a long one
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    values = torch.randn(int(offsets[-1]), 70, device=device)
    torch.testing.assert_close(segment_reduction(values, offsets), reference(values, offsets), atol=1e-4, rtol=1e-5)
    print(f"segment_reduction: matches torch on {lengths.numel()} segments of width {values.size(1)} ({device})")


if __name__ == "__main__":
    main()
