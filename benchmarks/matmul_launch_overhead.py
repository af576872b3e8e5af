"""Host-side cost of one call (microseconds), on a problem too small for the GPU to matter: kopt's
@kopt.kernel call path, its generated launcher called directly, the Triton peer and torch.matmul.
Small matmuls are bound by this, not by the kernel: read matmul TFLOP/s below ~2048^3 with it in mind.

Usage (GPU): python benchmarks/matmul_launch_overhead.py
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import torch

from kopt.tools.bench.triton_matmul import matmul as triton_matmul

ROOT = Path(__file__).resolve().parent.parent


def per_call_us(fn, n: int = 2000) -> float:
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    spec = importlib.util.spec_from_file_location("ex_matmul", ROOT / "examples" / "matmul.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mm = module.matmul
    x = torch.randn(64, 64, device="cuda", dtype=torch.float16)
    y = torch.randn(64, 64, device="cuda", dtype=torch.float16)
    launcher = mm.compile(x, y).launcher
    for label, fn in [("torch.matmul", lambda: torch.matmul(x, y)), ("triton peer", lambda: triton_matmul(x, y)),
                      ("kopt generated launcher", lambda: launcher(x, y)), ("kopt @kernel call", lambda: mm(x, y))]:
        print(f"{label:26s} {per_call_us(fn):8.1f} us per call", flush=True)


if __name__ == "__main__":
    main()
