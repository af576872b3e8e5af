"""Kernel functions for the runtime tests, undecorated: each test wraps them with the options it checks."""

from __future__ import annotations

import torch

import kopt.language as hl


def softmax(x):
    n, _m = x.size()
    out = torch.empty_like(x)
    for tile_n in hl.tile(n):
        out[tile_n, :] = torch.softmax(x[tile_n, :], dim=1)
    return out


def scale_rows(x):
    """x * 2, row block by row block (a second kernel with its own cache entries)."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = x[tile_m, :] * 2.0
    return out


def axpy(alpha: float, x, y):
    """y += alpha * x in place: an accumulating kernel (its tuning must not leave y applied more than once)."""
    for tile in hl.tile(x.size(0)):
        y[tile] = y[tile] + alpha * x[tile]


def add_one(x, out):
    """out = x + 1 into a given output: an in-place kernel (the whole-call memo serves its repeat calls)."""
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile] + 1.0
