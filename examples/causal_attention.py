"""Causal attention forward with an online softmax that skips the blocks above the diagonal.

q, k, v are [batch * heads, seq, head_dim]; query i attends to keys 0..i. Each program owns a
block of query rows; its key loop runs only to the end of that block (`hl.tile(0, tile_m.end)`,
a bound the kernel computes), so about half the key blocks of a long sequence are never read.
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
        for tile_n in hl.tile(0, tile_m.end):  # the key blocks at or below this block of queries
            k_blk = k[tile_b, tile_n, :]
            qk = torch.bmm(q_blk, k_blk.transpose(1, 2)).to(torch.float32) * qk_scale
            # the first key block holds key 0 for every query, so m_i is finite from then on
            qk = torch.where(tile_m.index[None, :, None] >= tile_n.index[None, None, :], qk, float("-inf"))
            m_ij = torch.maximum(m_i, torch.amax(qk, -1))
            p = torch.exp2(qk - m_ij[:, :, None])
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + torch.sum(p, -1)
            acc = acc * alpha[:, :, None]
            acc = torch.baddbmm(acc, p.to(v.dtype), v[tile_b, tile_n, :])
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
