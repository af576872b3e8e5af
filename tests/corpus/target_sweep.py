"""Build every corpus kernel for a CUDA GPU target on a machine without one (kopt/runtime/target_build.py):
every dtype, the GPU sweep's shapes, contiguous and transposed inputs, with the launch choices a GPU run
makes. One line per launch built (OK / FAIL), a summary, exit status 1 on any failure.

    python -m tests.corpus.target_sweep                 # every case, for sm_90
    python -m tests.corpus.target_sweep attention bmm   # only these kernels
    python -m tests.corpus.target_sweep --arch 80 --shape-sets large --layouts contiguous

Runs without TRITON_INTERPRET (it compiles for the GPU); tests/corpus/test_target_build.py runs it in CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
    sys.exit("target_sweep builds for a GPU: run it without TRITON_INTERPRET")

import torch  # noqa: E402
import triton  # noqa: E402

from kopt.runtime.target_build import build_for_target  # noqa: E402
from tests.corpus.cases import CASES  # noqa: E402
from tests.corpus.check import call_arguments, kernel_of  # noqa: E402
from tests.corpus.gpu_shapes import SHAPE_SETS, sizes_for  # noqa: E402


# head dims past the corpus's own (16-64), for the kernels that have one: 128 is the common LLM head,
# and the one whose default tiles once asked more shared memory than an H100 has
WIDE_HEADS = (128, 256)


def _report(case, sizes: dict, dtype, layout: str, inputs, arch: int, counts: dict) -> None:
    t0 = time.perf_counter()
    label = f"{case.name:<20} {str(dtype).removeprefix('torch.'):<9} {layout:<11} {sizes}"
    try:
        call_args, call_kwargs = call_arguments(case, inputs)
        builds = build_for_target(kernel_of(case), *call_args, arch=arch, **call_kwargs)
    except Exception as e:  # noqa: BLE001 - a launcher that fails before launching: report it
        counts["FAIL"] += 1
        print(f"FAIL  {label} {type(e).__name__}: {str(e).splitlines()[0][:200]}", flush=True)
        return
    took = time.perf_counter() - t0
    for b in builds:
        status = "OK" if b.ok else "FAIL"
        counts[status] += 1
        detail = b.error or f"shared {b.shared} B"
        print(f"{status:<5} {label} {b.kernel} {b.constexprs} {b.options} {took:5.2f}s {detail}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kernels", nargs="*", help="only these corpus kernels (default: all)")
    p.add_argument("--arch", type=int, default=90, help="compute capability, e.g. 90 for an H100 (default)")
    p.add_argument("--shape-sets", default=",".join(SHAPE_SETS), help="comma-separated: odd, large")
    p.add_argument("--layouts", default="contiguous,transposed", help="comma-separated: contiguous, transposed")
    args = p.parse_args(argv)
    print(f"target: sm_{args.arch}, triton {triton.__version__}, torch {torch.__version__}", flush=True)
    cases = [c for c in CASES if not args.kernels or c.name in args.kernels]
    unknown = set(args.kernels) - {c.name for c in CASES}
    if unknown:
        p.error(f"no corpus kernel named {', '.join(sorted(unknown))}")
    counts = {"OK": 0, "FAIL": 0}
    for case in cases:
        for dtype in case.dtypes:
            for shape_set in args.shape_sets.split(","):
                for layout in args.layouts.split(","):
                    sizes = sizes_for(case, shape_set)
                    inputs = case.make(sizes, dtype, layout, torch.Generator().manual_seed(0), "cpu")
                    _report(case, sizes, dtype, layout, inputs, args.arch, counts)
        for d in WIDE_HEADS if "d" in case.choices and "large" in args.shape_sets else ():
            sizes = {**sizes_for(case, "large"), "d": d}
            for dtype in case.dtypes:
                inputs = case.make(sizes, dtype, "contiguous", torch.Generator().manual_seed(0), "cpu")
                _report(case, sizes, dtype, "contiguous", inputs, args.arch, counts)
    print("summary: " + ", ".join(f"{k.lower()} {v}" for k, v in counts.items()))
    return 0 if counts["FAIL"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
