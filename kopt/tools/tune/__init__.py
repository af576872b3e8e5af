"""`kopt tune`: autotune kernels for a fleet ahead of time, on a Ray cluster or local processes.

    from kopt.tools.tune import tune
    report = tune(["examples/softmax.py", matmul], shape_set={"softmax": "tritonbench"},
                  shapes={"matmul": [(4096, 4096, 4096)]}, ray="local", export="kernels.tar")

enumerates (kernel, specialization, size bucket, device kind), builds every candidate for each GPU arch on CPU
tasks, times them on GPU actors (one per GPU), and gathers compiled kernels, tuned configs and Triton binaries
into kopt's cache (kopt/runtime/bundle.py); `export=` writes them as a bundle. docs/tuning-at-scale.md.
"""

from __future__ import annotations

import os
from pathlib import Path

from kopt.errors import KoptError
from kopt.tools.tune.job import Job, Report
from kopt.tools.tune.plan import (Case, make_units, parse_args_spec, resolve_kernels, shape_cases)

__all__ = ["tune", "Report", "cases_for"]


def _lookup(table: dict | None, ref_id: str, kernel) -> object | None:
    """A per-kernel option given by Kernel object, `file.py:name`, or bare name."""
    if not table:
        return None
    short = ref_id.split(":")[-1]
    for key, value in table.items():
        if key is kernel or key == ref_id or key == short:
            return value
    return None


def cases_for(kernels: dict, *, shapes=None, shape_set=None, args=None, dtype=None,
              problems: list | None = None) -> list[Case]:
    """The cases the options name, per kernel: `shape_set` (a name of kopt bench's shape sets, for every kernel
    or per kernel), `shapes` (per kernel, a list of shapes), `args` (per kernel, a list of argument tuples: tensors
    of any device, `meta` ones included, and scalars; or `parse_args_spec` text). A shape set given for every
    kernel skips those whose argument layout is not known (noted in `problems`)."""
    from kopt.runtime.shape_log import describe
    from kopt.tools.bench import shapes as shape_sets
    from kopt.tools.tune.plan import maker

    cases: list[Case] = []
    for ref_id, (_ref, kernel) in kernels.items():
        name = ref_id.split(":")[-1]
        chosen = shape_set if isinstance(shape_set, str) else _lookup(shape_set, ref_id, kernel)
        if chosen and isinstance(shape_set, str) and maker(name) is None:
            if problems is not None:
                problems.append({"case": ref_id, "error": f"shape set {chosen!r} left out: no argument layout is "
                                 "known for it (give --args, or a shape log)"})
            chosen = None
        if chosen:
            try:
                listed = shape_sets.get_shapes(chosen, name if name in shape_sets.DEFAULT_SET else None)
            except (KeyError, ValueError) as e:
                raise KoptError(f"kopt tune: {name}: {str(e).strip(chr(39))}") from None
            cases += shape_cases(ref_id, listed, _lookup(dtype, ref_id, kernel) if isinstance(dtype, dict) else dtype)
        for s in _lookup(shapes, ref_id, kernel) or []:
            cases += shape_cases(ref_id, [tuple(s)], _lookup(dtype, ref_id, kernel) if isinstance(dtype, dict)
                                 else dtype)
        for a in _lookup(args, ref_id, kernel) or []:
            metas = parse_args_spec(a) if isinstance(a, str) else describe(a)
            if metas is None:
                raise KoptError(f"kopt tune: {name}: arguments {a!r} cannot be described (a function argument?)")
            cases.append(Case(ref_id, metas))
    return cases


def tune(kernels: list, *, shapes: dict | None = None, shape_set: str | dict | None = None,
         args: dict | None = None, shape_log: list | str | None = None, dtype: str | dict | None = None,
         ray: str | None = None, workers: int | None = None, archs: list[int] | None = None,
         timing: str = "auto", timing_actors: int = 1, max_candidates: int | None = None,
         time_limit: float | None = None, cache_dir: str | Path | None = None, export: str | Path | None = None,
         progress: bool = True, faults: dict | None = None) -> Report:
    """Tune `kernels` (paths `file.py`, `file.py:name`, or @kopt.kernel objects) over the cases the options
    name (see `cases_for`; `shape_log`: files KOPT_RECORD_SHAPES wrote). `ray`: a cluster address or "local";
    else `workers` local processes (0: this process). `archs`: GPU archs to build for (default: those of the
    GPUs found). `timing`: "cuda" (GPU actors), "cpu" (the Triton interpreter: tests), "none" (builds only),
    "auto" (cuda where there are GPUs, else none). `faults`: {task kind: ["exit" | "raise", ...]} makes the
    first tasks of a kind fail once (tests of the retry path)."""
    from kopt.runtime.cache import cache_dir as default_cache_dir
    from kopt.runtime.space import MAX_CANDIDATES
    from kopt.tools.tune.executors import InlineExecutor, LocalExecutor, RayExecutor
    from kopt.tools.tune.plan import log_cases

    resolved = resolve_kernels(list(kernels))
    skipped: list = []
    cases = cases_for(resolved, shapes=shapes, shape_set=shape_set, args=args, dtype=dtype, problems=skipped)
    for log in [shape_log] if isinstance(shape_log, (str, Path)) else (shape_log or []):
        found, resolved = log_cases(log, resolved)
        cases += found
    resolved = {k: v for k, v in resolved.items() if v is not None}
    if not cases:
        raise KoptError("kopt tune: no shapes to tune for",
                        notes=[f"{p['case']}: {p['error']}" for p in skipped]
                        + ["give a shape set (--shapes NAME), shapes (--shape K=4096x1024), argument types "
                           "(--args K=f16[...],...) or a shape log (--shape-log FILE)"])
    units, problems = make_units(cases, resolved)
    problems = skipped + problems
    dest = Path(cache_dir) if cache_dir else default_cache_dir()
    if ray:
        executor = RayExecutor(ray, workers)
    elif workers == 0:
        executor = InlineExecutor()
    else:
        executor = LocalExecutor(workers or os.cpu_count() or 1)
    try:
        if timing == "auto":
            timing = "cuda" if executor.gpus() else "none"
        if timing not in ("cuda", "cpu", "none"):
            raise KoptError(f"kopt tune: timing must be auto, cuda, cpu or none, not {timing!r}")
        if timing == "none" and not archs:
            raise KoptError("kopt tune: nothing to do: no GPU to time on and no GPU arch to build for",
                            notes=["give --arch 90 (builds for sm_90 without a GPU), or run where there are GPUs"])
    except BaseException:
        executor.close()
        raise
    job = Job({k: ref for k, (ref, _k) in resolved.items()}, units, executor, dest=dest, archs=list(archs or []),
              timing=None if timing == "none" else timing, timing_actors=timing_actors,
              max_candidates=max_candidates or MAX_CANDIDATES, time_limit=time_limit, progress=progress,
              faults=faults, problems=problems)
    report = job.run()
    if export:
        from kopt.runtime import native_launch
        from kopt.runtime.bundle import export_bundle

        if native_launch.enabled():  # this machine kind's C launch module travels too (used only on that kind)
            native_launch.keep_in(dest)
        report.exported = export_bundle(export, dest, device_kinds=None)
    return report
