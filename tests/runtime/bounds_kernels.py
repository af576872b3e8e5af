"""Kernels whose tile loops run over one tensor's size and subscript another (kopt reads their source)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def add_over_y(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    n = y.size(0)
    out = torch.empty_like(y)
    for tile in hl.tile(n):
        out[tile] = x[tile] + y[tile]
    return out


@kopt.kernel
def add_over_y_asserted(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    n = y.size(0)
    assert x.size(0) == n
    out = torch.empty_like(y)
    for tile in hl.tile(n):
        out[tile] = x[tile] + y[tile]
    return out


@kopt.kernel
def rows_of_longer_x(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Reads the first y.size(0) rows of x: fine whenever x has at least that many."""
    m, n = y.size()
    out = torch.empty_like(y)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = x[tile_m, tile_n] * 2.0 + y[tile_m, tile_n]
    return out
