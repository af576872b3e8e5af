"""Tune once, start with zero compiles: `kopt tune` on a one-GPU machine, then a fresh process with the bundle
against a fresh process with an empty cache.

Phase `tune`: softmax (fp32, the 98 tritonbench shapes 4096 x 256..12672), rms_norm (fp32, 8192 x 1K..32K),
matmul (fp16, six shapes) and attention (fp16, four (batch * heads, seq, d) shapes) tuned with Ray (`--local`:
local processes, where Ray is not installed): every candidate built for the GPU's arch on CPU tasks, timed on one
actor per GPU; the bundle exported to OUT/kernels.tar. Phases `bundle` and `empty`: a fresh process (fresh
KOPT_CACHE_DIR and TRITON_CACHE_DIR) runs every shape of every kernel once, after importing the bundle or not, and
counts per kernel: kopt compiles (cache_info().misses), Triton JIT compiles and Triton cache loads (Triton's
compilation listener: cache_hit false / true), tunings (calls of kopt's autotuner), the first call's ms and the sum
of every shape's first call (ms), and checks the first shape against torch. Phase `report`: the table.

Usage (on a GPU machine; each phase fits in a few minutes, `all` runs them in order):
    python benchmarks/gpu_tune_bundle.py [all|tune|bundle|empty|report] [--out DIR] [--local] [--max-candidates N]
        [--kernels softmax,rms_norm,matmul,attention] [--plan-only]
Results: OUT (default out/gpu_tune_bundle, git-ignored): tune.json, bundle.json, empty.json, report.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KERNELS = {  # name: (kernel, dtype, shapes)
    "softmax": ("examples/softmax.py:softmax", "fp32", [(4096, 128 * i) for i in range(2, 100)]),
    "rms_norm": ("examples/rms_norm.py:rms_norm", "fp32", [(8192, 1024 << i) for i in range(6)]),
    "matmul": ("examples/matmul.py:matmul", "fp16", [(1024, 1024, 1024), (2048, 2048, 2048), (4096, 4096, 4096),
                                                      (8192, 8192, 8192), (4096, 4096, 1024), (8192, 1024, 4096)]),
    "attention": ("examples/attention.py:attention", "fp16", [(32, 1024, 64), (32, 2048, 64), (16, 4096, 64),
                                                              (32, 1024, 128)]),
}


# --cpu-smoke: the whole script on a machine without a GPU (tiny shapes, the interpreter times, builds for sm_90),
# to check it end to end before spending GPU time on it; its figures mean nothing
SMOKE = {"softmax": ("examples/softmax.py:softmax", "fp32", [(8, 100), (8, 128)]),
         "rms_norm": ("examples/rms_norm.py:rms_norm", "fp32", [(8, 64)]),
         "matmul": ("examples/matmul.py:matmul", "fp32", [(16, 16, 16)]),
         "attention": ("examples/attention.py:attention", "fp32", [(2, 16, 16)])}


def _selected(args) -> dict:
    table = SMOKE if args.cpu_smoke else KERNELS
    names = [n.strip() for n in args.kernels.split(",") if n.strip()]
    unknown = [n for n in names if n not in table]
    if unknown:
        sys.exit(f"unknown kernels {unknown}; known: {', '.join(table)}")
    return {n: table[n] for n in names}


def _device(args) -> str:
    return "cpu" if args.cpu_smoke else "cuda"


# ---------------------------------------------------------------- phase tune


def tune_phase(args, out: Path) -> None:
    from kopt.tools.tune import tune

    kernels = _selected(args)
    specs = [str(ROOT / k.split(":")[0]) + ":" + k.split(":")[1] for k, _, _ in kernels.values()]
    shapes = {name: shapes for name, (_, _, shapes) in kernels.items()}
    dtypes = {name: dtype for name, (_, dtype, _) in kernels.items()}
    if args.plan_only:
        from kopt.tools.tune.plan import make_units, resolve_kernels
        from kopt.tools.tune import cases_for

        resolved = resolve_kernels(specs)
        units, problems = make_units(cases_for(resolved, shapes=shapes, dtype=dtypes), resolved)
        for u in units:
            print(f"{u.label:<45} {len(u.cases):>3} shapes, {len(u.groups)} Triton groups")
        print(f"{len(units)} units; problems: {problems or 'none'}")
        return
    t0 = time.perf_counter()
    smoke = {"timing": "cpu", "archs": [90], "max_candidates": 2} if args.cpu_smoke else {}
    report = tune(specs, shapes=shapes, dtype=dtypes, ray=None if args.local else "local",
                  **{"max_candidates": args.max_candidates, **smoke}, cache_dir=out / "tuned",
                  export=out / "kernels.tar")
    wall = time.perf_counter() - t0
    print(report.summary())
    print(f"tune job: {wall:.1f} s wall; bundle {out / 'kernels.tar'}: {report.exported}")
    (out / "tune.json").write_text(json.dumps({"wall_s": wall, **report.to_json()}, indent=1, default=str))


# ---------------------------------------------------------------- phases bundle / empty (a fresh process each)


def run_phase(args, out: Path, mode: str) -> None:
    """A fresh process with fresh caches; `bundle` imports the bundle first."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env.update(KOPT_CACHE_DIR=str(out / f"{mode}-kopt"), TRITON_CACHE_DIR=str(out / f"{mode}-triton"),
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                          if p]), PYTHONUNBUFFERED="1", **({"TRITON_INTERPRET": "1"} if args.cpu_smoke else {}))
    for d in (out / f"{mode}-kopt", out / f"{mode}-triton"):
        if d.exists():
            import shutil

            shutil.rmtree(d)
    cmd = [sys.executable, __file__, "child", "--mode", mode, "--out", str(out), "--kernels", args.kernels] \
        + ["--cpu-smoke"] * args.cpu_smoke
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    (out / f"{mode}.log").write_text(r.stdout + "\n--- stderr ---\n" + r.stderr)
    if r.returncode != 0:
        sys.exit(f"the {mode} process failed:\n{r.stderr[-3000:]}")
    print(r.stdout.strip().splitlines()[-1][:300])


