"""The work of a tuning job, as it runs on a worker: one function per task kind, each self-contained.

A task is a dict (picklable, no live objects): the kernel's reference (file, name, the file's text), a case's
argument descriptions, and what to do. Every task runs with kopt's and Triton's caches pointed at scratch
directories of its worker process, seeded with what it needs (`seed`: kopt entries and Triton binaries the job
already has), and returns what it produced there (`files`): the kopt cache entries it wrote and every Triton
binary its launches compiled or loaded. The job gathers those into one cache; nothing depends on a worker
sharing a disk with the job.

Kinds:
  describe  (timing actors) the device kind and compute capability this worker times on.
  prepare   kopt compiles the kernel for the GPU and lists the unit's candidate configs (capped).
  build     one candidate built for a GPU arch by Triton's compiler, no GPU needed (runtime/target_build.py).
  time      (timing actors) the unit tuned on the device: every candidate checked and timed, the winner stored
            under the key a deployed process looks up.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

_SCRATCH: list[Path] = []


class TaskError(Exception):
    """A task that ran and failed (a candidate that does not build): retried once, then recorded."""


def scratch() -> Path:
    """This worker process's scratch directory: removed when it exits, or (Ray kills its workers without running
    exit handlers; a crash runs none) by the next worker on this host that finds its process gone."""
    if not _SCRATCH:
        base = Path(tempfile.gettempdir()) / "kopt-tune-scratch"
        base.mkdir(exist_ok=True)
        for old in base.iterdir():
            pid = old.name.split("-", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))
        atexit.register(shutil.rmtree, path, True)
        _SCRATCH.append(path)
    return _SCRATCH[0]


def pid_alive(pid: int) -> bool:
    """Whether a process of this id exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _environment(values: dict):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_task(task: dict) -> dict:
    """Run one task in this process; returns its result with `files`, raises TaskError (or any error) when it
    fails. `task["fault"]` ("exit", "raise") makes it fail on purpose: the job's retry path, under test."""
    fault = task.get("fault")
    if fault == "exit":
        os._exit(17)  # a worker that dies
    if fault == "raise":
        raise TaskError("injected fault")
    root = scratch()
    env = {"KOPT_CACHE_DIR": str(root / "kopt"), "TRITON_CACHE_DIR": str(root / "triton"),
           "KOPT_AUTOTUNE_WORKERS": "0"}
    with _environment(env):
        if task["kind"] == "describe":
            return describe_device(task)
        from kopt.runtime import bundle

        if task.get("seed"):
            bundle.gather(task["seed"], root / "kopt")
            for t in task["seed"].get("triton", []):
                bundle.install_triton_kernels(t["source"], root / "kopt", root / "triton")
        with Collector(root) as collected:
            result = {"prepare": prepare, "build": build, "time": time_unit}[task["kind"]](task)
        result["files"] = collected.files()
        result["triton"] = dict(collected.counts)
        from kopt.runtime.cache import compiler_fingerprint

        result["worker"] = f"{socket.gethostname()}:{os.getpid()}"
        result["kopt"] = compiler_fingerprint()  # what the entries are keyed by: the job checks it is its own
        return result


# ---------------------------------------------------------------- what a task produced


class Collector:
    """The kopt cache entries a task read or wrote (not only new ones: a worker outlives a job, and each job
    gathers into its own cache) and the Triton binaries its launches compiled or loaded (Triton's compilation
    listener sees both)."""

    def __init__(self, root: Path):
        self.kopt = root / "kopt"
        self.triton: dict[str, dict] = {}
        self.touched: set[Path] = set()
        self.counts = {"compiled": 0, "loaded": 0}  # Triton kernels the task's launches compiled / loaded
        self._knobs = None

    def __enter__(self):
        from kopt.runtime import mode
        from kopt.runtime.cache import DiskCache

        load, store, touched = DiskCache.load, DiskCache.store, self.touched
        self._saved = (load, store)

        def loading(cache, key, required=()):
            value = load(cache, key, required)
            if value is not None:
                touched.add(cache.path(key))
            return value

        def storing(cache, key, value):
            path = store(cache, key, value)
            if path is not None:
                touched.add(path)
            return path

        DiskCache.load, DiskCache.store = loading, storing
        if "triton" in sys.modules or not mode.interpreting():
            from triton import knobs

            self._knobs = knobs
            self._previous = knobs.compilation.listener
            knobs.compilation.listener = self._listen
        return self

    def __exit__(self, *exc):
        from kopt.runtime.cache import DiskCache

        DiskCache.load, DiskCache.store = self._saved
        if self._knobs is not None:
            self._knobs.compilation.listener = self._previous
        return False

    def _listen(self, *, src, metadata, metadata_group, times, cache_hit):
        self.counts["loaded" if cache_hit else "compiled"] += 1
        from kopt.runtime.launch_records import module_digest, target_arch

        arch, digest = target_arch(metadata.get("target")), module_digest(src)
        paths = list(metadata_group.values())
        if paths and digest is not None and arch is not None:
            where = Path(paths[0]).parent
            self.triton[where.name] = {"dir": where, "arch": int(arch), "source": digest,
                                       "version": str(metadata.get("triton_version") or _triton_version())}
        if self._previous is not None:
            self._previous(src=src, metadata=metadata, metadata_group=metadata_group, times=times,
                           cache_hit=cache_hit)

    def files(self) -> dict:
        kopt = {}
        for path in self.touched:
            try:
                rel = path.relative_to(self.kopt).as_posix()
                kopt[rel] = path.read_bytes()
            except (ValueError, OSError):  # outside the scratch cache, or gone
                continue
        triton = []
        for name, t in self.triton.items():
            groups = sorted(t["dir"].glob("__grp__*.json"))
            if not groups:
                continue
            import json

            children = json.loads(groups[0].read_text())["child_paths"]
            files = {groups[0].name: groups[0].read_bytes()}
            # (a group kopt keeps names its files bare, beside it; Triton's name them by absolute path)
            files.update({Path(p).name: (groups[0].parent / p).read_bytes() for p in children.values()})
            triton.append({"name": name, "arch": t["arch"], "source": t["source"], "version": t["version"],
                           "files": files})
        return {"kopt": kopt, "triton": triton}


