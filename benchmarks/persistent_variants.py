"""Why kopt's persistent softmax trails the hand-written one at M = 4096, N ~ 1000-4000: the two
differ in a few ways; each is a switch of one Triton kernel here, timed at the same row block and
warps (the peer's: BM = min(16, 8192 // BN), 4/8/16 warps), beside kopt's generated kernel at that
launch and kopt's default launcher.

  ROWMASK   rows past M masked in the load (kopt) instead of clamped to M - 1 (peer)
  OTHER0    load other=0, then where(col < N, x, -inf) (kopt) instead of other=-inf (peer); needs SUMWHERE
  SUMWHERE  where(col < N, e, 0) before the sum (kopt); the peer relies on exp(-inf) = 0
  I64       row indices int64 from the program id on (kopt) instead of int32, widened at the address

Usage (GPU): KOPT_AUTOTUNE=0 python benchmarks/persistent_variants.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from kopt.tools.bench import triton_rows  # noqa: E402
from tests.helpers import load_example  # noqa: E402

NS = (384, 1024, 1536, 2048, 2560, 3072, 3584, 6144)


@triton.jit
def _variant(x_ptr, y_ptr, M, N, stride_x, stride_y, BM: tl.constexpr, BN: tl.constexpr,
             ROWMASK: tl.constexpr, OTHER0: tl.constexpr, SUMWHERE: tl.constexpr, I64: tl.constexpr):
    if I64:
        rows = tl.program_id(0).to(tl.int64) * BM + tl.arange(0, BM)
    else:
        rows = tl.program_id(0) * BM + tl.arange(0, BM)
    cols = tl.arange(0, BN)
    col_ok = cols < N
    row_ok = rows < M
    if ROWMASK:
        src = rows.to(tl.int64)
        mask = row_ok[:, None] & col_ok[None, :]
    else:
        src = tl.minimum(rows, M - 1).to(tl.int64)
        mask = col_ok[None, :]
    if OTHER0:
        x = tl.load(x_ptr + src[:, None] * stride_x + cols[None, :], mask=mask, other=0.0).to(tl.float32)
        xm = tl.where(col_ok[None, :], x, -float("inf"))
    else:
        x = tl.load(x_ptr + src[:, None] * stride_x + cols[None, :], mask=mask, other=-float("inf")).to(tl.float32)
        xm = x
    e = tl.exp(x - tl.max(xm, axis=1)[:, None])
    if SUMWHERE:
        s = tl.sum(tl.where(col_ok[None, :], e, 0.0), axis=1)
    else:
        s = tl.sum(e, axis=1)
    y = e * (1.0 / s)[:, None]
    dst = y_ptr + rows.to(tl.int64)[:, None] * stride_y + cols[None, :]
    tl.store(dst, y.to(y_ptr.dtype.element_ty), mask=row_ok[:, None] & col_ok[None, :])


VARIANTS = {
    "peer": {}, "+ROWMASK": {"ROWMASK": True}, "+OTHER0+SW": {"OTHER0": True, "SUMWHERE": True}, "+SUMWHERE": {"SUMWHERE": True},
    "+I64": {"I64": True}, "all4": {"ROWMASK": True, "OTHER0": True, "SUMWHERE": True, "I64": True},
}


def main() -> None:
    kern = load_example("softmax").softmax
    print(f"device {torch.cuda.get_device_name()}  triton {triton.__version__}  M = 4096, GB/s")
    print(f"{'dtype':>5} {'N':>5} " + " ".join(f"{v:>9}" for v in VARIANTS) + f" {'kopt@peer':>9} {'kopt':>9} "
          f"{'triton':>9} {'copy':>9}")
    for dtype in (torch.float32, torch.float16):
        for n in NS:
            m = 4096
            x = torch.randn(m, n, device="cuda", dtype=dtype)
            y = torch.empty_like(x)
            gbs = lambda fn: 2 * m * n * x.element_size() / triton.testing.do_bench(fn, warmup=10, rep=50) / 1e6  # noqa: E731
            bm, bn = triton_rows.row_block(n)
            w = triton_rows.warps_for(bn)
            out = []
            for flags in VARIANTS.values():
                opts = {"ROWMASK": False, "OTHER0": False, "SUMWHERE": False, "I64": False, **flags}
                fn = lambda opts=opts: _variant[(triton.cdiv(m, bm),)](x, y, m, n, x.stride(0), y.stride(0), BM=bm,  # noqa: E731
                                                                      BN=bn, num_warps=w, **opts)
                fn()
                torch.testing.assert_close(y.float(), torch.softmax(x.float(), 1), atol=2e-3, rtol=2e-3)
                out.append(gbs(fn))
            k = kern.compile(x).launcher.__globals__["_softmax_kernel"]
            named = {"x": x, "out": y, "x_stride_0": x.stride(0), "x_stride_1": 1, "out_stride_0": y.stride(0),
                     "out_stride_1": 1, "n": m, "_m": n, "_BLOCK_SIZE_0": bm, "_RDIM_SIZE_1": bn}
            args = [named[a] for a in k.arg_names]
            out.append(gbs(lambda: k[(triton.cdiv(m, bm),)](*args, num_warps=w)))
            out.append(gbs(lambda: kern(x)))
            out.append(gbs(lambda: triton_rows.softmax(x)))
            out.append(gbs(lambda: y.copy_(x)))
            print(f"{str(dtype)[6:]:>5} {n:>5} " + " ".join(f"{v:9.0f}" for v in out), flush=True)


if __name__ == "__main__":
    main()
