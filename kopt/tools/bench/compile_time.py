"""``kopt bench compile``: how long kopt takes to compile each example kernel, on the CPU, nothing run.

For every ``@kopt.kernel`` in examples/: the warm compile time (frontend + passes + Triton
source, median of ``--repeat`` compiles in this process, with the median of each stage from
the timings dict), the first compile in this process (lazy imports included), and
``kernel.compile(...)`` over a shape set (default the 98 tritonbench softmax shapes, inputs of
(4096, N)) in a fresh disk cache: one kopt compile is expected for all of them. Peers, where
they run: torch.compile (``dynamic=False``: one recompile per shape, inductor's caches off;
timed on ``--peer-shapes`` of the shapes, first call minus a warm call) and Helion (static
shapes: trace + Triton source per shape). Also the wall time of ``kopt examples/softmax.py`` in
a fresh process. A table on stdout, CSV and TXT under ``--out`` (default ``out/bench``, git-ignored: a run
leaves nothing to commit; copy a run worth keeping to ``benchmarks/results/<machine>_<date>/``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from . import shapes as shape_sets
from .kopt_impl import EXAMPLES


def _softmax(x):
    return x.softmax(dim=1)


# example function -> its torch equivalent, for the torch.compile peer
EAGER = {"softmax": _softmax, "softmax_decomposed": _softmax, "add": lambda x, y: x + y,
         "row_sum": lambda x: x.sum(-1), "long_sum": lambda x: x.sum(-1)}


DEFAULT_OUT = "out/bench"  # git-ignored (.gitignore), relative to the working directory


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kopt bench compile", description=__doc__.splitlines()[0])
    p.add_argument("--examples", metavar="LIST", help="comma list of example files (default: every one)")
    p.add_argument("--shapes", default="tritonbench", metavar="NAME", help="2-D shape set (default tritonbench)")
    p.add_argument("--repeat", type=int, default=20, metavar="N", help="warm compiles per kernel (median)")
    p.add_argument("--peers", default="compile,helion", metavar="LIST", help="compile,helion or none")
    p.add_argument("--peer-shapes", type=int, default=3, metavar="K",
                   help="shapes the peers compile (evenly spread; they recompile per shape)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"where CSV and TXT go (default {DEFAULT_OUT})")
    return p


def _examples(names: list[str] | None) -> list[Path]:
    files = sorted(p for p in EXAMPLES.glob("*.py") if "@kopt.kernel" in p.read_text())
    return [p for p in files if names is None or p.stem in names]


def _kernels(path: Path) -> tuple[list, dict]:
    """The Kernel objects an example module defines (importing it runs no kernel), and the argument
    lists its main() would call them with."""
    from kopt.runtime.kernel import Kernel

    spec = importlib.util.spec_from_file_location(f"kopt_bench_compile_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [v for v in vars(module).values() if isinstance(v, Kernel)], _example_calls(module)


class _Captured(Exception):
    pass


def _example_calls(module) -> dict[str, list]:
    """The arguments of the first call of each kernel the example's `main()` makes, caught before it runs
    (so that index tensors are integers and ranks are right); the kernels are not run."""
    from kopt.runtime.kernel import Kernel

    seen: dict[str, list] = {}

    def record(self, *args, **kwargs):
        seen.setdefault(self.fn.__name__, list(self._bind(args, kwargs)))
        raise _Captured

    main, original = getattr(module, "main", None), Kernel.__call__
    Kernel.__call__ = record
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            main() if callable(main) else None
    except Exception:  # noqa: BLE001 - _Captured, or an example whose main() needs a GPU
        pass
    finally:
        Kernel.__call__ = original
    return seen


def _arg_types(k, calls: dict) -> list:
    """("tensor", torch dtype, rank) or ("int",) / ("float",) per parameter: from the example's own call,
    else as the CLI infers them (`signature=` or use), else rank-2 f32 tensors."""
    import torch

    from kopt.dialects.dtypes import from_short, torch_name
    from kopt.frontend.infer import infer_specs

    if k.fn.__name__ in calls:
        return [("tensor", v.dtype, v.dim()) if torch.is_tensor(v) else (type(v).__name__,)
                for v in calls[k.fn.__name__]]
    try:
        specs = infer_specs(k._source(), None)
    except Exception:  # noqa: BLE001
        return [("tensor", torch.float32, 2)] * len(k._params)
    return [("tensor", getattr(torch, torch_name(from_short(s.dtype))), s.rank) if hasattr(s, "rank")
            else ("int",) if s.dtype.startswith("i") else ("float",) for s in specs.values()]


def _inputs(types: list, shape: tuple) -> list:
    """Arguments of these types, sized from a 2-D shape (M, N); compile reads only their types."""
    import torch

    m, n = shape
    out = []
    for t in types:
        if t[0] != "tensor":
            out.append(1 if t[0] == "int" else 1.0)
            continue
        dims = {0: (), 1: (n,), 2: (m, n)}.get(t[2], (m, n) + (2,) * (t[2] - 2))
        out.append(torch.empty(dims, dtype=t[1]))
    return out


def kopt_times(k, types: list, shapes: list, repeat: int) -> dict:
    """Warm and first compile times of one kernel, and its compile count over the shapes."""
    from kopt.backends.triton_codegen import LaunchConfig
    from kopt.runtime.compiler import compile_kernel
    from kopt.runtime.kernel import Kernel
    from kopt.runtime.specialize import specs_and_facts

    items, _ = k._key(_inputs(types, shapes[0]))
    specs, facts = specs_and_facts(k._params, items)
    compile_once = lambda: compile_kernel(k._source(), specs, k._pipeline_for(k.config), arg_facts=facts,  # noqa: E731
                                          config=LaunchConfig(overridable=True))
    t0 = time.perf_counter()
    compile_once()
    first = time.perf_counter() - t0
    totals, stages = [], {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = compile_once()
        totals.append(time.perf_counter() - t0)
        for name, sec in result.timings.items():
            stages.setdefault(name, []).append(sec)
    # every shape through the runtime, in an empty disk cache so that the one compile is a real one
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("KOPT_CACHE_DIR")
        os.environ["KOPT_CACHE_DIR"] = tmp
        try:
            fresh = Kernel(k.fn, config=k.config if k._user_config else None, pipeline=k._pipeline,
                           static_shapes=k.static_shapes, specialize_divisibility=k.specialize_divisibility,
                           autotune=False)
            all_shapes = 0.0
            for shape in shapes:
                args = _inputs(types, shape)  # allocating them is not compiling: left out of the time
                t0 = time.perf_counter()
                fresh.compile(*args)
                all_shapes += time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("KOPT_CACHE_DIR")
            else:
                os.environ["KOPT_CACHE_DIR"] = old
    return {"warm_ms": 1e3 * statistics.median(totals), "first_ms": 1e3 * first,
            "stages_ms": {n: 1e3 * statistics.median(v) for n, v in stages.items()},
            "compiles": fresh.cache_info().misses, "all_shapes_ms": 1e3 * all_shapes}


def torch_compile_times(name: str, types: list, shapes: list) -> tuple[float | None, str]:
    """Median seconds per shape of torch.compile(dynamic=False): first call minus a warm call."""
    if name not in EAGER:
        return None, "unavailable: no torch equivalent listed for this example"
    try:
        import torch
        import torch._inductor.config as inductor_config

        from .peers import _raise_dynamo_limits

        _raise_dynamo_limits()
        inductor_config.force_disable_caches = True  # compile for real, as a cold cache would
        torch._dynamo.reset()  # kernels that share an eager function must not share its compiles
        per_shape = []
        # dynamo and inductor warn about the settings above ("dynamo_pgo force disabled ..."), once per reset:
        # noise in the table's output, so warnings raised inside torch are silenced here, and only here
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"torch\.")
            fn = torch.compile(EAGER[name], dynamic=False)
            fn(*[t.normal_() if hasattr(t, "normal_") else t for t in _inputs(types, (8, 8))])
            for shape in shapes:
                args = [t.normal_() if hasattr(t, "normal_") else t for t in _inputs(types, shape)]
                t0 = time.perf_counter()
                fn(*args)
                first = time.perf_counter() - t0
                t0 = time.perf_counter()
                fn(*args)
                per_shape.append(first - (time.perf_counter() - t0))
        return statistics.median(per_shape), "ok"
    except Exception as e:  # noqa: BLE001 - the row says why
        return None, f"failed: {type(e).__name__}: {str(e).strip().splitlines()[0][:160] if str(e).strip() else ''}"


_NOT_COVERED = ("unavailable: no torch equivalent", "unavailable: only softmax")


def helion_times(name: str, shapes: list) -> tuple[float | None, str]:
    """Median seconds per shape of Helion's trace + Triton source (static shapes, fixed config)."""
    if name != "softmax":
        return None, "unavailable: only softmax has a Helion version here"
    try:
        import torch

        from .helion_peer import CONFIG, softmax
    except Exception as e:  # noqa: BLE001
        return None, f"unavailable: helion not importable ({type(e).__name__})"
    try:
        per_shape = []
        for shape in shapes:
            t0 = time.perf_counter()
            softmax.bind((torch.empty(shape),)).to_triton_code(CONFIG)
            per_shape.append(time.perf_counter() - t0)
        return statistics.median(per_shape), "ok"
    except Exception as e:  # noqa: BLE001
        return None, f"failed: {type(e).__name__}: {str(e).strip().splitlines()[0][:160] if str(e).strip() else ''}"