def _triton_version() -> str:
    from kopt.runtime.bundle import triton_version

    return triton_version()


# ---------------------------------------------------------------- kernels and arguments


def load_kernel(ref: dict):
    """The @kopt.kernel object `ref` names, run afresh for every task (no state carried between tasks) from the
    file's text as the job read it, under the file's own path even where this host does not have the file: kopt
    keys compiles by the kernel's file and position (its launchers raise errors located there), so a worker on
    another host must compile what the deployed process will look up."""
    import linecache
    import types

    from kopt.runtime.kernel import Kernel

    path, text = ref["file"], ref["source"]
    linecache.cache[path] = (len(text), None, text.splitlines(True), path)  # inspect reads the source from here
    if str(Path(path).parent) not in sys.path:
        sys.path.insert(0, str(Path(path).parent))
    name = f"kopt_tune_task_{hashlib.sha256(path.encode()).hexdigest()[:12]}"
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(compile(text, path, "exec"), module.__dict__)  # noqa: S102 - the user's kernel file, as `kopt tune` read it
    kernel = getattr(module, ref["name"], None)
    if not isinstance(kernel, Kernel):
        raise TaskError(f"{path} has no @kopt.kernel named {ref['name']!r}")
    return kernel


def _configs(data: list) -> list:
    from kopt.runtime.config import Config

    return [Config.from_json(c) for c in data]


# ---------------------------------------------------------------- the kinds


def describe_device(task: dict) -> dict:
    """(device kind, compute capability as an arch number) of this worker's device."""
    from kopt.runtime.bundle import device_kind

    if task["device"] == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise TaskError("this timing worker sees no GPU")
        major, minor = torch.cuda.get_device_capability()
        return {"kind": device_kind("cuda"), "arch": major * 10 + minor, "pid": os.getpid()}
    return {"kind": device_kind("cpu"), "arch": None, "pid": os.getpid()}


def prepare(task: dict) -> dict:
    """kopt's compile for the GPU (and of every reduction strategy a candidate asks for) and the candidates."""
    from kopt.runtime.config import Config
    from kopt.runtime.shape_log import rebuild
    from kopt.runtime.target_build import gpu_items

    kernel = load_kernel(task["ref"])
    values = rebuild(task["args"], "meta")
    items, _device = kernel._key(values)
    items = gpu_items(items)
    compiled = kernel._variant(items, "cuda", kernel.config)
    every = kernel.tune_candidates(values, compiled)
    candidates = every[: task["max_candidates"]]
    for cfg in candidates:
        if cfg.compile_part() != Config():
            kernel._variant(items, "cuda", cfg.compile_part(), count=False)
    return {"candidates": [c.to_json() for c in candidates], "space": len(every)}


def build(task: dict) -> dict:
    """One config of one case built for sm_<arch> (no GPU): every kernel its launch would compile."""
    from kopt.runtime.config import Config
    from kopt.runtime.shape_log import rebuild
    from kopt.runtime.target_build import build_for_target

    kernel = load_kernel(task["ref"])
    values = rebuild(task["args"], "cpu", fill="empty")
    builds = build_for_target(kernel, *values, arch=task["arch"], config=Config.from_json(task["config"]))
    failed = [f"{b.kernel}: {b.error}" for b in builds if not b.ok]
    if failed:
        raise TaskError("; ".join(failed))
    return {"kernels": [{"kernel": b.kernel, "constexprs": b.constexprs, "options": b.options, "shared": b.shared}
                        for b in builds]}


def time_unit(task: dict) -> dict:
    """Tune one unit on this worker's device over the given candidates, and store the result where a deployed
    process of this device kind looks it up."""
    from kopt.runtime import mode
    from kopt.runtime.bundle import device_kind
    from kopt.runtime.cache import DiskCache
    from kopt.runtime.shape_log import rebuild

    kernel = load_kernel(task["ref"])
    values = rebuild(task["args"], task["device"], fill="random")
    items, device = kernel._key(values)
    mode.prepare(device)
    compiled = kernel._variant(items, device, kernel.config)
    log = io.StringIO()
    with contextlib.redirect_stderr(log):  # the tuner's own progress bar: the job shows one for everything
        result = kernel._autotune_now(items, device, values, compiled, candidates=_configs(task["candidates"]))
    DiskCache("autotune").store(kernel._tune_key((device, items, kernel.tune_bucket(values, compiled)), device),
                                result.to_json())
    rejected = [{"config": t.config.to_json(), "status": t.status} for t in result.trials if t.status != "ok"]
    return {"kind": device_kind(device), "winner": result.config.to_json(), "ms": result.ms,
            "default_ms": result.default_ms, "trials": len(result.trials), "rejected": rejected,
            "summary": (log.getvalue().strip().splitlines() or [""])[-1]}
