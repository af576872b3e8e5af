"""Reductions and scans with your own combine function: `hl.reduce` and `hl.associative_scan`, as in Helion.

`row_argmax_combine`: x.argmax(dim=1) as a reduce of (value, index) pairs with a combine function that keeps the
larger value (the smaller index on a tie, as torch does), chunk by chunk along the row.
`suffix_max`: out[i, j] = max(x[i, j:]), a reverse scan with `torch.maximum` (a row is held whole: a scan
cannot be cut into independent chunks).

The combine functions become `@triton.jit` helpers and `tl.reduce` / `tl.associative_scan` calls
(`kopt examples/reduce_scan.py --emit=triton` shows them).
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


def argmax_combine(left, right):
    """(value, index) pairs: the larger value wins, the smaller index on a tie."""
    left_value, left_index = left
    right_value, right_index = right
    take_left = (left_value > right_value) | ((left_value == right_value) & (left_index < right_index))
    return torch.where(take_left, left_value, right_value), torch.where(take_left, left_index, right_index)


@kopt.kernel
def row_argmax_combine(x: torch.Tensor) -> torch.Tensor:
    """x.argmax(dim=1), an int64 tensor."""
    m, n = x.size()
    out = torch.empty([m], dtype=torch.int64, device=x.device)
    for tile_m in hl.tile(m):
        best = hl.full([tile_m], float("-inf"), dtype=torch.float32)
        best_index = hl.zeros([tile_m], dtype=torch.int64)
        for tile_n in hl.tile(n):
            values = x[tile_m, tile_n].to(torch.float32)
            # lanes past the row's end hold (-inf, 0): they win only a row of -inf, whose argmax is 0
            value, index = hl.reduce(argmax_combine, (values, tile_n.index.to(torch.int64)), dim=1,
                                     other=(float("-inf"), 0))
            better = value > best  # an earlier chunk keeps a tie
            best = torch.where(better, value, best)
            best_index = torch.where(better, index, best_index)
        out[tile_m] = best_index
    return out


@kopt.kernel
def suffix_max(x: torch.Tensor) -> torch.Tensor:
    """out[i, j] = max(x[i, j:])."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = hl.associative_scan(torch.maximum, x[tile_m, :], dim=1, reverse=True)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(65, 1000, device=device)
    torch.testing.assert_close(row_argmax_combine(x), x.argmax(dim=1))
    want = torch.flip(torch.cummax(torch.flip(x, [1]), dim=1).values, [1])
    torch.testing.assert_close(suffix_max(x), want)
    print(f"reduce_scan: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