def import_time_ms() -> float:
    """Milliseconds to import kopt's compile driver (xDSL, sympy, the passes) in a fresh process."""
    code = "import time; t = time.perf_counter(); import kopt.runtime.compiler; print(time.perf_counter() - t)"
    r = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=EXAMPLES.parent)
    return 1e3 * float(r.stdout.strip())


def cli_wall(runs: int = 3) -> float:
    """Median wall seconds of `kopt examples/softmax.py` (emit only) in a fresh process."""
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kopt.tools.cli", str(EXAMPLES / "softmax.py")], check=True,
                       capture_output=True, cwd=EXAMPLES.parent)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def _spread(shapes: list, k: int) -> list:
    if k >= len(shapes):
        return shapes
    return [shapes[round(i * (len(shapes) - 1) / max(1, k - 1))] for i in range(k)]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import_ms = import_time_ms()
    shapes = shape_sets.get_shapes(args.shapes)
    peers = [] if args.peers == "none" else [p.strip() for p in args.peers.split(",") if p.strip()]
    peer_shapes = _spread(shapes, args.peer_shapes)
    rows, stage_rows = [], []
    wanted = None if not args.examples else [e.strip() for e in args.examples.split(",")]
    for path in _examples(wanted):
        try:
            kernels, calls = _kernels(path)
        except Exception as e:  # noqa: BLE001 - an example in progress must not stop the others
            rows.append({"kernel": path.stem, "status": f"failed to import: {type(e).__name__}: {e}"[:200]})
            continue
        for k in kernels:
            row = {"kernel": k.fn.__name__, "status": "ok"}
            types = _arg_types(k, calls)
            try:
                row.update(kopt_times(k, types, shapes, args.repeat))
            except Exception as e:  # noqa: BLE001
                row["status"] = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
            if "compile" in peers:
                row["compile_s"], row["compile_status"] = torch_compile_times(k.fn.__name__, types, peer_shapes)
            if "helion" in peers:
                row["helion_s"], row["helion_status"] = helion_times(k.fn.__name__, peer_shapes)
            rows.append(row)
            stage_rows += [(k.fn.__name__, n, v) for n, v in row.get("stages_ms", {}).items()]
    wall = cli_wall()
    text = format_table(rows, args, len(shapes), len(peer_shapes), import_ms, wall)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"compile_{args.shapes}.txt").write_text(text + "\n")
    write_csv(out / f"compile_{args.shapes}.csv", rows, stage_rows, import_ms, wall)
    print(f"wrote csv: {out / f'compile_{args.shapes}.csv'}\nwrote txt: {out / f'compile_{args.shapes}.txt'}")
    return 0


