"""Small reduction kernels for the tests (kopt reads a kernel's source, so they live in a file)."""

from __future__ import annotations

import torch

import kopt.language as hl


def row_stats(x: torch.Tensor) -> torch.Tensor:
    """Nine statistics of each row, one per output column."""
    m, n = x.size()
    out = torch.empty([m, 9], dtype=torch.float32, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(torch.float32)
        out[tile_m, 0] = row.sum(dim=1)
        out[tile_m, 1] = torch.mean(row, dim=1)
        out[tile_m, 2] = torch.amax(row, dim=1)
        out[tile_m, 3] = row.amin(1)
        out[tile_m, 4] = torch.var(row, dim=1)
        out[tile_m, 5] = row.var(dim=1, correction=0)
        out[tile_m, 6] = torch.std(row, 1)
        out[tile_m, 7] = torch.logsumexp(row, dim=1)
        out[tile_m, 8] = (row * 0.01 + 1.0).prod(dim=1)
    return out


def max_with_indices(x: torch.Tensor) -> torch.Tensor:
    """torch.max(x, dim) read three ways, torch.min's indices, argmin; as float columns."""
    m, n = x.size()
    out = torch.empty([m, 6], dtype=torch.float32, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :]
        values, indices = torch.max(row, dim=1)
        out[tile_m, 0] = values
        out[tile_m, 1] = indices.to(torch.float32)
        out[tile_m, 2] = row.max(1).values
        out[tile_m, 3] = torch.max(row, 1)[1].to(torch.float32)
        out[tile_m, 4] = torch.min(row, dim=1).indices.to(torch.float32)
        out[tile_m, 5] = torch.argmin(row, dim=1).to(torch.float32)
    return out


def keepdim_center(x: torch.Tensor) -> torch.Tensor:
    """x - mean(x, keepdim) + max(x, keepdim): reduced values broadcast back onto the row."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :]
        out[tile_m, :] = row - row.mean(dim=-1, keepdim=True) + torch.amax(row, dim=-1, keepdim=True)
    return out


def column_sum(x: torch.Tensor) -> torch.Tensor:
    """x.sum(0): a reduction over dim 0, the grid tiling columns."""
    m, n = x.size()
    out = torch.empty([n], dtype=x.dtype, device=x.device)
    for tile_n in hl.tile(n):
        out[tile_n] = x[:, tile_n].sum(0)
    return out


def column_stats(x: torch.Tensor) -> torch.Tensor:
    """mean, max and argmax over dim 0, keepdim, per column."""
    m, n = x.size()
    out = torch.empty([3, n], dtype=torch.float32, device=x.device)
    for tile_n in hl.tile(n):
        col = x[:, tile_n].to(torch.float32)
        out[0, tile_n] = col.mean(dim=0)
        out[1, tile_n] = torch.amax(col, dim=0)
        out[2, tile_n] = torch.argmax(col, dim=0).to(torch.float32)
    return out


def total_sum(x: torch.Tensor) -> torch.Tensor:
    """Every row's full sum via sum() with no dim on a 1-row tile."""
    m, n = x.size()
    out = torch.empty([m], dtype=torch.float32, device=x.device)
    for i in hl.grid(m):
        out[i] = x[i, :].to(torch.float32).sum()
    return out


def half_sum(x: torch.Tensor) -> torch.Tensor:
    """Row sums and means of a half tensor: computed in fp32, returned in x's dtype."""
    m, n = x.size()
    out = torch.empty([m, 2], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m, 0] = x[tile_m, :].sum(1)
        out[tile_m, 1] = x[tile_m, :].mean(1)
    return out


def softmax_in_place(x: torch.Tensor) -> torch.Tensor:
    """x[t, :] = softmax(x[t, :]): every phase reads x before the last one writes it, chunk by chunk."""
    m, n = x.size()
    for tile_m in hl.tile(m):
        x[tile_m, :] = torch.softmax(x[tile_m, :], dim=1)
    return x


def store_then_reduce(x: torch.Tensor) -> torch.Tensor:
    """Writes a row, then reads it back for a sum: a loop would read before writing, so it stays persistent."""
    m, n = x.size()
    out = torch.empty_like(x)
    sums = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m, :] = x[tile_m, :] * 2.0
        sums[tile_m] = out[tile_m, :].sum(1)
    return sums


def row_mean_broadcast(x: torch.Tensor) -> torch.Tensor:
    """out[t, :] = mean of the row, broadcast: a per-row value stored along the whole row."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = x[tile_m, :].mean(dim=1, keepdim=True)
    return out


def store_then_read_another(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A row stored before another row is read (two stores, a load between them): the overlapping tail's barrier
    would not put that load before the first store, so its chunked clone keeps the masked tail."""
    m, n = x.size()
    assert y.size(0) == m and y.size(1) == n  # (one row extent: both rows are the chunked clone's)
    centred, share = torch.empty_like(x), torch.empty_like(y)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(torch.float32)
        centred[tile_m, :] = (row - torch.amax(row, 1, keepdim=True)).to(x.dtype)
        other = y[tile_m, :].to(torch.float32)
        share[tile_m, :] = (other / torch.sum(other, 1, keepdim=True)).to(y.dtype)
    return centred, share


def column_softmax(x: torch.Tensor) -> torch.Tensor:
    """softmax over dim 0: the reduced dim leads, the tiles run along dim 1."""
    n, m = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[:, tile_m] = torch.softmax(x[:, tile_m].to(torch.float32), 0).to(out.dtype)
    return out
