"""Registers a dot kernel's program needs, from Triton's own sm_90 builds: the data kopt/launch/dot_registers.py is
fitted on (issue 17: prune the dot autotune space by a register-pressure estimate, as by the shared-memory one).

Builds kopt's matmul and attention examples (fp16) for sm_90 on this machine, no GPU (`kopt.build_for_target`: Triton's
compiler and ptxas), over a grid of tiles, warps and stages, and reads each cubin's resource usage with the
`cuobjdump` Triton ships (TargetBuild.registers, at most 255; TargetBuild.stack > 0: values spilled to local memory).
Then fits, per kernel kind, registers ~ a * (fp32 accumulator elements a thread holds) + c * (fp32 score elements a
thread holds, attention) + b by least squares over the builds that did not spill, and reports which builds the
rule in kopt/launch/dot_registers.py calls spilling against what ptxas did.

Usage (CPU, a few minutes): python benchmarks/register_fit.py [--out DIR] [--quick]
Writes DIR/builds.csv and DIR/fit.json (default benchmarks/results/cpu_2026-12-02d_registers).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import kopt  # noqa: E402
from kopt.launch.dot_registers import FIT, features, spills  # noqa: E402
from tests.helpers import load_example  # noqa: E402

def build(kernel, args, config) -> dict:
    """Build `kernel(*args)` with `config` for sm_90: its registers, stack and shared memory, or why it failed."""
    b = kopt.build_for_target(kernel, *args, config=config)[-1]
    return {"regs": b.registers, "stack": b.stack, "shared": b.shared, "error": b.error}


def grid(quick: bool):
    """(kind, args, block sizes, tile (bm, bn, bk or head dim), warps, stages) to build."""
    mm = torch.empty(4096, 4096, dtype=torch.float16)
    for bm in (64, 128, 256):
        for bn in (64, 128, 256):
            for bk in (32, 64) if not quick else (64,):
                for warps in (4, 8):
                    if bm * bn <= 128 * 256:
                        yield "matmul", (mm, mm), [bm, bn, bk], (bm, bn, bk), warps, 3
    for d in (64, 128):
        q = torch.empty(32, 4096, d, dtype=torch.float16)
        for bm in (64, 128):
            for bn in (32, 64, 128):
                for warps in (4, 8):
                    if not quick or bn == 64:
                        yield "attention", (q, q, q), [1, bm, bn], (bm, bn, d), warps, 3


def fit(rows: list[dict]) -> dict:
    """Per kind: least squares of registers on (accumulator, scores, 1) a thread, over the builds that did not
    spill (matmul has no scores); the largest residual; the builds the committed rule (FIT) misjudges."""
    import numpy as np

    out = {}
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind and r.get("regs")]
        ok = [r for r in mine if r["stack"] == 0]
        cols = ["acc_per_thread", "scores_per_thread"] if kind == "attention" else ["acc_per_thread"]
        x = np.array([[r[c] for c in cols] + [1.0] for r in ok], dtype=float)
        y = np.array([r["regs"] for r in ok], dtype=float)
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        out[kind] = {"coefficients": dict(zip(cols + ["const"], (round(float(c), 3) for c in coef))),
                     "committed": FIT[kind], "builds": len(mine), "spilled": sum(r["stack"] > 0 for r in mine),
                     "max_residual": round(float(np.max(np.abs(y - x @ coef))), 1),
                     "misjudged": [{k: r[k] for k in ("bm", "bn", "bk_or_d", "warps", "regs", "stack")}
                                   for r in mine if r["estimated_spill"] != (r["stack"] > 0)]}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/cpu_2026-12-02d_registers"))
    p.add_argument("--quick", action="store_true", help="a few builds (a smoke run)")
    args = p.parse_args()
    kernels = {"matmul": load_example("matmul").matmul, "attention": load_example("attention").attention}
    rows = []
    for kind, inputs, blocks, tile, warps, stages in grid(args.quick):
        cfg = kopt.Config(block_sizes=blocks, num_warps=warps, num_stages=stages)
        attention = kind == "attention"
        acc, scores = features(attention, tile[0], tile[1], tile[2], warps)
        r = {"kind": kind, "bm": tile[0], "bn": tile[1], "bk_or_d": tile[2], "warps": warps, "stages": stages,
             "acc_per_thread": acc, "scores_per_thread": scores}
        r.update(build(kernels[kind], inputs, cfg))
        r["estimated_spill"] = spills(attention, tile[0], tile[1], tile[2], warps)
        rows.append(r)
        print(r, flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "builds.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = fit(rows)
    (out / "fit.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
