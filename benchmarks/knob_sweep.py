"""Which combinations of kopt's Hopper knobs pay on the shapes where kopt trails its peer most (issue 17): each
config fixed (`kopt.kernel(fn, config=...)`), checked against torch, timed beside cuBLAS / SDPA in one process.

The autotuner's space (kopt/runtime/dot_space.py) tries each knob alone on the default tiles; this times them
together and on other tiles (persistent programs x tensor descriptors x a warp-specialized k-loop x flattened
loops), so that the space can take the combinations that win.

Usage (GPU): python benchmarks/knob_sweep.py [--what matmul,attention] [--dtype fp16] [--out FILE.json]
Prints TFLOP/s (median of triton.testing.do_bench, L2 flushed) and each config's ratio to the library kernel.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

import kopt
from kopt.tools.bench.harness import cuda_timer as timed  # do_bench's median, L2 flushed
from tests.helpers import load_example

MATMUL_SHAPES = ["16384x4096x1024", "2048x2048x2048", "1024x1024x16384", "128x4096x4096", "16x4096x4096",
                 "2048x14336x4096"]
MATMUL_TILES = [(128, 256, 64, 8, 3), (128, 256, 64, 8, 4), (128, 128, 64, 8, 4), (128, 128, 64, 4, 4),
                (64, 128, 128, 4, 4), (64, 64, 128, 4, 5)]
MATMUL_KNOBS = [{}, {"pid_type": "persistent_interleaved"}, {"pid_type": "persistent_blocked"},
                {"indexing": "tensor_descriptor"}, {"range_warp_specializes": [True]},
                {"pid_type": "persistent_interleaved", "indexing": "tensor_descriptor"},
                {"indexing": "tensor_descriptor", "range_warp_specializes": [True]},
                {"pid_type": "persistent_interleaved", "range_flattens": [True]},
                {"pid_type": "persistent_interleaved", "indexing": "tensor_descriptor", "range_warp_specializes": [True]}]
ATTN_SHAPES = ["32x4096x128", "32x1024x128", "32x4096x64"]
ATTN_TILES = [(128, 64, 8, 3), (128, 64, 8, 2), (128, 64, 8, 4), (128, 128, 8, 2), (128, 128, 8, 3),
              (64, 64, 4, 3), (64, 128, 4, 3), (128, 32, 4, 3)]
ATTN_KNOBS = [{}, {"indexing": "tensor_descriptor"}, {"range_warp_specializes": [True]},
              {"indexing": "tensor_descriptor", "range_warp_specializes": [True]}]


def sweep(label, kernel_of, configs, shapes, make, reference, flops, rows):
    """Time every config on every shape (its output checked first); `rows` gets one dict per (shape, config)."""
    kernels = {}
    for cfg in configs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kernels[json.dumps(cfg, sort_keys=True)] = kernel_of(cfg)
    for shape in shapes:
        args = make(shape)
        want = reference(*args)
        base = timed(lambda: reference(*args))
        lib = flops(shape) / base / 1e9
        print(f"{label} {shape}: library {lib:.0f} TFLOP/s", flush=True)
        rows.append({"what": label, "shape": shape, "config": "library", "tflops": lib})
        results = []
        for key, kern in kernels.items():
            try:
                got = kern(*args)
                err = (got.float() - want.float()).abs().max().item()
                if not math.isfinite(err) or err > 0.05 * want.float().abs().max().item() + 1e-2:
                    results.append((0.0, key, f"WRONG {err:.3g}"))
                    continue
                ms = timed(lambda: kern(*args))
                results.append((flops(shape) / ms / 1e9, key, ""))
            except Exception as e:  # a config Triton cannot build here is reported, not fatal
                results.append((0.0, key, "failed: " + (str(e).strip().splitlines() or [type(e).__name__])[0][:90]))
        for rate, key, note in sorted(results, reverse=True):
            print(f"  {rate:7.1f} {rate / lib:5.2f}x  {key} {note}", flush=True)
            rows.append({"what": label, "shape": shape, "config": key, "tflops": rate, "note": note})


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--what", default="matmul,attention")
    p.add_argument("--matmul-shapes", default=",".join(MATMUL_SHAPES))
    p.add_argument("--dtype", default="fp16")
    p.add_argument("--out", default="knob_sweep.json")
    a = p.parse_args()
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    rows: list[dict] = []
    if "matmul" in a.what:
        fn = load_example("matmul").matmul.fn
        configs = [dict(block_sizes=list(t[:3]), num_warps=t[3], num_stages=t[4], **knobs)
                   for t, knobs in itertools.product(MATMUL_TILES, MATMUL_KNOBS)]

        def make(shape):
            m, n, k = (int(s) for s in shape.split("x"))
            return torch.randn(m, k, device="cuda", dtype=dtype), torch.randn(k, n, device="cuda", dtype=dtype)

        sweep("matmul", lambda c: kopt.kernel(fn, config=kopt.Config(**c)), configs, a.matmul_shapes.split(","), make,
              torch.matmul, lambda s: 2 * math.prod(int(v) for v in s.split("x")), rows)
    if "attention" in a.what:
        fn = load_example("attention").attention.fn
        configs = [dict(block_sizes=[1, t[0], t[1]], num_warps=t[2], num_stages=t[3], **knobs)
                   for t, knobs in itertools.product(ATTN_TILES, ATTN_KNOBS)]

        def make(shape):
            bh, s, d = (int(v) for v in shape.split("x"))
            return tuple(torch.randn(bh, s, d, device="cuda", dtype=dtype) for _ in range(3))

        def flops(shape):
            bh, s, d = (int(v) for v in shape.split("x"))
            return 4 * bh * s * s * d

        def sdpa(q, k, v):  # [bh, s, d] as one batch of bh heads: SDPA's 3-D inputs take its slow math path
            return F.scaled_dot_product_attention(q[None], k[None], v[None])[0]

        sweep("attention", lambda c: kopt.kernel(fn, config=kopt.Config(**c)), configs, ATTN_SHAPES, make, sdpa,
              flops, rows)
    Path(a.out).write_text(json.dumps(rows, indent=1))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
