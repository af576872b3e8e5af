"""The generated Triton source of the fastest tuned attention, causal attention and matmul configs of a GPU run (issue
17's must-show: the source beside the results), written from the run's autotune entries on this machine (CPU: the
source a CUDA call compiles, as build_for_target makes it; nothing runs).

Per kernel and dtype, the shape kopt ran fastest in the run's tables (RESULTS/<table>/*.csv, `kopt bench`'s) and the
tuned config of its size bucket (ENTRIES dirs: the run's KOPT_CACHE_DIR/autotune entries); its source written to
OUT/<kernel>_<dtype>_<shape>.py with a header naming the config, the shape and the figure.
Usage: python benchmarks/tuned_sources.py RESULTS ENTRIES_DIR... [--out DIR]
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
from kopt.runtime.config import Config  # noqa: E402
from kopt.runtime.specialize import size_bucket  # noqa: E402
from kopt.runtime.target_build import gpu_items  # noqa: E402
from kopt.tools.bench.specs import dtype_of  # noqa: E402
from tests.helpers import load_example  # noqa: E402

_KEY_DTYPES = {"fp16": "f16", "bf16": "bf16"}  # the bench's dtype names -> those in the tuner's keys


def _fastest(results: Path) -> dict:
    """(kernel, dtype) -> (TFLOP/s, shape as run) of kopt's fastest shape in the tables under `results`."""
    best = {}
    for f in results.glob("*/*.csv"):
        for row in csv.DictReader(open(f)):
            if row["impl"] == "kopt" and row["status"] == "ok" and row["kernel"] in ("matmul", "attention",
                                                                                     "causal_attention"):
                key, rate = (row["kernel"], row["dtype"]), float(row["gbps_or_tflops"])
                if rate > best.get(key, (0,))[0]:
                    best[key] = (rate, tuple(int(x) for x in row["shape"].split("x")))
    return best


def call_args(kernel: str, dtype: str, shape: tuple) -> list:
    """CPU tensors standing in for the bench's call at `shape` (matmul: M x N x K; attention: q, k, v)."""
    dt = dtype_of(dtype)
    if kernel == "matmul":
        m, n, k = shape
        return [torch.empty(m, k, dtype=dt), torch.empty(k, n, dtype=dt)]
    return [torch.empty(shape, dtype=dt) for _ in range(3)]


def tuned_config(dirs: list[Path], kernel: str, dtype: str, bucket: tuple) -> Config | None:
    for d in dirs:
        for f in sorted(d.glob("*.json")):
            entry = json.loads(f.read_text())
            key = entry["key"]
            if key["kernel"] == kernel and eval(key["args"])[0][1] == dtype \
                    and eval(key["bucket"])[:len(bucket)] == bucket:  # noqa: S307 - tuples the tuner wrote
                return Config.from_json(entry["value"]["config"])
    return None


def source_for(kernel: str, args: list, cfg: Config) -> str:
    fn = getattr(load_example(kernel), kernel)
    items, _device = fn._key(fn._bind(args, {}))
    compiled = fn._variant(gpu_items(items), "cuda", cfg.compile_part() if cfg.compile_part() != Config() else fn.config)
    return compiled.triton_source


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", type=Path)
    p.add_argument("dirs", nargs="+", type=Path)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/h200_2026-12-02d/fastest_sources")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for (kernel, bench_dtype), (rate, shape) in sorted(_fastest(args.results).items()):
        inputs = call_args(kernel, bench_dtype, shape)
        cfg = tuned_config(args.dirs, kernel, _KEY_DTYPES[bench_dtype], size_bucket(inputs))
        if cfg is None:
            print(f"{kernel} {bench_dtype} {shape}: no tuned entry for its bucket")
            continue
        label = "x".join(map(str, shape))
        path = args.out / f"{kernel}_{bench_dtype}_{label}.py"
        header = (f"# kopt {kopt.__version__}: examples/{kernel}.py, {bench_dtype} {label} (matmul: M x N x K; attention: "
                  f"batch*heads x seq x head dim), kopt's fastest shape of the run's table ({rate:.0f} TFLOP/s, H200)."
                  f"\n# Tuned config: {cfg!r} "
                  "(block sizes, warps and stages are passed at launch; fields that change the code are compiled "
                  "into this source).\n")
        path.write_text(header + source_for(kernel, inputs, cfg))
        print(path, f"{rate:.0f} TFLOP/s", cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
