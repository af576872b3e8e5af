"""Why kopt's attention trails the hand-written Triton kernel (benchmarks/results/h100_2026-11-25c/attention_fp16.txt:
68 vs 274 TFLOP/s at bh 32, seq 1024, d 64): kopt's generated fp16 kernel as it is (3-D tiles [1, BM, D] around
2-D dots), and the same kernel written out by hand with the unit batch dim dropped (2-D tiles, the same masks but the batch one (the grid covers bh exactly),
casts and selects). An experiment, GPU only. Usage: python benchmarks/attention_variants.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

import kopt  # noqa: E402
from kopt.tools.bench import triton_attention  # noqa: E402
from tests.helpers import load_example  # noqa: E402


@triton.jit
def _squeezed(q, k, v, out, qk_scale, q_stride_0, q_stride_1, q_stride_2, k_stride_0, k_stride_1, k_stride_2,
              v_stride_0, v_stride_1, v_stride_2, out_stride_0, out_stride_1, out_stride_2, bh, m, d, n,
              _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr, _RDIM_SIZE_3: tl.constexpr,
              D_MASK: tl.constexpr, TRUNC: tl.constexpr):
    pid = tl.program_id(0)
    group_id = pid // (8 * (tl.cdiv(m, _BLOCK_SIZE_1)))
    first_row = group_id * 8
    group_rows = tl.minimum(bh - first_row, 8)
    in_group = pid % (8 * (tl.cdiv(m, _BLOCK_SIZE_1)))
    offset_0 = (first_row + in_group % group_rows).to(tl.int64)
    offset_1 = (in_group // group_rows).to(tl.int64) * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    mask_1 = indices_1 < m
    indices_3 = tl.arange(0, _RDIM_SIZE_3)
    mask_3 = (indices_3 < d) if D_MASK else indices_3 < _RDIM_SIZE_3
    m_i = tl.full([_BLOCK_SIZE_1], float('-inf'), tl.float32)
    l_i = tl.full([_BLOCK_SIZE_1], 0.0, tl.float32)
    acc = tl.full([_BLOCK_SIZE_1, _RDIM_SIZE_3], 0.0, tl.float32)
    q_blk = tl.load(q + offset_0 * q_stride_0 + indices_1[:, None] * q_stride_1 + indices_3[None, :] * q_stride_2,
                    mask_1[:, None] & mask_3[None, :], other=0.0)
    for offset_2 in tl.range(0, n, _BLOCK_SIZE_2):
        indices_2 = offset_2 + tl.arange(0, _BLOCK_SIZE_2)
        mask_2 = indices_2 < n
        k_blk = tl.load(k + offset_0 * k_stride_0 + indices_2[:, None] * k_stride_1 + indices_3[None, :] * k_stride_2,
                        mask_2[:, None] & mask_3[None, :], other=0.0)
        dot = tl.dot(q_blk, tl.trans(k_blk))
        if TRUNC:
            dot = dot.to(tl.float16).to(tl.float32)
        qk = dot * qk_scale
        masked = tl.where(mask_2[None, :], qk, float('-inf'))
        m_ij = tl.maximum(m_i, tl.max(masked, 1))
        p = tl.exp2(qk - m_ij[:, None])
        alpha = tl.exp2(m_i - m_ij)
        l_i = l_i * alpha + tl.sum(tl.where(mask_2[None, :], p, 0.0), 1)
        acc_1 = acc * alpha[:, None]
        load = tl.load(v + offset_0 * v_stride_0 + indices_2[:, None] * v_stride_1 + indices_3[None, :] * v_stride_2,
                       mask_2[:, None] & mask_3[None, :], other=0.0)
        acc = tl.dot(tl.where(mask_2[None, :], p.to(tl.float16), 0.0), load, acc_1)
        m_i = m_ij
    v_10 = acc * (1.0 / l_i[:, None])
    tl.store(out + offset_0 * out_stride_0 + indices_1[:, None] * out_stride_1 + indices_3[None, :] * out_stride_2,
             v_10.to(tl.float16), mask_1[:, None] & mask_3[None, :])


def squeezed(q, k, v, d_mask=True, trunc=True):
    bh, m, d = q.shape
    n = k.shape[1]
    out = torch.empty_like(q)
    rd = triton.next_power_of_2(d)
    bm, bn, warps, stages = (128, 128, 8, 3) if d <= 64 else (128, 64, 4, 3)
    _squeezed[(bh * triton.cdiv(m, bm),)](q, k, v, out, 1.44269504 / math.sqrt(d), *q.stride(), *k.stride(), *v.stride(),
                                         *out.stride(), bh, m, d, n, bm, bn, rd, d_mask, trunc, num_warps=warps,
                                         num_stages=stages)
    return out


def main() -> int:
    kern = kopt.kernel(load_example("attention").attention.fn, autotune=False)
    print(f"{'bh':>4} {'seq':>5} {'d':>4} {'kopt':>7} {'squeezed':>8} {'sq-nodmask':>10} {'sq-notrunc':>10} "
          f"{'triton':>7} {'sdpa':>7}   TFLOP/s fp16 {torch.cuda.get_device_name()}", flush=True)
    for bh, s, d in [(32, 1024, 64), (32, 4096, 64), (16, 4096, 128)]:
        q, k, v = (torch.randn(bh, s, d, device="cuda", dtype=torch.float16) for _ in range(3))
        calls = {"kopt": lambda: kern(q, k, v), "squeezed": lambda: squeezed(q, k, v),
                 "sq-nodmask": lambda: squeezed(q, k, v, d_mask=False),
                 "sq-notrunc": lambda: squeezed(q, k, v, trunc=False),
                 "triton": lambda: triton_attention.attention(q, k, v),
                 "sdpa": lambda: F.scaled_dot_product_attention(q[None], k[None], v[None])[0]}
        want = calls["sdpa"]()
        row = []
        for name, call in calls.items():
            torch.testing.assert_close(call(), want, atol=2e-2, rtol=2e-2)
            row.append(4 * bh * s * s * d / triton.testing.do_bench(call, warmup=25, rep=100) / 1e9)
        print(f"{bh:>4} {s:>5} {d:>4} " + " ".join(f"{x:>{w}.1f}" for x, w in zip(row, (7, 8, 10, 10, 7, 7))),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
