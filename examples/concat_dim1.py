"""Concatenate two matrices along dim 1 in one kernel: each block loads from x or y under
an explicit mask (Helion's concatenate example: hl.load with extra_mask)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def concat_dim1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """out = torch.cat([x, y], dim=1) for x [m, n1], y [m, n2]."""
    out = torch.empty([x.size(0), x.size(1) + y.size(1)], dtype=x.dtype, device=x.device)
    for tile0, tile1 in hl.tile(out.size()):
        # tile1 spans both inputs, so each load is masked to the columns it owns
        cols = tile1.index
        in_x = (cols < x.size(1))[None, :]
        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)
        y_part = hl.load(y, [tile0, cols - x.size(1)], extra_mask=(cols >= x.size(1))[None, :])
        out[tile0, tile1] = torch.where(in_x, x_part, y_part)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, y = torch.randn(150, 40, device=device), torch.randn(150, 60, device=device)
    torch.testing.assert_close(concat_dim1(x, y), torch.cat([x, y], dim=1))
    print(f"concat_dim1: matches torch on {tuple(x.shape)} + {tuple(y.shape)} ({device})")


if __name__ == "__main__":
    main()
