"""Issue 18: does a row held as up to three power-of-two chunks (only the last masked) close the gap to QuACK
where a row padded to the next power of two wastes lanes (fp16 rows of 4K-13K: kopt 0.73x QuACK on the H200)?
An experiment, one process, GPU only; every kernel checked against torch before it is timed.

  kopt       kopt's softmax example as it launches today (autotuning off: the heuristic choice)
  pad-inf    one padded block per row, masked lanes loaded as -inf (no selects), `BM` rows a program
  chunks     the row as chunks C0 >= C1 >= C2 (powers of two, C0 and C1 unmasked, C2 masked with -inf)
  ovl        (--ovl) two unmasked blocks: the first power of two, and the tail's power-of-two block ending at the
             row's end (overlapping the first; the overlap left out of the reductions by a select, stored twice)
  quack      quack.softmax (CuTe-DSL), where installed
  copy       y.copy_(x): the ceiling

GB/s = 2 * M * N * elem / time (do_bench median, L2 flushed). Usage (GPU): python benchmarks/softmax_chunks.py
[--out F.json] [--dtype fp16,fp32]
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
from tests.helpers import load_example  # noqa: E402

NS = (256, 1152, 2048, 3840, 4736, 6272, 8320, 9216, 11008, 12672, 16384)
M = 4096


@triton.jit
def _pad_inf(x, out, sx, so, n, m, BM: tl.constexpr, RD: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    cols = tl.arange(0, RD)
    mask = (rows < n)[:, None] & (cols < m)[None, :]
    v = tl.load(x + rows[:, None].to(tl.int64) * sx + cols[None, :], mask, other=float("-inf")).to(tl.float32)
    e = tl.exp(v - tl.max(v, 1, keep_dims=True))
    y = e * (1.0 / tl.sum(e, 1, keep_dims=True))
    tl.store(out + rows[:, None].to(tl.int64) * so + cols[None, :], y.to(out.dtype.element_ty), mask)


@triton.jit
def _chunks(x, out, sx, so, n, m, BM: tl.constexpr, C0: tl.constexpr, C1: tl.constexpr, C2: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    row_ok = (rows < n)[:, None]
    xr = x + rows[:, None].to(tl.int64) * sx
    orow = out + rows[:, None].to(tl.int64) * so
    k0 = tl.arange(0, C0)[None, :]
    v0 = tl.load(xr + k0, row_ok, other=0.0).to(tl.float32)
    mx = tl.max(v0, 1, keep_dims=True)
    if C1 > 0:
        k1 = C0 + tl.arange(0, C1)[None, :]
        v1 = tl.load(xr + k1, row_ok, other=0.0).to(tl.float32)
        mx = tl.maximum(mx, tl.max(v1, 1, keep_dims=True))
    if C2 > 0:
        k2 = C0 + C1 + tl.arange(0, C2)[None, :]
        v2 = tl.load(xr + k2, row_ok & (k2 < m), other=float("-inf")).to(tl.float32)
        mx = tl.maximum(mx, tl.max(v2, 1, keep_dims=True))
    e0 = tl.exp(v0 - mx)
    s = tl.sum(e0, 1, keep_dims=True)
    if C1 > 0:
        e1 = tl.exp(v1 - mx)
        s += tl.sum(e1, 1, keep_dims=True)
    if C2 > 0:
        e2 = tl.exp(v2 - mx)
        s += tl.sum(e2, 1, keep_dims=True)
    r = 1.0 / s
    tl.store(orow + k0, (e0 * r).to(out.dtype.element_ty), row_ok)
    if C1 > 0:
        tl.store(orow + k1, (e1 * r).to(out.dtype.element_ty), row_ok)
    if C2 > 0:
        tl.store(orow + k2, (e2 * r).to(out.dtype.element_ty), row_ok & (k2 < m))


@triton.jit
def _part(xr, base, C: tl.constexpr):
    k = base + tl.arange(0, C)[None, :]
    return k, tl.load(xr + k).to(tl.float32)


@triton.jit
def _overlap(x, out, sx, so, m, C0: tl.constexpr, T: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    xr, orow = x + row * sx, out + row * so
    k0, v0 = _part(xr, 0, C0)
    kt, vt = _part(xr, m - T, T)  # (T <= m - C0 rounded up to a power of two <= C0 <= m: inside the row)
    fresh = kt >= C0  # the tail's lanes the first block does not hold
    mx = tl.maximum(tl.max(v0, 1, keep_dims=True), tl.max(tl.where(fresh, vt, float("-inf")), 1, keep_dims=True))
    e0 = tl.exp(v0 - mx)
    et = tl.exp(vt - mx)
    r = 1.0 / (tl.sum(e0, 1, keep_dims=True) + tl.sum(tl.where(fresh, et, 0.0), 1, keep_dims=True))
    tl.store(orow + k0, (e0 * r).to(out.dtype.element_ty))
    tl.store(orow + kt, (et * r).to(out.dtype.element_ty))  # the overlap: the same values the first block stored


def chunks_of(m: int, smallest: int = 128, pieces: int = 3) -> tuple[int, int, int]:
    """Up to two (`pieces` 3) or one (2) unmasked power-of-two chunks covering most of the row, then one masked
    chunk for the rest."""
    c0 = 1 << (m.bit_length() - 1)
    rest = m - c0
    c1 = 1 << (rest.bit_length() - 1) if rest >= smallest and pieces == 3 else 0
    rest -= c1
    c2 = max(smallest, triton.next_power_of_2(rest)) if rest > 0 else 0
    return c0, c1, c2


def bench(fn) -> float:
    return triton.testing.do_bench(fn, warmup=10, rep=60)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out")
    p.add_argument("--dtype", default="fp16,fp32")
    p.add_argument("--ns", default=",".join(map(str, NS)), help="row lengths")
    p.add_argument("--pieces", default="3", help="chunks a row is split into: 3, 2 or both (2,3)")
    p.add_argument("--bms", default="1,2,4", help="rows a program")
    p.add_argument("--ovl", action="store_true", help="also the overlapping tail block (one row a program)")
    args = p.parse_args()
    auto = kopt.kernel(load_example("softmax").softmax.fn, autotune=False)
    try:
        import quack
    except Exception as e:  # noqa: BLE001
        print(f"quack: not available ({type(e).__name__}: {e})")
        quack = None
    results = []
    for dname in args.dtype.split(","):
        dt = {"fp16": torch.float16, "fp32": torch.float32, "bf16": torch.bfloat16}[dname]
        print(f"\n{dname}: GB/s, {M} x N, {torch.cuda.get_device_name()}", flush=True)
        for n in map(int, args.ns.split(",")):
            x = torch.randn(M, n, device="cuda", dtype=dt)
            y = torch.empty_like(x)
            gbs = lambda ms: 2 * x.numel() * x.element_size() / ms / 1e6  # noqa: E731
            want = torch.softmax(x.float(), 1).to(dt)
            row = {"dtype": dname, "N": n, "copy": gbs(bench(lambda: y.copy_(x)))}
            cands = {"kopt": lambda: auto(x)}
            if quack is not None:
                cands["quack"] = lambda: quack.softmax(x)
            rd = triton.next_power_of_2(n)
            splits = {int(k): chunks_of(n, pieces=int(k)) for k in args.pieces.split(",")}
            for bm in map(int, args.bms.split(",")):
                if bm * rd > 16384 or (bm > 1 and rd > 4096):
                    continue
                for w in (4, 8, 16):
                    if bm * rd // (32 * w) < 4 and w > 4:
                        continue
                    grid = (triton.cdiv(M, bm),)
                    cands[f"pad{bm}w{w}"] = (lambda g=grid, b=bm, w=w: _pad_inf[g](
                        x, y, x.stride(0), y.stride(0), M, n, BM=b, RD=rd, num_warps=w))
                    for k, c in splits.items():
                        if c[1] or c[2]:
                            cands[f"chk{k}-{bm}w{w}"] = (lambda g=grid, b=bm, w=w, c=c: _chunks[g](
                                x, y, x.stride(0), y.stride(0), M, n, BM=b, C0=c[0], C1=c[1], C2=c[2], num_warps=w))
            for w in (4, 8):
                c0 = 1 << (n.bit_length() - 1)
                if args.ovl and c0 != n:
                    t = triton.next_power_of_2(n - c0)
                    cands[f"ovl-w{w}"] = lambda w=w, c0=c0, t=t: _overlap[(M,)](x, y, x.stride(0), y.stride(0), n,
                                                                                 C0=c0, T=t, num_warps=w)
            for name, call in cands.items():
                y.zero_()
                try:
                    res = call()
                    got = res if isinstance(res, torch.Tensor) else y
                    torch.testing.assert_close(got.float(), want.float(), atol=2e-3, rtol=2e-2)
                    row[name] = gbs(bench(call))
                except Exception as e:  # noqa: BLE001
                    print(f"  {name}: {type(e).__name__}: {str(e)[:160]}")
            best = lambda pre: max(((k, v) for k, v in row.items() if k.startswith(pre)), key=lambda kv: kv[1],  # noqa: E731
                                   default=("-", 0.0))
            bp, bc, bo = best("pad"), best("chk"), best("ovl")
            print(f"N={n:>6} chunks={tuple(splits.values())} copy {row['copy']:6.0f} kopt {row.get('kopt', 0):6.0f} "
                  f"quack {row.get('quack', 0):6.0f} best pad {bp[1]:6.0f} ({bp[0]}) best chunks {bc[1]:6.0f} ({bc[0]}) "
                  f"ovl {bo[1]:6.0f} ({bo[0]})",
                  flush=True)
            results.append(row)
            if args.out:
                Path(args.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "rows": results},
                                                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
