"""kopt's own fp16 softmax on rows where its chunked clone holds the tail as the block ending at the row's end
(`chunked_overlap`, kopt/passes/reduction_pieces.py), beside the device copy, checked against torch first; autotuning
off (the launch heuristic). A short check for a device call with little time left. GPU only.

Usage: KOPT_AUTOTUNE=0 python benchmarks/overlap_check.py [OUT.txt]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import kopt  # noqa: E402
from kopt.tools.bench.harness import cuda_timer  # noqa: E402
from tests.helpers import load_example  # noqa: E402

WIDTHS = (9344, 10112, 11392, 12160, 8832, 10240)


def main() -> None:
    out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
    sm = kopt.kernel(load_example("softmax").softmax.fn, autotune=False)
    for n in WIDTHS:
        x = torch.randn(4096, n, device="cuda", dtype=torch.float16)
        y = torch.empty_like(x)
        torch.testing.assert_close(sm(x).float(), torch.softmax(x.float(), 1), atol=2e-3, rtol=2e-2)
        gbs = lambda ms: 2 * x.numel() * 2 / ms / 1e6  # noqa: E731
        kopt_ms = cuda_timer(lambda: sm(x), warmup=5, rep=25)
        copy_ms = cuda_timer(lambda: y.copy_(x), warmup=5, rep=25)
        print(f"4096 x {n} fp16: kopt {gbs(kopt_ms):6.0f} GB/s  copy {gbs(copy_ms):6.0f}", file=out, flush=True)


if __name__ == "__main__":
    main()
