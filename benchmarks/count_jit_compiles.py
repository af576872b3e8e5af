"""Count Triton JIT compilations of kopt's softmax over the 98 tritonbench shapes, per reduction mode.

One kopt compile serves every shape; Triton still compiles once per distinct specialization:
constexprs (`_RDIM_SIZE_1 = next_power_of_2(N)`, block sizes), `num_warps`, and integer
arguments equal to 1 or divisible by 16. This script launches every shape and counts the
distinct specializations each generated kernel saw (exact on the GPU and on the CPU alike)
and, on the GPU, the entries of each JITFunction's own cache (what Triton really compiled).

Usage: python benchmarks/count_jit_compiles.py [--rows M] [--out FILE.json]
(M defaults to 4096 on the GPU and 1 on the CPU, where the Triton interpreter is slow.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import kopt  # noqa: E402  (chooses the Triton interpreter when there is no GPU)
from tests.helpers import load_example  # noqa: E402

SHAPES_N = [128 * i for i in range(2, 100)]
MODES = {"auto": None, "persistent": kopt.Config(reduction="persistent"),
         "looped": kopt.Config(reduction="looped"), "online": kopt.Config(reduction="online")}


class CountingKernel:
    """Stands in for a @triton.jit kernel in the generated module: records each launch's specialization."""

    def __init__(self, fn, seen: set):
        self.fn, self.seen = fn, seen
        self.names = list(getattr(fn, "arg_names", []))
        notes = getattr(getattr(fn, "fn", fn), "__annotations__", {})  # `_RDIM_SIZE_1: tl.constexpr`
        self.constexprs = {name for name, note in notes.items() if "constexpr" in str(note)}

    def __getitem__(self, grid):
        def launch(*args, **kwargs):
            key = [self.fn.__name__, kwargs.get("num_warps"), kwargs.get("num_stages")]
            for name, a in zip(self.names, args):
                if name in self.constexprs:
                    key.append((name, a))
                elif isinstance(a, int) and not isinstance(a, bool):
                    key.append((name, a == 1, a % 16 == 0))  # Triton's integer specialization
                elif isinstance(a, torch.Tensor):
                    key.append((name, str(a.dtype), a.data_ptr() % 16 == 0))
            self.seen.add(tuple(key))
            return self.fn[grid](*args, **kwargs)

        return launch


def jit_cache_entries(fn) -> int | None:
    """Entries of a JITFunction's compiled-kernel cache (Triton 3.x on a GPU), else None."""
    caches = getattr(fn, "device_caches", None)
    if not caches:
        return None
    return sum(len(v[0]) for v in caches.values())


def count(mode: str, rows: int, device: str) -> dict:
    fn = load_example("softmax").softmax.fn
    k = kopt.kernel(fn, config=MODES[mode], autotune=False)  # the launcher's own choices
    compiled = k.compile(torch.randn(rows, SHAPES_N[0], device=device))
    globs = compiled.launcher.__globals__
    seen: set = set()
    jitted = {name: obj for name, obj in globs.items() if hasattr(obj, "arg_names") and name.startswith("_softmax")}
    for name, obj in jitted.items():
        globs[name] = CountingKernel(obj, seen)
    try:
        for n in SHAPES_N:
            x = torch.randn(rows, n, device=device)
            torch.testing.assert_close(k(x), torch.softmax(x, dim=1), atol=1e-5, rtol=1e-5)
    finally:
        globs.update(jitted)
    caches = [jit_cache_entries(obj) for obj in jitted.values()]
    return {"mode": mode, "kopt_compiles": k.cache_info().misses + getattr(k.cache_info(), "disk_hits", 0),
            "specializations": len(seen), "triton_cache_entries": None if None in caches else sum(caches)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int)
    p.add_argument("--out")
    p.add_argument("--modes", default=",".join(MODES))
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rows = args.rows or (4096 if device == "cuda" else 1)
    results = [count(m, rows, device) for m in args.modes.split(",")]
    print(f"softmax, {len(SHAPES_N)} shapes ({rows} x 256..12672), {device}"
          + (f" ({torch.cuda.get_device_name()})" if device == "cuda" else ""))
    print(f"{'mode':<12}{'kopt compiles':>14}{'Triton specializations':>24}{'Triton cache entries':>22}")
    for r in results:
        print(f"{r['mode']:<12}{r['kopt_compiles']:>14}{r['specializations']:>24}{str(r['triton_cache_entries']):>22}")
    if args.out:
        Path(args.out).write_text(json.dumps({"device": device, "rows": rows, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("KOPT_CACHE_DIR", str(ROOT / ".kopt_cache"))
    sys.exit(main())