def _f(v, scale=1.0, fmt="{:.2f}") -> str:
    return "-" if v is None else fmt.format(v * scale)


def format_table(rows, args, n_shapes, n_peer, import_ms, wall) -> str:
    import platform

    import torch

    head = ["kernel", "warm ms", "first ms", f"compiles/{n_shapes}", f"{n_shapes} shapes ms",
            "torch.compile s/shape", f"torch.compile x{n_shapes} s", "helion s/shape"]
    grid = [head]
    notes = []
    for r in rows:
        cs, hs = r.get("compile_s"), r.get("helion_s")
        grid.append([r["kernel"], _f(r.get("warm_ms")), _f(r.get("first_ms")), str(r.get("compiles", "-")),
                     _f(r.get("all_shapes_ms"), fmt="{:.0f}"), _f(cs), _f(cs, n_shapes, "{:.0f}"), _f(hs)])
        for key in ("status", "compile_status", "helion_status"):
            if r.get(key, "ok") != "ok" and not r[key].startswith(_NOT_COVERED):
                notes.append(f"  {r['kernel']}: {key.split('_')[0] if key != 'status' else 'kopt'}: {r[key]}")
    widths = [max(len(row[i]) for row in grid) for i in range(len(head))]
    lines = [f"kopt bench compile  shapes={args.shapes} ({n_shapes})  repeat={args.repeat}  "
             f"peers on {n_peer} shapes (x{n_shapes} is an estimate)",
             f"device: cpu ({platform.machine()}, {os.cpu_count()} cores)  torch {torch.__version__}  "
             f"python {platform.python_version()}",
             f"import of kopt's compile driver (fresh process): {import_ms:.0f} ms;  "
             f"`kopt examples/softmax.py` in a fresh process: {wall:.2f} s wall"]
    for i, row in enumerate(grid):
        lines.append("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
        if i == 0:
            lines.append("-" * len(lines[-1]))
    stages = [r for r in rows if r.get("stages_ms")]
    if stages:
        lines.append("per stage, median ms:")
        for r in stages:
            lines.append(f"  {r['kernel']}: " + ", ".join(f"{n} {v:.2f}" for n, v in r["stages_ms"].items()))
    lines.append(f"torch.compile: kernels with a torch equivalent ({', '.join(sorted(EAGER))}); "
                 "helion: softmax (kopt/tools/bench/helion_peer.py)")
    if notes:
        lines += ["notes:"] + notes
    return "\n".join(lines)


def write_csv(path: Path, rows, stage_rows, import_ms, wall) -> None:
    """Long format: kernel, impl, metric, value, status."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["kernel", "impl", "metric", "value", "status"])
        w.writerow(["-", "kopt", "import_ms", f"{import_ms:.3f}", "ok"])
        w.writerow(["softmax", "kopt-cli", "fresh_process_wall_s", f"{wall:.3f}", "ok"])
        for r in rows:
            for metric in ("warm_ms", "first_ms", "compiles", "all_shapes_ms"):
                if metric in r:
                    w.writerow([r["kernel"], "kopt", metric, r[metric], r["status"]])
            if r.get("status", "ok") != "ok" and "warm_ms" not in r:
                w.writerow([r["kernel"], "kopt", "warm_ms", "", r["status"]])
            for impl in ("compile", "helion"):
                if f"{impl}_status" in r:
                    w.writerow([r["kernel"], impl, "s_per_shape", r[f"{impl}_s"] or "", r[f"{impl}_status"]])
        for kernel, stage, ms in stage_rows:
            w.writerow([kernel, "kopt", f"stage_ms:{stage}", f"{ms:.4f}", "ok"])
