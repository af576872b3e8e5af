"""Time kopt's matmul under a few fixed tile configs beside its launch heuristic, its autotuner's pick
(kopt/runtime/dot_space.py), cuBLAS (torch.matmul) and the hand-written Triton peer: the evidence
behind the dot defaults in kopt/launch/dot_tiles.py.

Usage (GPU): python benchmarks/matmul_tile_sweep.py [--shapes 4096x4096x4096,...] [--dtype fp16,bf16]
Prints TFLOP/s (median of triton.testing.do_bench, L2 flushed between calls) per implementation.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import torch
import triton
import triton.testing

import kopt
from kopt.launch.dot_tiles import dot_tiles
from kopt.tools.bench.triton_matmul import matmul as triton_matmul

ROOT = Path(__file__).resolve().parent.parent
# (block_m, block_n, block_k, num_warps, num_stages, l2 group)
CONFIGS = [(128, 256, 64, 8, 3, 8), (128, 256, 64, 8, 4, 8), (256, 128, 64, 8, 3, 8), (128, 128, 64, 8, 4, 8),
           (128, 128, 64, 4, 4, 8), (128, 256, 64, 8, 3, 1), (128, 128, 128, 8, 3, 8)]


def example_fn():
    spec = importlib.util.spec_from_file_location("ex_matmul", ROOT / "examples" / "matmul.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.matmul.fn


def tflops(fn, m, n, k) -> float:
    ms = triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")
    return 2 * m * n * k / (ms * 1e-3) / 1e12


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shapes", default="4096x4096x4096,8192x8192x8192,2048x2048x2048")
    p.add_argument("--dtype", default="fp16,bf16")
    a = p.parse_args()
    fn = example_fn()
    default = kopt.kernel(fn, autotune=False)
    tuned = kopt.kernel(fn, autotune=True)
    fixed = {c: kopt.kernel(fn, config=kopt.Config(block_sizes=list(c[:3]), num_warps=c[3], num_stages=c[4],
                                                   l2_groupings=[c[5]])) for c in CONFIGS}
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    for dname in a.dtype.split(","):
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[dname]
        for shape in a.shapes.split(","):
            m, n, k = (int(s) for s in shape.split("x"))
            x, y = torch.randn(m, k, device="cuda", dtype=dtype), torch.randn(k, n, device="cuda", dtype=dtype)
            heuristic = dot_tiles((m, n, k), ("m", "n", "k"), elem_bytes=x.element_size(), gpu=True)
            rows = [("cuBLAS (torch.matmul)", lambda: torch.matmul(x, y)),
                    ("triton peer (autotuned)", lambda: triton_matmul(x, y)),
                    (f"kopt heuristic {heuristic}", lambda: default(x, y)),
                    ("kopt autotuned", lambda: tuned(x, y))]
            rows += [(f"kopt {c}", lambda f=f: f(x, y)) for c, f in fixed.items()]
            base = None
            for label, run in rows:
                try:
                    run()  # compile (and tune) outside the timing
                    rate = tflops(run, m, n, k)
                except Exception as e:  # a config that cannot run here (shared memory, ...) is reported
                    print(f"{dname} {shape:16s} {label:44s} failed: {str(e).splitlines()[0][:80]}")
                    continue
                base = base or rate
                print(f"{dname} {shape:16s} {label:44s} {rate:7.1f} TFLOP/s  {rate / base:5.2f}x cuBLAS", flush=True)


if __name__ == "__main__":
    main()
