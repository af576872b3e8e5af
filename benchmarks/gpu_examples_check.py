"""Run every example kernel on CUDA tensors against torch eager and print one line per case.

Usage (on a GPU machine): python benchmarks/gpu_examples_check.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch
import triton

ROOT = Path(__file__).resolve().parent.parent


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"ex_{name}", ROOT / "examples" / f"{name}.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def main() -> int:
    assert torch.cuda.is_available(), "needs a GPU"
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    dev = "cuda"
    sm, add, rs = load("softmax"), load("add"), load("row_sum")
    failures = 0
    shapes2 = [(1, 1), (7, 97), (97, 257), (257, 1000), (1000, 7), (4096, 1024), (4096, 4097), (3, 12672)]
    cases = []
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        tol = dict(atol=1e-5, rtol=1e-5) if dtype == torch.float32 else dict(atol=2e-2, rtol=2e-2)
        for shape in shapes2:
            x = torch.randn(*shape, device=dev, dtype=dtype)
            cases.append(("softmax", dtype, shape, lambda x=x: sm.softmax(x), lambda x=x: torch.softmax(x.float(), 1).to(x.dtype), tol))
            cases.append(("softmax_decomposed", dtype, shape, lambda x=x: sm.softmax_decomposed(x), lambda x=x: torch.softmax(x.float(), 1).to(x.dtype), tol))
            sum_tol = dict(atol=1e-3 * max(1, shape[1] ** 0.5), rtol=1e-4) if dtype == torch.float32 else dict(atol=0.1 * max(1, shape[1] ** 0.5), rtol=2e-2)
            cases.append(("row_sum", dtype, shape, lambda x=x: rs.row_sum(x), lambda x=x: x.float().sum(-1).to(x.dtype), sum_tol))
            y = torch.randn(*shape, device=dev, dtype=dtype)
            cases.append(("add", dtype, shape, lambda x=x, y=y: add.add(x, y), lambda x=x, y=y: x + y, tol))
        x1 = torch.randn(1_000_003, device=dev, dtype=dtype)
        y1 = torch.randn(1_000_003, device=dev, dtype=dtype)
        cases.append(("add", dtype, (1_000_003,), lambda: add.add(x1, y1), lambda: x1 + y1, tol))
    xt = torch.randn(1000, 257, device=dev).t()
    cases.append(("softmax(transposed view)", torch.float32, tuple(xt.shape), lambda: sm.softmax(xt), lambda: torch.softmax(xt, 1), dict(atol=1e-5, rtol=1e-5)))
    for name, dtype, shape, got, want, tol in cases:
        try:
            torch.testing.assert_close(got(), want(), **tol)
            status = "ok"
        except Exception as e:  # report and continue: the sweep shows every case
            status = "FAIL: " + str(e).splitlines()[0][:120]
            failures += 1
        print(f"{name:26s} {str(dtype).replace('torch.', ''):9s} {str(shape):16s} {status}")
    for fn in (sm.softmax, sm.softmax_decomposed, rs.row_sum, add.add):
        print(f"cache_info {fn.__name__}: {fn.cache_info()}")
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
