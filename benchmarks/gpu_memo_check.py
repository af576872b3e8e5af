"""The whole-call memo on the GPU (kopt/runtime/launch_memo.py, native_memo.c), checked against torch.

In-place kernels called again and again with fresh tensors of a few metadata (shapes, dtypes, strides, scalars):
every result compared with torch; the accumulating one (`y += alpha * x`) shows a replay launches each kernel once.
An allocating kernel (softmax) is replayed too, its output made again (with KOPT_CALL_MEMO=inplace it stays on the
Python path). Prints one line per kernel and a summary; exit 1 on a failure.
Usage (GPU, repository root): python benchmarks/gpu_memo_check.py [with KOPT_CALL_MEMO=inplace too]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

import kopt  # noqa: E402
import kopt.language as hl  # noqa: E402
from kopt.runtime import launch_memo  # noqa: E402
from tests.runtime import kernels  # noqa: E402


add_one, axpy, softmax = (kopt.kernel(f) for f in (kernels.add_one, kernels.axpy, kernels.softmax))


@kopt.kernel
def scale_rows(x: torch.Tensor, out: torch.Tensor) -> None:
    """out = x * 2 over 2-D tiles, into a given output (strided inputs too)."""
    m, n = x.size()
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = x[tile_m, tile_n] * 2.0


def check(name, run, cases, repeats=4) -> tuple[bool, str]:
    for make in cases:
        for _ in range(repeats):
            got, want = run(*make())
            if not torch.allclose(got.float(), want.float(), rtol=1e-2, atol=1e-2):
                return False, f"mismatch on {make.__doc__ or make}"
    return True, ""


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu_memo_check: no CUDA device")
        return 2
    dev = "cuda"

    def add_one_run(x, out):
        add_one(x, out)
        return out, x + 1

    def axpy_run(alpha, x, y):
        want = y + alpha * x
        axpy(alpha, x, y)
        axpy(alpha, x, y)  # twice: a replay that launched twice (or not at all) shows here
        return y, want + alpha * x

    def rows_run(x, out):
        scale_rows(x, out)
        return out, x * 2

    def softmax_run(x):
        return softmax(x), torch.softmax(x.float(), dim=1).to(x.dtype)

    shapes = (1, 97, 1024, 4097, 65536)
    runs = {
        "add_one": (add_one, add_one_run, [
            (lambda n=n, dt=dt: (torch.randn(n, device=dev, dtype=dt), torch.empty(n, device=dev, dtype=dt)))
            for n in shapes for dt in (torch.float32, torch.float16)]),
        "axpy": (axpy, axpy_run, [
            (lambda n=n, a=a: (a, torch.randn(n, device=dev), torch.randn(n, device=dev)))
            for n in shapes for a in (0.5, -2.0)]),
        "scale_rows": (scale_rows, rows_run, [
            (lambda m=m, n=n: (torch.randn(m, n, device=dev), torch.empty(m, n, device=dev))) for m, n in ((3, 5), (64, 127))]
            + [lambda: (torch.randn(64, 256, device=dev)[:, ::2], torch.empty(64, 128, device=dev))]),
        "softmax": (softmax, softmax_run, [lambda: (torch.randn(37, 1000, device=dev),)]),
    }
    failures = 0
    for name, (kernel, run, cases) in runs.items():
        ok, why = check(name, run, cases)
        torch.cuda.synchronize()
        memo = kernel.__dict__.get("_memo", [])
        replayed = sum(e.hits for e in memo)
        expect_memo = name != "softmax" or launch_memo.allocating()  # (softmax allocates its output)
        memo_ok = (replayed > 0) == expect_memo
        failures += not (ok and memo_ok)
        print(f"{'PASS' if ok and memo_ok else 'FAIL'}  {name:<11} memo entries {len(memo):>2}, calls replayed "
              f"{replayed:>4}, cache_info {tuple(kernel.cache_info())[:2]} {why}")
    print(f"summary: {len(runs) - failures} of {len(runs)} pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
