"""fp8 GEMM on CUDA (float8_e4m3fn inputs, per-tensor scales, bf16 output): examples/fp8_gemm.py against
`torch._scaled_mm` (cuBLAS's fp8 GEMM) and, for what fp8 buys, torch.mm in bf16 on the same shape, in one process.

b is column-major, as `_scaled_mm` requires (kopt takes any strides). Every kopt result is checked against
`_scaled_mm` before it is timed. kopt runs at its launch heuristics (autotuning off, as for a first call).
TFLOP/s = 2 * M * N * K / time. Writes a table, CSV and PNG.

Usage: python benchmarks/fp8_gemm_bench.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402

import kopt  # noqa: E402
from tests.helpers import load_example  # noqa: E402

SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (2048, 4096, 4096), (128, 4096, 4096), (16, 4096, 4096),
          (4097, 4095, 1024)]  # (M, K, N); the last odd, with K and N not multiples of 16


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out/fp8_gemm")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kernel = kopt.kernel(load_example("fp8_gemm").fp8_gemm.fn, autotune=False)
    rows = []
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}; TFLOP/s")
    print(f"{'M':>6} {'K':>6} {'N':>6} {'kopt fp8':>9} {'_scaled_mm':>11} {'bf16 mm':>8} {'kopt/scaled':>12}")
    for m, k, n in SHAPES:
        a = (torch.randn(m, k, device="cuda") / 2).to(torch.float8_e4m3fn)
        b = (torch.randn(n, k, device="cuda") / 2).to(torch.float8_e4m3fn).t()  # [k, n], column-major
        sa, sb = torch.tensor([0.5], device="cuda"), torch.tensor([0.25], device="cuda")
        calls = {"kopt fp8": lambda: kernel(a, b, sa, sb)}
        scaled_ok = k % 16 == 0 and n % 16 == 0  # cuBLAS fp8 needs 16-aligned K and N
        if scaled_ok:
            calls["_scaled_mm"] = lambda: torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16)
        ab, bb = a.to(torch.bfloat16), b.to(torch.bfloat16)
        calls["bf16 mm"] = lambda: torch.mm(ab, bb)
        want = calls["_scaled_mm"]() if scaled_ok else (a.float() @ b.float() * 0.125).to(torch.bfloat16)
        torch.testing.assert_close(calls["kopt fp8"]().float(), want.float(), atol=0.25, rtol=2e-2)
        row = {"M": m, "K": k, "N": n}
        for name, call in calls.items():
            ms = triton.testing.do_bench(call, warmup=25, rep=100)
            row[name] = 2 * m * n * k / ms / 1e9
        rows.append(row)
        ratio = row["kopt fp8"] / row["_scaled_mm"] if scaled_ok else float("nan")
        print(f"{m:>6} {k:>6} {n:>6} {row['kopt fp8']:>9.1f} {row.get('_scaled_mm', float('nan')):>11.1f} "
              f"{row['bf16 mm']:>8.1f} {ratio:>12.2f}", flush=True)
    with open(out / "fp8_gemm.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, ["M", "K", "N", "kopt fp8", "_scaled_mm", "bf16 mm"])
        w.writeheader()
        w.writerows(rows)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return 0
    fig = Figure(figsize=(9, 4.5), dpi=110)
    ax = fig.subplots()
    labels = [f"{r['M']}x{r['K']}x{r['N']}" for r in rows]
    for j, name in enumerate(["kopt fp8", "_scaled_mm", "bf16 mm"]):
        ax.bar([i + 0.27 * j for i in range(len(rows))], [r.get(name, 0) for r in rows], 0.27, label=name)
    ax.set_xticks([i + 0.27 for i in range(len(rows))], labels, rotation=20, fontsize=7)
    ax.set_ylabel("TFLOP/s")
    ax.legend(fontsize=8)
    ax.set_title(f"fp8 GEMM — {torch.cuda.get_device_name()}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "fp8_gemm.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
