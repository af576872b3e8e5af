"""Where the host time of one softmax call goes (microseconds of CPU per call), layer by layer.

Small softmax shapes are bound by the host: at M = 4096, N <= ~4000 fp32 the kernel runs for less
than a launch costs. This times, on a problem too small for the GPU to matter, each layer of
kopt's call path against the hand-written Triton peer's:

    torch.empty_like                   the output allocation both pay
    peer: softmax(x)                   wrapper + JITFunction.run
    peer: jit[grid](...)               JITFunction.run alone, arguments precomputed
    kopt: @kopt.kernel call            Kernel.__call__ + generated launcher + JITFunction.run
    kopt: generated launcher           the launcher alone
    kopt: FastJIT[grid](...)           kopt's launch cache (kopt/runtime/fast_launch.py) alone
    kopt: jit[grid](...)               JITFunction.run alone on kopt's kernel
    kopt: ..., KOPT_FAST_LAUNCH=0      the same without the launch cache
    kopt: CompiledKernel.run           Triton's compiled launcher, everything cached

Usage (GPU): python benchmarks/launch_profile.py [--shape 4096x2048] [--dtype fp32]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402

import kopt  # noqa: E402

from kopt.tools.bench import triton_rows  # noqa: E402
from tests.helpers import load_example  # noqa: E402


def per_call_us(fn, n: int = 3000) -> float:
    for _ in range(50):
        fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


def compiled_runner(jit, grid, args, opts):
    """Launch through the CompiledKernel that JITFunction.run returns, stream and metadata cached."""
    kernel = jit[grid](*args, **opts)
    from triton.runtime.driver import driver

    dev = driver.active.get_current_device()
    stream = driver.active.get_current_stream(dev)
    vals = list(args)
    g = tuple(grid) + (1,) * (3 - len(grid))
    fn, meta = kernel.function, kernel.packed_metadata
    return lambda: kernel.run(g[0], g[1], g[2], stream, fn, meta, None, None, None, *vals)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="4096x2048")
    p.add_argument("--dtype", default="fp32")
    a = p.parse_args()
    m, n = map(int, a.shape.split("x"))
    dtype = {"fp32": torch.float32, "fp16": torch.float16}[a.dtype]
    x = torch.randn(m, n, device="cuda", dtype=dtype)
    y = torch.empty_like(x)
    print(f"device {torch.cuda.get_device_name()}  triton {triton.__version__}  shape {a.shape} {a.dtype}")
    rows = [("torch.empty_like", lambda: torch.empty_like(x))]

    bm, bn = triton_rows.row_block(n)
    peer = triton_rows._softmax_block_kernel
    pargs = (x, y, m, n, x.stride(0), y.stride(0), bm, bn)  # constexprs last, in order
    popts = {"num_warps": triton_rows.warps_for(bn)}
    pgrid = (triton.cdiv(m, bm),)
    rows += [("peer: softmax(x)", lambda: triton_rows.softmax(x)),
             ("peer: jit[grid](...)", lambda: peer[pgrid](*pargs, **popts))]

    kern = load_example("softmax").softmax
    launcher = kern.compile(x).launcher
    g = launcher.__globals__
    jit = g["_softmax_kernel"]
    rd = triton.next_power_of_2(n)
    kbm = min(16, max(1, 8192 // rd))
    named = {"x": x, "out": y, "x_stride_0": x.stride(0), "x_stride_1": x.stride(1), "out_stride_0": y.stride(0),
             "out_stride_1": y.stride(1), "n": m, "_m": n, "_BLOCK_SIZE_0": kbm, "_RDIM_SIZE_1": rd}
    kargs = [named[name] for name in jit.arg_names]
    kgrid = (triton.cdiv(m, kbm),)
    kopts = {"num_warps": 8}
    raw = getattr(jit, "jit", jit)  # under the FastJIT stand-in (kopt/runtime/fast_launch.py)
    rows += [("kopt: @kopt.kernel call", lambda: kern(x)), ("kopt: generated launcher", lambda: launcher(x)),
             ("kopt: FastJIT[grid](...)", lambda: jit[kgrid](*kargs, **kopts)),
             ("kopt: jit[grid](...)", lambda: raw[kgrid](*kargs, **kopts))]
    os.environ["KOPT_FAST_LAUNCH"] = "0"  # the same kernel, loaded again without the stand-in
    slow = kopt.kernel(kern.fn)
    slow_launcher = slow.compile(x).launcher
    os.environ.pop("KOPT_FAST_LAUNCH")
    rows += [("kopt: call, KOPT_FAST_LAUNCH=0", lambda: slow(x)),
             ("kopt: launcher, KOPT_FAST_LAUNCH=0", lambda: slow_launcher(x))]
    for label, jf, grid, args, opts in (("kopt", raw, kgrid, kargs, kopts), ("peer", peer, pgrid, pargs, popts)):
        try:
            rows.append((f"{label}: CompiledKernel.run", compiled_runner(jf, grid, args, opts)))
        except Exception as e:  # noqa: BLE001 - the internal API differs across Triton versions
            print(f"{label}: CompiledKernel.run unavailable: {type(e).__name__}: {e}")
    for label, fn in rows:
        try:
            print(f"{label:30s} {per_call_us(fn):8.2f} us/call", flush=True)
        except Exception as e:  # noqa: BLE001
            print(f"{label:30s} failed: {type(e).__name__}: {str(e)[:200]}", flush=True)
    torch.cuda.synchronize()
    ref = torch.softmax(x.float(), dim=1)
    for label, fn in (("kopt", kern), ("kopt, KOPT_FAST_LAUNCH=0", slow)):
        print(f"{label} correct:", torch.allclose(fn(x).float(), ref, atol=1e-3, rtol=1e-3))


if __name__ == "__main__":
    main()
