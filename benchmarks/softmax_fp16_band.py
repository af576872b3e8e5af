"""Why kopt's persistent fp16 softmax trails the hand-written Triton kernel by 2-8 % on rows of 4K-13K
(benchmarks/results/h100_2026-11-25c/sweep_tb_fp16.txt), and whether the online kernel should take the rows
that pad to 16384 lanes. An experiment, one process, GPU only: the kernels below are kopt's generated
persistent kernel written out, and variants of it that differ in one thing each.

  kopt      kopt's launcher (auto)                P-as-is  kopt's persistent kernel, as generated
  P-inf     masked lanes load -inf: no selects    P-inf-norow  P-inf without the row mask (one row per program)
  triton    the hand-written kernel (kopt/tools/bench/triton_rows.py)
  O4096     kopt's online kernel, chunks of 4096, 8 warps

Usage: python benchmarks/softmax_fp16_band.py [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

import kopt  # noqa: E402
from kopt.tools.bench import triton_rows  # noqa: E402
from tests.helpers import load_example  # noqa: E402

NS = (1152, 2048, 3840, 4736, 5632, 7424, 8320, 9216, 10112, 11008, 11904, 12672, 16384)


@triton.jit
def _as_is(x, out, sx0, sx1, so0, so1, n, m, BM: tl.constexpr, RD: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * BM + tl.arange(0, BM)
    row_ok = rows < n
    cols = tl.arange(0, RD)
    col_ok = cols < m
    v = tl.load(x + rows[:, None] * sx0 + cols[None, :] * sx1, row_ok[:, None] & col_ok[None, :], other=0.0)
    v = v.to(tl.float32)
    mx = tl.max(tl.where(col_ok[None, :], v, float("-inf")), 1, keep_dims=True)
    e = tl.exp(v - mx)
    s = tl.sum(tl.where(col_ok[None, :], e, 0.0), 1, keep_dims=True)
    y = (e * (1.0 / s)).to(tl.float16)
    tl.store(out + rows[:, None] * so0 + cols[None, :] * so1, y, row_ok[:, None] & col_ok[None, :])


@triton.jit
def _neg_inf(x, out, sx0, sx1, so0, so1, n, m, BM: tl.constexpr, RD: tl.constexpr, ROW_MASK: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * BM + tl.arange(0, BM)
    row_ok = rows < n
    cols = tl.arange(0, RD)
    col_ok = cols < m
    mask = (row_ok[:, None] & col_ok[None, :]) if ROW_MASK else col_ok[None, :]
    v = tl.load(x + rows[:, None] * sx0 + cols[None, :] * sx1, mask, other=float("-inf")).to(tl.float32)
    e = tl.exp(v - tl.max(v, 1, keep_dims=True))
    y = (e * (1.0 / tl.sum(e, 1, keep_dims=True))).to(tl.float16)
    tl.store(out + rows[:, None] * so0 + cols[None, :] * so1, y, mask)


def bench(fn) -> float:
    return triton.testing.do_bench(fn, warmup=10, rep=50)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out")
    args = p.parse_args()
    fn = load_example("softmax").softmax.fn
    auto = kopt.kernel(fn, autotune=False)
    probe = torch.randn(8, 256, device="cuda", dtype=torch.float16)
    online = kopt.kernel(fn, config=kopt.Config(reduction="online", reduction_block=4096)).compile(probe)
    o_kernel = online.launcher.__globals__["_softmax_kernel"]
    rows = []
    print(f"{'N':>6} {'copy':>6} {'kopt':>6} {'P-as-is':>7} {'P-inf':>6} {'P-inf-norow':>11} {'triton':>6} "
          f"{'O4096':>6}   GB/s, 4096 x N fp16, {torch.cuda.get_device_name()}", flush=True)
    for n in NS:
        x = torch.randn(4096, n, device="cuda", dtype=torch.float16)
        y = torch.empty_like(x)
        gbs = lambda ms: 2 * x.numel() * 2 / ms / 1e6  # noqa: E731
        rd = triton.next_power_of_2(n)
        bm = min(16, max(1, 8192 // rd))
        warps = 4 if bm * rd <= 2048 else 8 if bm * rd <= 8192 else 16
        grid = (triton.cdiv(4096, bm),)
        strides = (x.stride(0), x.stride(1), y.stride(0), y.stride(1), 4096, n)
        want = torch.softmax(x.float(), 1).half()
        row = {"N": n, "copy": gbs(bench(lambda: y.copy_(x)))}
        cands = {
            "kopt": lambda: auto(x),
            "P-as-is": lambda: _as_is[grid](x, y, *strides, BM=bm, RD=rd, num_warps=warps),
            "P-inf": lambda: _neg_inf[grid](x, y, *strides, BM=bm, RD=rd, ROW_MASK=True, num_warps=warps),
            "P-inf-norow": lambda: _neg_inf[grid](x, y, *strides, BM=bm, RD=rd, ROW_MASK=bm > 1, num_warps=warps),
            "triton": lambda: triton_rows.softmax(x),
            "O4096": lambda: o_kernel[(4096,)](x, y, *strides, 1, 4096, num_warps=8),
        }
        for name, call in cands.items():
            y.zero_()
            res = call()
            got = res if isinstance(res, torch.Tensor) else y
            torch.testing.assert_close(got, want, atol=2e-3, rtol=2e-2)
            row[name] = gbs(bench(call))
        rows.append(row)
        print(f"{n:>6} " + " ".join(f"{row[k]:>{max(6, len(k))}.0f}" for k in ["copy", *cands]), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
