"""Whole rows held on chip by a cluster of CTAs (Triton's `num_ctas`, Hopper): does a row too long for one SM's
registers reach copy speed when Triton spreads its block over 2-8 CTAs and reduces across them through distributed
shared memory? (On the development CPU, Triton 3.9 built a 65536-lane fp32 softmax with num_ctas=2 and 4 for sm_90:
half and a quarter of the global loads per CTA, `mapa` and `barrier.cluster` in the PTX.)

Hand-written softmax, one row per program (a cluster), the block the row's next power of two, checked against
torch, timed beside a device copy of the same bytes. GB/s = 2 * M * N * elem / time.
Usage (GPU): python benchmarks/cluster_rows.py [--out F.json]
"""

from __future__ import annotations

import argparse
import json

import torch
import triton
import triton.language as tl

LONG = [(32768, 32768), (32768, 65536), (16384, 131072), (8192, 262144)]
BAND = [(4096, 9344), (4096, 11392), (4096, 12672)]  # fp16 tritonbench widths where kopt trails QuACK most


@triton.jit
def _softmax(x_ptr, y_ptr, N, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    v = tl.load(x_ptr + row * stride + cols, mask=cols < N, other=float("-inf")).to(tl.float32)
    e = tl.exp(v - tl.max(v, 0))
    tl.store(y_ptr + row * stride + cols, (e / tl.sum(e, 0)).to(y_ptr.dtype.element_ty), mask=cols < N)


def _rate(m, n, elem, ms):
    return 2 * m * n * elem / ms / 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="cluster_rows.json")
    args = p.parse_args()
    results = [{"triton": triton.__version__, "device": torch.cuda.get_device_name()}]
    print(json.dumps(results[0]), flush=True)
    runs = [(s, dt, c, w) for dt in (torch.float32, torch.float16) for s in LONG
            for c in (1, 2, 4, 8) for w in (16, 32) if 4096 <= s[1] // c <= 32768]
    runs += [(s, torch.float16, c, w) for s in BAND for c in (1, 2) for w in (4, 8, 16)]
    copies = {}
    for (m, n), dt, ctas, warps in runs:
        x = torch.randn(m, n, device="cuda", dtype=dt)
        y = torch.empty_like(x)
        elem = x.element_size()
        if ((m, n), dt) not in copies:
            buf = torch.empty_like(x)
            copies[((m, n), dt)] = _rate(m, n, elem, triton.testing.do_bench(lambda: buf.copy_(x), return_mode="median"))
        block = triton.next_power_of_2(n)
        rec = {"shape": f"{m}x{n}", "dtype": str(dt).split(".")[-1], "ctas": ctas, "warps": warps,
               "copy": copies[((m, n), dt)]}
        try:
            def call():
                _softmax[(m,)](x, y, n, x.stride(0), BLOCK=block, num_warps=warps, num_ctas=ctas)
            call()
            ok = torch.allclose(y[:256].float(), torch.softmax(x[:256].float(), 1), atol=2e-3 if elem == 2 else 1e-5,
                                rtol=1e-2 if elem == 2 else 1e-4)
            rec["ok"] = bool(ok)
            if ok:
                rec["gbs"] = _rate(m, n, elem, triton.testing.do_bench(call, return_mode="median"))
        except Exception as exc:  # noqa: BLE001 - a config Triton cannot build is a result too
            rec["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}" if str(exc) else type(exc).__name__
        print(json.dumps(rec), flush=True)
        results.append(rec)
        torch.cuda.empty_cache()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
