"""Compile autotune candidates in parallel worker processes, before they are timed one by one.

On the GPU each candidate's block sizes and warps make a separate Triton JIT compile
(≈ 0.1–0.6 s on an H100); kopt's own compile is shared. A worker imports the
generated module, allocates arguments of the same shapes, strides and dtypes, and
calls the launcher with the candidate's `_config`, its kernels swapped for
`JITFunction.warmup` (compile, no launch). Triton's on-disk cache then hands each
binary to the tuning process, whose own first launch of that variant only loads it.

Workers are `python -m kopt.runtime.precompile` processes that read one JSON job per
line, kept for the life of the process and fed by a `concurrent.futures` thread
pool. Not multiprocessing's spawn: that re-imports the user's main script in every
worker, which would rerun any script without an `if __name__ == "__main__":` guard.
KOPT_AUTOTUNE_WORKERS sets the pool size; 0 compiles in the tuning process instead.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from kopt.runtime.fast_launch import launched_kernels, warmup_plain_where_failing

_WORKERS: list["_Worker"] = []
_IDLE: queue.Queue = queue.Queue()
_START = threading.Lock()
_MODULES: dict[str, object] = {}  # in a worker: generated modules already imported


def worker_count(device: str, n_candidates: int, arg_bytes: int) -> int:
    """How many workers to use: KOPT_AUTOTUNE_WORKERS, else up to 8 on CUDA (none for the
    interpreter, which compiles nothing), bounded by free GPU memory for each one's arguments."""
    env = os.environ.get("KOPT_AUTOTUNE_WORKERS")
    n = int(env) if env else (min(8, os.cpu_count() or 1) if device == "cuda" else 0)
    if device == "cuda" and n:
        import torch

        free, _ = torch.cuda.mem_get_info()
        n = min(n, int(free * 0.5) // max(1, 3 * arg_bytes))  # inputs, outputs and slack per worker
    return max(0, min(n, n_candidates))


class _Worker:
    """One long-lived worker process; `run(job)` sends a job and waits for its answer."""

    def __init__(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen([sys.executable, "-m", "kopt.runtime.precompile"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)

    def run(self, job: dict) -> str | None:
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:  # the worker died (a crash in the compiler): the tuning process tries this one itself
            raise RuntimeError(f"compile worker exited with {self.proc.wait()}")
        return json.loads(line)["error"]


def _ensure_workers(n: int) -> None:
    with _START:
        while len(_WORKERS) < n:
            w = _Worker()
            _WORKERS.append(w)
            _IDLE.put(w)


def _on_worker(job: dict) -> str | None:
    w = _IDLE.get()
    try:
        return w.run(job)
    except (OSError, RuntimeError, ValueError):  # a dead or closed worker: replace it for the next job
        with _START:
            if w in _WORKERS:
                _WORKERS.remove(w)
            w.proc.kill()
            w.proc.stdout.close()
            w = _Worker()
            _WORKERS.append(w)
        return None
    finally:
        _IDLE.put(w)


@atexit.register
def shutdown() -> None:
    """Stop every worker (they also exit on their own when this process closes their stdin)."""
    while not _IDLE.empty():
        _IDLE.get_nowait()
    while _WORKERS:
        w = _WORKERS.pop()
        try:
            w.proc.stdin.close()
            w.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - best effort at exit
            w.proc.kill()
        w.proc.stdout.close()


def describe(args: list) -> list:
    """What a worker needs to rebuild the arguments: tensors as (shape, stride, dtype, device)."""
    import torch

    return [["tensor", list(a.shape), list(a.stride()), str(a.dtype).removeprefix("torch."), str(a.device)]
            if torch.is_tensor(a) else ["value", a] for a in args]


def precompile(jobs: dict, args: list, n_workers: int, on_done=None) -> dict:
    """`jobs`: key -> (generated module path, launcher name, `_config` overrides). Returns key -> error
    text, or None where it compiled (or where the tuning process should try it itself)."""
    metas = describe(args)
    _ensure_workers(n_workers)
    with cf.ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = {pool.submit(_on_worker, {"path": str(path), "name": name, "metas": metas,
                                            "overrides": overrides}): key
                   for key, (path, name, overrides) in jobs.items()}
        errors = {}
        for fut in cf.as_completed(futures):
            errors[futures[fut]] = fut.result()
            if on_done:
                on_done()
    return errors


# ---------------------------------------------------------------- runs in the worker process


class _CompileOnly:
    """`kernel[grid](...)` that compiles (Triton's `warmup`) instead of launching; where Triton's compiler
    fails on a form a constexpr asks for (warp-specialized loops, the 2-D form of batched dots) it compiles the
    plain one, as the launch would (fast_launch.py)."""

    def __init__(self, fn):
        self.fn = fn

    def __getitem__(self, grid):
        return lambda *args, **kwargs: warmup_plain_where_failing(self.fn, grid, args, kwargs)[0]


def _load(path: str):
    if path not in _MODULES:
        # named as kernel._load_source names it (`..._<source digest>`): the launch records its builds leave
        # (launch_records.py) are found by that digest
        spec = importlib.util.spec_from_file_location(f"kopt_generated_{Path(path).stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        from triton.runtime.jit import JITFunction

        launched = launched_kernels(Path(path).read_text())  # not helpers such as a prod's combine function
        for k, v in list(vars(module).items()):
            if k in launched and isinstance(v, JITFunction) and hasattr(v, "warmup"):  # the interpreter's just run
                setattr(module, k, _CompileOnly(v))
        _MODULES[path] = module
    return _MODULES[path]


def _rebuild(meta):
    import torch

    if meta[0] == "value":
        return meta[1]
    _, shape, stride, dtype, device = meta
    t = torch.empty_strided(shape, stride, dtype=getattr(torch, dtype), device=device)
    return t.normal_() if t.is_floating_point() else t.zero_()


def warm(path: str, name: str, metas: list, overrides: dict) -> str | None:
    """Compile (GPU) or run (interpreter) one candidate; None, or why it cannot work."""
    try:
        import torch

        launcher = getattr(_load(path), name)
        args = [_rebuild(m) for m in metas]
        launcher(*args, _config=overrides)
        if any(m[0] == "tensor" and m[4].startswith("cuda") for m in metas):
            torch.cuda.synchronize()
        return None
    except Exception as e:  # noqa: BLE001 - reported to the tuner, which drops the candidate
        lines = str(e).strip().splitlines()
        return f"{type(e).__name__}: {lines[0] if lines else ''}"[:200]


def main() -> None:
    """Worker loop: one JSON job per stdin line, one JSON answer per line on the original stdout."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything the compiled code prints stays off the answer channel
    for line in sys.stdin:
        job = json.loads(line)
        answers.write(json.dumps({"error": warm(job["path"], job["name"], job["metas"], job["overrides"])}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
