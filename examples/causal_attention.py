"""Causal attention forward with an online softmax that skips the blocks above the diagonal.

q, k, v are [batch * heads, seq, head_dim]; query i attends to keys 0..i. Each program owns a
block of query rows and reads only the key blocks at or below it, in two loops with bounds the
kernel computes: `hl.tile(0, tile_m.begin)`, the blocks wholly below the diagonal (no mask), then
`hl.tile(tile_m.begin, tile_m.end)`, the diagonal ones (masked). About half the key blocks of a long
sequence are never read, and only the diagonal ones pay for a mask.
The running max `m_i`, sum `l_i` and fp32 accumulator are rescaled by exp2(m_old - m_new) as the
max grows. benchmarks/causal_attention_masked.py is the same kernel looping over every key block
and masking, the baseline this one is measured against.
"""

from __future__ import annotations

import math

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(d) + causal mask) v, for m == n."""
    bh, m, d = q.size()
    _, n, d_k = k.size()
    assert d_k == d and v.size(1) == n and v.size(2) == d
    out = torch.empty_like(q)
    qk_scale = 1.44269504 / math.sqrt(d)  # 1/sqrt(d), in base 2 for exp2
    for tile_b, tile_m in hl.tile([bh, m]):
        m_i = hl.full([tile_b, tile_m], float("-inf"), dtype=torch.float32)
        l_i = hl.zeros([tile_b, tile_m], dtype=torch.float32)
        acc = hl.zeros([tile_b, tile_m, d], dtype=torch.float32)
        q_blk = q[tile_b, tile_m, :]
        # the key blocks wholly below this block of queries: every key is seen, no mask
        for tile_n in hl.tile(0, tile_m.begin):
            qk = hl.dot(q_blk, k[tile_b, tile_n, :].transpose(1, 2), out_dtype=torch.float32) * qk_scale
            m_ij = torch.maximum(m_i, torch.amax(qk, -1))
            p = torch.exp2(qk - m_ij[:, :, None])
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + torch.sum(p, -1)
            acc = torch.baddbmm(acc * alpha[:, :, None], p.to(v.dtype), v[tile_b, tile_n, :])
            m_i = m_ij
        # the blocks on the diagonal: query i sees keys up to i (the first holds key 0, so m_i is finite after it)
        for tile_n in hl.tile(tile_m.begin, tile_m.end):
            qk = hl.dot(q_blk, k[tile_b, tile_n, :].transpose(1, 2), out_dtype=torch.float32) * qk_scale
            qk = torch.where(tile_m.index[None, :, None] >= tile_n.index[None, None, :], qk, float("-inf"))
            m_ij = torch.maximum(m_i, torch.amax(qk, -1))
            p = torch.exp2(qk - m_ij[:, :, None])
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + torch.sum(p, -1)
            acc = torch.baddbmm(acc * alpha[:, :, None], p.to(v.dtype), v[tile_b, tile_n, :])
            m_i = m_ij
        out[tile_b, tile_m, :] = (acc / l_i[:, :, None]).to(out.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    q, k, v = (torch.randn(3, 70, 32, device=device) for _ in range(3))
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(causal_attention(q, k, v), ref, atol=1e-4, rtol=1e-4)
    print(f"causal_attention: matches scaled_dot_product_attention on {tuple(q.shape)} ({device})")


if __name__ == "__main__":
    main()
