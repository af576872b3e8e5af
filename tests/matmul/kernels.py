"""Small kernels exercising every way to write a contraction (used by test_contractions.py)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def aug_matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc += x[tile_m, tile_k] @ y[tile_k, tile_n]
        out[tile_m, tile_n] = acc
    return out


@kopt.kernel
def hl_dot_acc(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = hl.dot(x[tile_m, tile_k], y[tile_k, tile_n], acc=acc)
        out[tile_m, tile_n] = acc
    return out


@kopt.kernel
def spelled_products(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Every product spelling summed: 4 * (x @ y) + 0.5 * (x @ y) * 2 (addmm's alpha) ..."""
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            a = x[tile_m, tile_k]
            b = y[tile_k, tile_n]
            acc = acc + torch.matmul(a, b) + torch.mm(a, b) + a.mm(b) + a.matmul(b)
            acc = acc + hl.dot(a, b, out_dtype=torch.float32)
            acc = torch.addmm(acc, a, b, beta=1.0, alpha=2.0)
        out[tile_m, tile_n] = acc
    return out


@kopt.kernel
def transposed_operand(x: torch.Tensor, yt: torch.Tensor) -> torch.Tensor:
    """x @ yt.T with yt of shape [n, k]: `.T`, `.t()`, `.transpose(0, 1)` and `.permute(1, 0)` of a loaded tile."""
    m, k = x.size()
    n, k2 = yt.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            w = yt[tile_n, tile_k]
            a = x[tile_m, tile_k]
            acc = acc + a @ w.T + a @ w.t() + a @ w.transpose(0, 1) + a @ w.permute(1, 0)
        out[tile_m, tile_n] = acc
    return out


@kopt.kernel
def bmm_transposed(x: torch.Tensor, yt: torch.Tensor) -> torch.Tensor:
    """x @ yt.mT for 3-D tiles, batched: `.mT` and `.transpose(1, 2)`, through torch.bmm."""
    b, m, k = x.size()
    b2, n, k2 = yt.size()
    out = torch.empty([b, m, n], dtype=x.dtype, device=x.device)
    for tile_b, tile_m, tile_n in hl.tile([b, m, n]):
        acc = hl.zeros([tile_b, tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            w = yt[tile_b, tile_n, tile_k]
            acc = acc + torch.bmm(x[tile_b, tile_m, tile_k], w.mT) + x[tile_b, tile_m, tile_k].bmm(w.transpose(1, 2))
        out[tile_b, tile_m, tile_n] = acc
    return out


@kopt.kernel
def whole_k(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """No k-loop: each program multiplies whole rows by whole columns (K in one block); the assert
    is the fact that makes x's k and y's k2 one contraction dim."""
    m, k = x.size()
    k2, n = y.size()
    assert k == k2
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = x[tile_m, :] @ y[:, tile_n]
    return out


@kopt.kernel
def scaled_epilogue(x: torch.Tensor, y: torch.Tensor, scale: float) -> torch.Tensor:
    """silu(scale * (x @ y)) cast to fp16: scaling, activation and a cast after the loop."""
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=torch.float16, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = torch.nn.functional.silu(acc * scale).to(torch.float16)
    return out


@kopt.kernel
def shared_block_size(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`hl.register_block_size` shares one block between m and n; k has an explicit block of 32."""
    m, k = x.size()
    k2, n = y.size()
    bs = hl.register_block_size(m)
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n], block_size=[bs, bs]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k, block_size=32):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out


@kopt.kernel
def transformed_operands(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Operands that are not plain loads: past k's end they would be exp(0) = 1 and 1 / 0 = inf, so
    masking fills them with 0 before the dot (inf * 0 would be NaN)."""
    m, k = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = acc + torch.exp(x[tile_m, tile_k]) @ (1.0 / y[tile_k, tile_n])
        out[tile_m, tile_n] = acc
    return out
