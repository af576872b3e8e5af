"""Attention forward, fp16/bf16 on CUDA: kopt's corpus kernels (examples/attention.py, causal_attention.py)
against a hand-written Triton flash-attention kernel (kopt/tools/bench/triton_attention.py; causal, it skips
the key blocks above the diagonal, which kopt's example masks instead), torch's scaled_dot_product_attention
(its flash backend on an H100, given 4-D inputs) and the same math in eager torch (matmul, softmax, matmul).
TFLOP/s = 4 * bh * m * n * d / time (half of it when causal). Each result is checked against SDPA first.
Usage: python benchmarks/attention_bench.py [--dtype fp16|bf16] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import triton  # noqa: E402

import kopt  # noqa: E402
from kopt.tools.bench import triton_attention  # noqa: E402
from tests.helpers import load_example  # noqa: E402

SHAPES = [(32, 1024, 64), (32, 4096, 64), (16, 4096, 128), (64, 512, 64)]


def eager(q, k, v, causal):
    s = (q @ k.transpose(1, 2)).float() / math.sqrt(q.shape[-1])
    if causal:
        s = s.masked_fill(torch.ones(s.shape[-2:], dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return (torch.softmax(s, -1).to(q.dtype) @ v)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out")
    p.add_argument("--dtype", default="fp16")
    args = p.parse_args()
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    kernels = {False: kopt.kernel(load_example("attention").attention.fn, autotune=False),
               True: kopt.kernel(load_example("causal_attention").causal_attention.fn, autotune=False)}
    rows = []
    print(f"{'bh':>4} {'seq':>5} {'d':>4} {'causal':>6} {'kopt':>7} {'triton':>7} {'sdpa':>7} {'eager':>7}   TFLOP/s, {args.dtype}, "
          f"{torch.cuda.get_device_name()}", flush=True)
    for bh, s, d in SHAPES:
        for causal in (False, True):
            q, k, v = (torch.randn(bh, s, d, device="cuda", dtype=dtype) for _ in range(3))
            flops = 4 * bh * s * s * d / (2 if causal else 1)
            calls = {"kopt": lambda: kernels[causal](q, k, v),
                     "triton": lambda: triton_attention.attention(q, k, v, causal),
                     # 4-D [1, bh, s, d]: SDPA's flash backend takes (batch, heads, seq, dim); 3-D inputs
                     # fell back to its math kernel (12-15 TFLOP/s in the first run of this script)
                     "sdpa": lambda: F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0],
                     "eager": lambda: eager(q, k, v, causal)}
            want = calls["sdpa"]()
            row = {"bh": bh, "seq": s, "d": d, "causal": causal}
            for name, call in calls.items():
                torch.testing.assert_close(call(), want, atol=2e-2, rtol=2e-2)
                row[name] = flops / triton.testing.do_bench(call, warmup=25, rep=100) / 1e9
            rows.append(row)
            print(f"{bh:>4} {s:>5} {d:>4} {str(causal):>6} " + " ".join(f"{row[n]:>7.1f}" for n in calls), flush=True)
            if args.out:
                Path(args.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