def _inputs(name: str, shape: tuple, dtype_name: str, device: str):
    import torch

    from kopt.tools.bench.specs import SPECS

    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype_name]
    if name in SPECS:
        return SPECS[name].inputs(shape, dtype, device)
    bh, seq, d = shape
    torch.manual_seed(0)
    return tuple(torch.randn(bh, seq, d, device=device, dtype=dtype) for _ in range(3))


def _reference(name: str, inputs):
    import torch

    from kopt.tools.bench.specs import SPECS

    if name in SPECS:
        return SPECS[name].reference(inputs)
    q, k, v = (t.float() for t in inputs)
    return torch.nn.functional.scaled_dot_product_attention(q, k, v)


def child(args, out: Path) -> None:
    import torch
    from triton import knobs

    from kopt.runtime import autotune
    from kopt.tools.tune.plan import load_file

    device = _device(args)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    current = {"name": None}
    counts: dict = {}

    def listen(*, src, metadata, metadata_group, times, cache_hit):
        c = counts.setdefault(current["name"], {"jit_compiles": 0, "jit_loads": 0, "tunings": 0})
        c["jit_loads" if cache_hit else "jit_compiles"] += 1

    knobs.compilation.listener = listen
    real_tune = autotune.tune

    def counted_tune(*a, **k):
        counts.setdefault(current["name"], {"jit_compiles": 0, "jit_loads": 0, "tunings": 0})["tunings"] += 1
        return real_tune(*a, **k)

    autotune.tune = counted_tune
    import_ms = None
    if args.mode == "bundle":
        from kopt.runtime.bundle import import_bundle

        t0 = time.perf_counter()
        import_bundle(out / "kernels.tar")
        import_ms = (time.perf_counter() - t0) * 1e3
    triton_dir = Path(os.environ["TRITON_CACHE_DIR"])

    def entries() -> set:  # Triton cache entries on disk: compiled here, by the autotuner's worker processes
        return {p.parent.name for p in triton_dir.glob("*/__grp__*.json")}  # (which the listener does not see),
        # or installed from the bundle

    results = {}
    for name, (spec, dtype, shapes) in _selected(args).items():
        file, attr = spec.split(":")
        kernel = getattr(load_file(ROOT / file), attr)
        current["name"] = name
        before = entries()
        counts.setdefault(name, {"jit_compiles": 0, "jit_loads": 0, "tunings": 0})
        firsts, ok = [], None
        for i, shape in enumerate(shapes):
            inputs = _inputs(name, shape, dtype, device)
            sync()
            profile = None
            if i == 0 and os.environ.get("PROFILE_FIRST_CALL"):  # where a first call's ms go (cProfile, top 25)
                import cProfile

                profile = cProfile.Profile()
                profile.enable()
            t0 = time.perf_counter()
            got = kernel(*inputs)
            sync()
            firsts.append((time.perf_counter() - t0) * 1e3)
            if profile is not None:
                import io
                import pstats

                profile.disable()
                text = io.StringIO()
                pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
                (out / f"{args.mode}_{name}_first_call_profile.txt").write_text(text.getvalue())
            if i == 0:
                want = _reference(name, inputs)
                tol = 2e-2 if dtype != "fp32" else 1e-3
                ok = bool(torch.allclose(got.float(), want.float(), atol=tol * max(1.0, float(want.abs().mean())),
                                         rtol=tol))
            del inputs, got
        info = kernel.cache_info()
        results[name] = {"shapes": len(shapes), "kopt_compiles": info.misses, "disk_hits": info.disk_hits,
                         "new_triton_cache_entries": len(entries() - before),
                         **counts[name], "first_call_ms": firsts[0], "all_first_calls_ms": sum(firsts),
                         "max_first_call_ms": max(firsts), "first_shape_matches_torch": ok}
    summary = {"mode": args.mode, "device": torch.cuda.get_device_name() if device == "cuda" else "cpu (smoke)",
               "import_ms": import_ms, "kernels": results}
    (out / f"{args.mode}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


# ---------------------------------------------------------------- phase report


def report_phase(out: Path) -> None:
    runs = {m: json.loads((out / f"{m}.json").read_text()) for m in ("bundle", "empty") if (out / f"{m}.json").exists()}
    lines = []
    if (out / "tune.json").exists():
        t = json.loads((out / "tune.json").read_text())
        lines.append(f"tune job: {len(t['units'])} units, {t['builds_ok']} builds ok, {t['builds_failed']} failed, "
                     f"{t['timed']} tuned on {', '.join(t['device_kinds'])}; {t['wall_s']:.1f} s on {t['executor']}")
        timing = t.get("triton", {}).get("time", {})
        lines.append(f"timing actors: Triton compiled {timing.get('compiled')} kernels, loaded {timing.get('loaded')} "
                     "built by the CPU tasks (compiled 0: the sm_XX builds are the binaries the GPU's JIT looks up)")
    for mode, r in runs.items():
        lines.append(f"{mode}: {r['device']}" + (f", bundle imported in {r['import_ms']:.0f} ms" if r["import_ms"]
                                                 else ""))
    lines.append("JIT compiles: Triton compiles in the process; new entries: Triton cache entries that appeared while "
                 "the kernel ran (compiled there or by the autotuner's worker processes, or installed from the bundle)")
    head = (f"{'kernel':<10}{'shapes':>7} | {'mode':<7}{'kopt compiles':>14}{'JIT compiles':>13}{'JIT loads':>10}"
            f"{'new entries':>12}{'tunings':>8}{'first call ms':>14}{'all first calls ms':>19}  torch")
    lines += ["", head, "-" * len(head)]
    for name in KERNELS:
        for mode, r in runs.items():
            k = r["kernels"].get(name)
            if k is None:
                continue
            lines.append(f"{name:<10}{k['shapes']:>7} | {mode:<7}{k['kopt_compiles']:>14}{k['jit_compiles']:>13}"
                         f"{k['jit_loads']:>10}{k.get('new_triton_cache_entries', '?'):>12}{k['tunings']:>8}"
                         f"{k['first_call_ms']:>14.1f}"
                         f"{k['all_first_calls_ms']:>19.1f}  {'ok' if k['first_shape_matches_torch'] else 'WRONG'}")
    text = "\n".join(lines)
    (out / "report.txt").write_text(text + "\n")
    print(text)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("phase", nargs="?", default="all", choices=("all", "tune", "bundle", "empty", "report", "child"))
    p.add_argument("--out", default=str(ROOT / "out" / "gpu_tune_bundle"))
    p.add_argument("--local", action="store_true", help="local worker processes instead of a local Ray cluster")
    p.add_argument("--max-candidates", type=int, default=None, help="cap per (kernel, bucket) (default 24)")
    p.add_argument("--kernels", default=",".join(KERNELS))
    p.add_argument("--plan-only", action="store_true", help="print the units the job would tune, and stop (CPU)")
    p.add_argument("--cpu-smoke", action="store_true", help="tiny shapes, no GPU: check the script end to end")
    p.add_argument("--mode", help=argparse.SUPPRESS)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.phase == "child":
        child(args, out)
        return 0
    if not args.plan_only and not args.cpu_smoke:
        import torch

        assert torch.cuda.is_available(), "needs a GPU (or --plan-only)"
    if args.phase in ("all", "tune"):
        tune_phase(args, out)
        if args.plan_only:
            return 0
    for mode in ("bundle", "empty"):
        if args.phase in ("all", mode):
            run_phase(args, out, mode)
    if args.phase in ("all", "report"):
        report_phase(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
