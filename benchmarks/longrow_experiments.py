"""Long-row softmax on the GPU: which kernel shape holds copy bandwidth when a row no longer fits one
program's registers (N >= 65536 fp32). Hand-written Triton variants, timed beside a device copy:

  online           one row per program: pass 1 running max + rescaled sum, pass 2 re-reads and writes
  online-rev       the same, pass 2 walks the row backwards (the chunks read last are still in L2)
  online-rev-hint  + eviction hints: pass 1 loads evict_last, pass 2 loads and the stores evict_first
  grid-rev-hint    + a grid of k programs per SM looping over rows (fewer rows in flight, less L2 churn)
  split-coop       a row split over S programs, each chunk held in registers; the S partial (max, sum)
                   meet through global memory behind an atomic counter; launched as a cooperative grid
                   (CUDA guarantees co-residency, so the spin cannot deadlock). One read, one write.

GB/s = 2 * M * N * elem / time. Usage (GPU): python benchmarks/longrow_experiments.py [--out F.json]
"""

from __future__ import annotations

import argparse
import json

import torch
import triton
import triton.language as tl

SHAPES = [(32768, 16384), (32768, 32768), (32768, 65536), (16384, 131072), (8192, 262144)]


@triton.jit
def _online(x_ptr, y_ptr, M, N, stride, BLOCK: tl.constexpr, REVERSE: tl.constexpr, HINT: tl.constexpr):
    cols = tl.arange(0, BLOCK)
    for row in range(tl.program_id(0), M, tl.num_programs(0)):
        x_row = x_ptr + tl.cast(row, tl.int64) * stride
        y_row = y_ptr + tl.cast(row, tl.int64) * stride
        m = tl.full([], float("-inf"), tl.float32)
        s = tl.full([], 0.0, tl.float32)
        for start in range(0, N, BLOCK):
            ok = start + cols < N
            if HINT:
                x = tl.load(x_row + start + cols, mask=ok, other=-float("inf"), eviction_policy="evict_last")
            else:
                x = tl.load(x_row + start + cols, mask=ok, other=-float("inf"))
            x = x.to(tl.float32)
            m_new = tl.maximum(m, tl.max(x, 0))
            s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), 0)
            m = m_new
        inv = 1.0 / s
        nchunks = tl.cdiv(N, BLOCK)
        for i in range(0, nchunks):
            if REVERSE:
                start = (nchunks - 1 - i) * BLOCK
            else:
                start = i * BLOCK
            ok = start + cols < N
            if HINT:
                x = tl.load(x_row + start + cols, mask=ok, other=0.0, eviction_policy="evict_first").to(tl.float32)
                tl.store(y_row + start + cols, (tl.exp(x - m) * inv).to(y_ptr.dtype.element_ty), mask=ok,
                         eviction_policy="evict_first")
            else:
                x = tl.load(x_row + start + cols, mask=ok, other=0.0).to(tl.float32)
                tl.store(y_row + start + cols, (tl.exp(x - m) * inv).to(y_ptr.dtype.element_ty), mask=ok)


