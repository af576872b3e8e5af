"""Kernels over hl.grid (one program per index) and 3-D tile grids (used by test_tiling.py)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def scale_rows(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """out[i, :] = x[i, :] * s[i]: `i` is a scalar, so `x[i, :]` is 1-D and `s[i]` a scalar."""
    m, n = x.size()
    out = torch.empty_like(x)
    for i in hl.grid(m):
        out[i, :] = x[i, :] * s[i]
    return out


@kopt.kernel
def row_dot(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A sequential hl.grid inside: one element per iteration."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for i in hl.grid(m):
        acc = hl.zeros([1], dtype=torch.float32)
        for j in hl.grid(n):
            acc = acc + x[i, j] * y[j]
        out[i] = acc.sum()
    return out


@kopt.kernel
def grid_2d(x: torch.Tensor) -> torch.Tensor:
    """hl.grid over two dims, and the index used as a value: out[i, j] = x[i, j] + 2 * i + j."""
    m, n = x.size()
    out = torch.empty_like(x)
    for i, j in hl.grid([m, n]):
        out[i, j] = x[i, j] + 2 * i + j
    return out


@kopt.kernel
def grid_range(x: torch.Tensor, begin: int) -> torch.Tensor:
    """hl.grid(begin, end): rows from `begin` on; the first rows stay zero."""
    m, n = x.size()
    out = torch.zeros_like(x)
    for i in hl.grid(begin, m):
        out[i, :] = -x[i, :]
    return out


@kopt.kernel
def add3(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A 3-D grid from `out.size()`."""
    out = torch.empty_like(x)
    for tile in hl.tile(out.size()):
        out[tile] = x[tile] + y[tile]
    return out


@kopt.kernel
def batch_scale(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """A 3-D grid named per dim, with a batch-indexed scale."""
    b, m, n = x.size()
    out = torch.empty_like(x)
    for tile_b, tile_m, tile_n in hl.tile([b, m, n], block_size=[1, 16, None]):
        out[tile_b, tile_m, tile_n] = x[tile_b, tile_m, tile_n] * s[tile_b, None, None]
    return out
