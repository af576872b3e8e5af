"""Which tiles attention's 2-D kernel wants on an H100: kopt's attention with configs (block_sizes [1, BM, BN]
— the batch block of 1 is what batch-to-grid makes anyway —, warps, stages) against its default choice and
the hand-written Triton kernel (128 x 64, 4 warps below head dim 128, 8 at 128). An experiment, GPU only.
Usage: python benchmarks/attention_tiles.py
"""

from __future__ import annotations

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

TILES = [(128, 64, 4, 3), (128, 64, 8, 3), (128, 128, 8, 3), (128, 128, 4, 3), (64, 64, 4, 3), (128, 64, 4, 4),
         (128, 32, 4, 3)]


def main() -> int:
    fns = {False: load_example("attention").attention.fn, True: load_example("causal_attention").causal_attention.fn}
    default = {c: kopt.kernel(f, autotune=False) for c, f in fns.items()}
    head = " ".join(f"{f'{bm}x{bn}w{w}s{s}':>12}" for bm, bn, w, s in TILES)
    print(f"{'bh':>4} {'seq':>5} {'d':>4} {'causal':>6} {'default':>8} {head} {'triton':>7}   TFLOP/s fp16 "
          f"{torch.cuda.get_device_name()}", flush=True)
    for bh, s, d in [(32, 1024, 64), (32, 4096, 64), (16, 4096, 128)]:
        for causal in (False, True):
            q, k, v = (torch.randn(bh, s, d, device="cuda", dtype=torch.float16) for _ in range(3))
            want = F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0]
            flops = 4 * bh * s * s * d / (2 if causal else 1)
            calls = [lambda: default[causal](q, k, v)]
            for bm, bn, w, st in TILES:
                kk = kopt.kernel(fns[causal], config=kopt.Config(block_sizes=[1, bm, bn], num_warps=w, num_stages=st))
                calls.append(lambda kk=kk: kk(q, k, v))
            calls.append(lambda: triton_attention.attention(q, k, v, causal))
            row = []
            for call in calls:
                try:
                    torch.testing.assert_close(call(), want, atol=2e-2, rtol=2e-2)
                    row.append(flops / triton.testing.do_bench(call, warmup=25, rep=100) / 1e9)
                except Exception as e:  # noqa: BLE001 - a config that does not fit: say so, go on
                    print(f"  {type(e).__name__}: {str(e).splitlines()[0][:120]}", flush=True)
                    row.append(float("nan"))
            print(f"{bh:>4} {s:>5} {d:>4} {str(causal):>6} {row[0]:>8.1f} "
                  + " ".join(f"{x:>12.1f}" for x in row[1:-1]) + f" {row[-1]:>7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
