"""Kernels the tuning tests tune: `autotune=True`, so that CPU calls (the Triton interpreter) use tuned configs
as GPU calls do by default; `matmul_big` has a candidate that cannot build for sm_90 (its software pipeline
needs more shared memory than an H100 has)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl

TOO_BIG = kopt.Config(block_sizes=[64, 64, 64], num_stages=9)  # 8 stages of 32 KB in flight: over 227 KB


@kopt.kernel(autotune=True)
def softmax(x: torch.Tensor) -> torch.Tensor:
    n, _m = x.size()
    out = torch.empty_like(x)
    for tile_n in hl.tile(n):
        out[tile_n, :] = torch.softmax(x[tile_n, :], dim=1)
    return out


@kopt.kernel(autotune=True)
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(torch.float32)
        inv_rms = torch.rsqrt((row * row).mean(dim=1, keepdim=True) + eps)
        out[tile_m, :] = (row * inv_rms * weight[:].to(torch.float32)).to(x.dtype)
    return out


@kopt.kernel(autotune=True)
def matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=torch.promote_types(x.dtype, y.dtype), device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out


@kopt.kernel(autotune_space=[kopt.Config(block_sizes=[32, 32, 32]), TOO_BIG])
def matmul_big(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=torch.promote_types(x.dtype, y.dtype), device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out
