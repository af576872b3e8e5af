"""The four matmul examples on CUDA against torch, in fp32, fp16 and bf16 (bf16 cannot be checked
on the CPU: the Triton interpreter's bf16 tl.dot is wrong). One line per case; exit code 1 on a failure.

Usage (on a GPU machine): python benchmarks/matmul_gpu_check.py

Reference: the product in fp32 (float64 for fp32 inputs), rounded to the output dtype. Tolerances:
fp32 inputs go through TF32 tensor cores (tl.dot's default, 10-bit mantissa): rtol 1e-2 and atol
1e-2 * sqrt(k) (k-term sums of O(1) products); fp16 and bf16 round the fp32 accumulator once:
within 2 ulps of the output dtype (rtol 2e-3 / 1.6e-2) plus the same atol for values near 0.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import triton

ROOT = Path(__file__).resolve().parent.parent
SIZES = [(1, 1, 1), (17, 100, 129), (129, 17, 1), (100, 129, 17), (1000, 999, 1001), (4096, 4096, 4096),
         (8192, 1024, 4096)]
RTOL = {torch.float32: 1e-2, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"ex_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def cases(dev: str):
    mm, bmm, mbr, lg = (load(n) for n in ("matmul", "bmm", "matmul_bias_relu", "linear_gelu"))
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        ref = torch.float64 if dtype == torch.float32 else torch.float32
        for m, k, n in SIZES:
            x = torch.randn(m, k, device=dev, dtype=dtype)
            w = torch.randn(k, n, device=dev, dtype=dtype) / k ** 0.5 * 4  # O(1) outputs at any k
            b = torch.randn(n, device=dev, dtype=dtype)
            prod = lambda x=x, w=w: x.to(ref) @ w.to(ref)  # noqa: E731
            yield "matmul", dtype, (m, k, n), lambda x=x, w=w: mm(x, w), lambda: prod().to(dtype)
            yield "matmul_bias_relu", dtype, (m, k, n), lambda x=x, w=w, b=b: mbr(x, w, b), \
                lambda prod=prod, b=b: torch.relu(prod() + b.to(ref)).to(dtype)
            yield "linear_gelu", dtype, (m, k, n), lambda x=x, w=w, b=b: lg(x, w, b), \
                lambda prod=prod, b=b: F.gelu(prod() + b.to(ref)).to(dtype)
        for bs, m, k, n in [(1, 1, 1, 1), (3, 17, 100, 129), (8, 512, 256, 384)]:
            x = torch.randn(bs, m, k, device=dev, dtype=dtype)
            y = torch.randn(bs, k, n, device=dev, dtype=dtype) / k ** 0.5 * 4
            yield "bmm", dtype, (bs, m, k, n), lambda x=x, y=y: bmm(x, y), \
                lambda x=x, y=y: torch.bmm(x.to(ref), y.to(ref)).to(dtype)
        xt = torch.randn(300, 257, device=dev, dtype=dtype)
        wt = torch.randn(129, 257, device=dev, dtype=dtype).t() / 4  # a column-major view, no copy
        yield "matmul(x, w.t())", dtype, (300, 257, 129), lambda xt=xt, wt=wt: mm(xt, wt), \
            lambda xt=xt, wt=wt: (xt.to(ref) @ wt.to(ref)).to(dtype)


def main() -> int:
    assert torch.cuda.is_available(), "needs a GPU"
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    torch.manual_seed(0)
    failures = total = 0
    for name, dtype, shape, got, want, in cases("cuda"):
        total += 1
        k = shape[-2]
        try:
            torch.testing.assert_close(got(), want(), rtol=RTOL[dtype], atol=1e-2 * max(1, k) ** 0.5 / 8)
            status = "ok"
        except Exception as e:  # report and continue: the sweep shows every case
            status = "FAIL: " + str(e).strip().splitlines()[0][:150]
            failures += 1
        print(f"{name:18s} {str(dtype).replace('torch.', ''):9s} {str(shape):22s} {status}", flush=True)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
