"""A hand-written Triton attention forward: the peer kopt's attention kernels are measured against.

The usual flash-attention form: one program per (block of query rows, batch*head), 2-D tiles throughout,
an online softmax in base 2, and, when causal, a key loop that stops at the block's last query row (the
blocks above the diagonal are never read). q, k, v, out are [bh, seq, d] with unit stride in d; d is a
power of two of at least 16 (a `tl.dot` operand dim).
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl


@triton.jit
def _attention_fwd(q, k, v, o, sq_b, sq_m, sk_b, sk_n, sv_b, sv_n, so_b, so_m, M, N, scale_log2,
                   D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, CAUSAL: tl.constexpr):
    pid_m = tl.program_id(0)
    b = tl.program_id(1).to(tl.int64)
    rows = pid_m * BM + tl.arange(0, BM)
    dims = tl.arange(0, D)
    q_blk = tl.load(q + b * sq_b + rows[:, None] * sq_m + dims[None, :], mask=rows[:, None] < M, other=0.0)
    m_i = tl.full([BM], float("-inf"), tl.float32)
    l_i = tl.zeros([BM], tl.float32)
    acc = tl.zeros([BM, D], tl.float32)
    stop = tl.minimum(N, (pid_m + 1) * BM) if CAUSAL else N
    for start in range(0, stop, BN):
        cols = start + tl.arange(0, BN)
        k_blk = tl.load(k + b * sk_b + cols[:, None] * sk_n + dims[None, :], mask=cols[:, None] < N, other=0.0)
        s = tl.dot(q_blk, tl.trans(k_blk)) * scale_log2
        keep = cols[None, :] < N
        if CAUSAL:
            keep = keep & (cols[None, :] <= rows[:, None])
        s = tl.where(keep, s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        p = tl.exp2(s - m_new[:, None])
        alpha = tl.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, 1)
        v_blk = tl.load(v + b * sv_b + cols[:, None] * sv_n + dims[None, :], mask=cols[:, None] < N, other=0.0)
        acc = tl.dot(p.to(v_blk.dtype), v_blk, acc * alpha[:, None])
        m_i = m_new
    out = acc * (1.0 / l_i)[:, None]
    tl.store(o + b * so_b + rows[:, None] * so_m + dims[None, :], out.to(o.dtype.element_ty), mask=rows[:, None] < M)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False) -> torch.Tensor:
    bh, m, d = q.shape
    n = k.shape[1]
    assert d >= 16 and d & (d - 1) == 0 and q.stride(2) == k.stride(2) == v.stride(2) == 1
    out = torch.empty_like(q)
    bm, bn = 128, 64
    grid = (triton.cdiv(m, bm), bh)
    _attention_fwd[grid](q, k, v, out, q.stride(0), q.stride(1), k.stride(0), k.stride(1), v.stride(0), v.stride(1),
                         out.stride(0), out.stride(1), m, n, 1.4426950408889634 / math.sqrt(d), D=d, BM=bm, BN=bn,
                         CAUSAL=causal, num_warps=8 if d >= 128 else 4, num_stages=3)
    return out