@triton.jit
def _split_coop(x_ptr, y_ptr, stats_ptr, count_ptr, M, N, stride, S: tl.constexpr, CHUNK: tl.constexpr):
    pid = tl.program_id(0)
    part = pid % S
    groups = tl.num_programs(0) // S
    cols = part * CHUNK + tl.arange(0, CHUNK)
    ok = cols < N
    parts = tl.arange(0, S)
    for row in range(pid // S, M, groups):
        x = tl.load(x_ptr + tl.cast(row, tl.int64) * stride + cols, mask=ok, other=-float("inf")).to(tl.float32)
        m = tl.max(x, 0)
        e = tl.exp(x - m)
        s = tl.sum(e, 0)
        slot = stats_ptr + (tl.cast(row, tl.int64) * S + part) * 2
        # Scalar atomics: one thread writes, and the release on the counter orders both before it.
        tl.atomic_xchg(slot, m, sem="relaxed")
        tl.atomic_xchg(slot + 1, s, sem="relaxed")
        tl.atomic_add(count_ptr + row, 1, sem="release")
        while tl.atomic_add(count_ptr + row, 0, sem="acquire") < S:
            pass
        base = stats_ptr + (tl.cast(row, tl.int64) * S + parts) * 2
        ms = tl.atomic_add(base, 0.0, sem="relaxed")
        ss = tl.atomic_add(base + 1, 0.0, sem="relaxed")
        gm = tl.max(ms, 0)
        gs = tl.sum(ss * tl.exp(ms - gm), 0)
        y = e * (tl.exp(m - gm) / gs)
        tl.store(y_ptr + tl.cast(row, tl.int64) * stride + cols, y.to(y_ptr.dtype.element_ty), mask=ok)


def online(x, y, block=8192, warps=16, reverse=False, hint=False, per_sm=0):
    m, n = x.shape
    grid = (m if not per_sm else min(m, per_sm * torch.cuda.get_device_properties(0).multi_processor_count),)
    return lambda: _online[grid](x, y, m, n, x.stride(0), BLOCK=block, REVERSE=reverse, HINT=hint,
                                 num_warps=warps, num_stages=1)


def split_coop(x, y, chunk=8192, warps=16, per_sm=1):
    m, n = x.shape
    s = triton.cdiv(n, chunk)
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    groups = max(1, min(m, (sms * per_sm) // s))
    stats = torch.empty(m * s * 2, device=x.device, dtype=torch.float32)
    count = torch.zeros(m, device=x.device, dtype=torch.int32)

    def run():
        count.zero_()
        _split_coop[(groups * s,)](x, y, stats, count, m, n, x.stride(0), S=s, CHUNK=chunk, num_warps=warps,
                                   num_stages=1, launch_cooperative_grid=True)
    return run


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=None)
    p.add_argument("--dtype", default="fp32,fp16")
    a = p.parse_args()
    results = []
    print(f"device {torch.cuda.get_device_name()}  triton {triton.__version__}", flush=True)
    for dname in a.dtype.split(","):
        dtype = {"fp32": torch.float32, "fp16": torch.float16}[dname]
        for m, n in SHAPES:
            x = torch.randn(m, n, device="cuda", dtype=dtype)
            y = torch.empty_like(x)
            ref = None
            gbs = lambda ms: 2 * m * n * x.element_size() / ms / 1e6  # noqa: E731
            row = {"shape": f"{m}x{n}", "dtype": dname,
                   "copy": gbs(triton.testing.do_bench(lambda: y.copy_(x), warmup=5, rep=30))}
            variants = {
                "online": online(x, y),
                "online-rev": online(x, y, reverse=True),
                "online-rev-hint": online(x, y, reverse=True, hint=True),
                "grid1-rev-hint": online(x, y, reverse=True, hint=True, per_sm=1),
                "grid2-rev-hint": online(x, y, reverse=True, hint=True, per_sm=2),
                "split-coop c8192 w16 k1": split_coop(x, y, 8192, 16, 1),
                "split-coop c8192 w8 k2": split_coop(x, y, 8192, 8, 2),
                "split-coop c16384 w16 k1": split_coop(x, y, 16384, 16, 1),
                "split-coop c4096 w8 k2": split_coop(x, y, 4096, 8, 2),
            }
            for name, fn in variants.items():
                try:
                    y.zero_()
                    fn()
                    torch.cuda.synchronize()
                    if ref is None:
                        ref = torch.softmax(x.float(), dim=1).to(dtype)
                    okv = torch.allclose(y.float(), ref.float(), atol=1e-3 if dname == "fp16" else 1e-5, rtol=1e-2)
                    row[name] = gbs(triton.testing.do_bench(fn, warmup=5, rep=30)) if okv else "wrong"
                except Exception as e:  # noqa: BLE001 - report and go on
                    row[name] = f"fail {type(e).__name__}: {str(e)[:120]}"
            print(json.dumps(row), flush=True)
            results.append(row)
            x = y = ref = None  # free the buffers before the next shape
            torch.cuda.empty_cache()
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
