"""Run every corpus kernel on CUDA against torch: fp32 / fp16 / bf16, larger and awkward shapes,
contiguous and strided inputs. One line per case (PASS / FAIL / ERROR), a summary, exit status 1
on any failure. The case table is tests/corpus/cases.py, the one the CPU tests use.

Usage (on a GPU machine, from the repository root):
    python benchmarks/gpu_corpus_check.py                 # every case
    python benchmarks/gpu_corpus_check.py attention exp   # only these kernels
    python benchmarks/gpu_corpus_check.py --quick         # one shape set per kernel
KOPT_AUTOTUNE=0 keeps the sweep to default configs (minutes instead of an autotune per shape bucket).
fp32 contractions (tl.dot) multiply in TF32 on the GPU, as Helion's default: their cases get TF32 tolerances.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402

from tests.corpus.cases import CASES  # noqa: E402
from tests.corpus.check import example_path, run_case  # noqa: E402
from tests.corpus.gpu_shapes import sizes_for  # noqa: E402

LAYOUTS = ("contiguous", "transposed")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kernels", nargs="*", help="only these corpus kernels (default: all)")
    p.add_argument("--quick", action="store_true", help="only the large shape set, contiguous inputs")
    p.add_argument("--again", action="store_true",
                   help="run each case a second time on fresh inputs (seed 1): the second call of a specialization "
                        "launches through kopt's kept launch (the C path), the first through Triton's")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("gpu_corpus_check: no CUDA device")
        return 2
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    jit_events = []  # Triton's compilation listener: each kernel it compiled (False) or found in its cache (True)
    triton.knobs.compilation.listener = lambda **kw: jit_events.append(kw["cache_hit"])
    cases = [c for c in CASES if not args.kernels or c.name in args.kernels]
    counts = {"PASS": 0, "FAIL": 0, "ERROR": 0, "SKIP": 0}
    shape_sets = ("large",) if args.quick else ("odd", "large")
    layouts = ("contiguous",) if args.quick else LAYOUTS
    for case in cases:
        if not example_path(case).exists():
            print(f"SKIP  {case.name}: examples/{case.module}.py is missing")
            counts["SKIP"] += 1
            continue
        for dtype in case.dtypes:
            for shape_set in shape_sets:
                for layout in layouts:
                    sizes = sizes_for(case, shape_set)
                    label = f"{case.name:<20} {str(dtype).removeprefix('torch.'):<9} {layout:<11} {sizes}"
                    t0 = time.perf_counter()
                    try:
                        problem = run_case(case, sizes, dtype, layout, seed=0, device="cuda")
                        if problem is None and args.again:
                            problem = run_case(case, sizes, dtype, layout, seed=1, device="cuda")
                        torch.cuda.synchronize()
                    except Exception as e:  # noqa: BLE001 - report and go on with the others
                        status, detail = "ERROR", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                        traceback.print_exc(limit=3, file=sys.stdout)
                    else:
                        status, detail = ("PASS", "") if problem is None else ("FAIL", problem)
                    counts[status] += 1
                    print(f"{status:<5} {label} {time.perf_counter() - t0:6.2f}s {detail}".rstrip(), flush=True)
    from kopt.runtime import launch_records

    print(f"triton: compiled {jit_events.count(False)}, loaded {jit_events.count(True)}; first launches from kopt's "
          f"launch records: {launch_records.served}")
    print("summary: " + ", ".join(f"{k.lower()} {v}" for k, v in counts.items()))
    return 0 if counts["FAIL"] == counts["ERROR"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
