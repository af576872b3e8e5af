"""Sweep the launch choices of kopt's softmax kernels on the GPU: where persistent stops paying,
and which chunk, rows per program and warps the online kernel wants (what heuristics.py encodes).

For each shape it times the persistent kernel and the online kernel under several launch
choices (calling the generated @triton.jit kernels directly), the default launcher, the
hand-written Triton peer and a device copy of the same bytes. GB/s = 2 * M * N * elem / time.

Usage: python benchmarks/reduction_sweep.py [--dtype fp32,fp16] [--set tb|long|all] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402

import kopt  # noqa: E402
from kopt.tools.bench import triton_rows  # noqa: E402
from tests.helpers import load_example  # noqa: E402

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
TB = [(4096, 128 * i) for i in (2, 9, 16, 23, 30, 37, 44, 51, 58, 65, 72, 79, 86, 93, 99)]
LONG = [(32768, 16384), (32768, 32768), (32768, 65536), (16384, 131072), (8192, 262144)]


def bench(fn) -> float:
    return triton.testing.do_bench(fn, warmup=10, rep=40)


def kernels():
    fn = load_example("softmax").softmax.fn
    x = torch.randn(8, 256, device="cuda")
    pers = kopt.kernel(fn, config=kopt.Config(reduction="persistent")).compile(x).launcher.__globals__
    onl = {rb: kopt.kernel(fn, config=kopt.Config(reduction="online", reduction_block=rb)).compile(x)
           .launcher.__globals__ for rb in (4096, 8192)}
    return pers["_softmax_kernel"], {rb: g["_softmax_kernel"] for rb, g in onl.items()}, kopt.kernel(fn)


def launch(k, x, y, bm, block_name, block, warps, stages=None):
    m, n = x.shape
    named = {"x": x, "out": y, "x_stride_0": x.stride(0), "x_stride_1": x.stride(1), "out_stride_0": y.stride(0),
             "out_stride_1": y.stride(1), "n": m, "_m": n, "_BLOCK_SIZE_0": bm, block_name: block}
    args = [named[a] for a in k.arg_names]
    extra = {"num_stages": stages} if stages else {}
    return lambda: k[(triton.cdiv(m, bm),)](*args, num_warps=warps, **extra)


def sweep_shape(shape, dtype, pers, onl, auto) -> dict:
    m, n = shape
    x = torch.randn(m, n, device="cuda", dtype=dtype)
    y = torch.empty_like(x)
    gbs = lambda ms: 2 * m * n * x.element_size() / ms / 1e6  # noqa: E731
    row = {"shape": f"{m}x{n}", "copy": gbs(bench(lambda: y.copy_(x))), "auto": gbs(bench(lambda: auto(x)))}
    row["triton"] = gbs(bench(lambda: triton_rows.softmax(x)))
    rd = triton.next_power_of_2(n)
    bm0 = min(16, max(1, 8192 // rd))  # the launcher's default rows per program
    if rd <= 65536:
        for bm, w in itertools.product((bm0,), (16, 32) if rd >= 16384 else (4, 8, 16)):
            try:
                row[f"P bm{bm} w{w}"] = gbs(bench(launch(pers, x, y, bm, "_RDIM_SIZE_1", rd, w)))
            except Exception as e:  # out of resources
                row[f"P bm{bm} w{w}"] = f"fail {type(e).__name__}"
    if n >= 8192:  # the online kernel: long rows, and the fp16 8K-13K rows padded to 16384 when persistent
        for rb, w, st in itertools.product(onl, (8, 16, 32), (1, None)):
            row[f"O rb{rb} w{w} s{st or 'd'}"] = gbs(bench(launch(onl[rb], x, y, 1, "_REDUCTION_BLOCK_1", rb, w, st)))
    best = max(((k, v) for k, v in row.items() if isinstance(v, float) and k[:2] in ("P ", "O ")),
               key=lambda kv: kv[1], default=("-", 0.0))
    print(f"{row['shape']:>14} {str(dtype)[6:]:>8} copy {row['copy']:7.0f} auto {row['auto']:7.0f} "
          f"triton {row['triton']:7.0f} best {best[1]:7.0f} ({best[0]})", flush=True)
    x = y = None  # free the buffers before the next shape
    torch.cuda.empty_cache()
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dtype", default="fp32,fp16")
    p.add_argument("--set", default="all", choices=("tb", "long", "all"))
    p.add_argument("--out")
    args = p.parse_args()
    pers, onl, auto = kernels()
    shapes = {"tb": TB, "long": LONG, "all": LONG + TB}[args.set]
    rows = []
    for s in shapes:
        for d in args.dtype.split(","):
            rows.append(sweep_shape(s, DTYPES[d], pers, onl, auto) | {"dtype": d})
            if args.out:  # after every shape: a run cut short still leaves its results
                Path(args.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
