"""Jagged (segmented) row sums: row b of the result sums values[offsets[b]:offsets[b+1], :].

Each program takes a block of segments; an inner loop walks their rows in chunks of
up to `max_len`, gathering by `offsets` and masking rows past each segment's end.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def jagged_sum(values: torch.Tensor, offsets: torch.Tensor, max_len: int) -> torch.Tensor:
    """values [total, d], offsets [num_rows + 1] (increasing, from 0), max_len >= longest segment."""
    _, d = values.size()
    num_rows = offsets.size(0) - 1
    out = torch.empty([num_rows, d], dtype=values.dtype, device=values.device)
    for tile_b, tile_d in hl.tile([num_rows, d]):
        starts = offsets[tile_b]
        lengths = offsets[tile_b.index + 1] - starts
        acc = hl.zeros([tile_b, tile_d], dtype=torch.float32)
        for tile_k in hl.tile(max_len):
            rows = starts[:, None] + tile_k.index[None, :]
            inside = tile_k.index[None, :] < lengths[:, None]
            chunk = hl.load(values, [rows, tile_d], extra_mask=inside[:, :, None])
            acc = acc + chunk.to(torch.float32).sum(1)
        out[tile_b, tile_d] = acc
    return out


def reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    return torch.stack([values[offsets[b]:offsets[b + 1]].float().sum(0) for b in range(offsets.numel() - 1)]
                       ).to(values.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lengths = torch.randint(0, 40, (33,))
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)
    values = torch.randn(int(offsets[-1]), 70, device=device)
    got = jagged_sum(values, offsets, int(lengths.max()))
    torch.testing.assert_close(got, reference(values, offsets), atol=1e-4, rtol=1e-5)
    print(f"jagged_sum: matches torch on {lengths.numel()} segments of width {values.size(1)} ({device})")


if __name__ == "__main__":
    main()
