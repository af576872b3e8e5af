"""Where a tuning job's tasks run: a Ray cluster, local worker processes, or this process.

Each executor runs CPU tasks (compiles and builds, many at once) and keeps timing actors: one per GPU (each sees
only its own GPU), or for `timing="cpu"` processes that run the Triton interpreter (for tests, on machines
without a GPU). Every call returns a `concurrent.futures.Future`, so the job schedules all three alike.

- `RayExecutor`: tasks are Ray tasks of one CPU each, in worker processes without TRITON_INTERPRET; actors are
  Ray actors of one GPU each, on whatever hosts have GPUs. Ray is imported only here (an optional dependency).
- `LocalExecutor`: N worker processes (`python -m kopt.tools.tune.worker`), one process per local GPU.
- `InlineExecutor`: tasks run one at a time in this process (actors are still processes of their own: the
  interpreter must be chosen per process).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from kopt.errors import KoptError


class WorkerDied(Exception):
    """The worker process running a task exited (a crash in Triton's compiler, the OOM killer, ...)."""


class TaskFailed(Exception):
    """A task ran and raised in its worker; the text is the worker's."""


@dataclass
class Actor:
    index: int
    kind: str = ""
    arch: int | None = None


def error_text(e: BaseException) -> str:
    """One line for a failed task: the worker's own error where Ray wraps it."""
    cause = getattr(e, "cause", None)
    if isinstance(cause, BaseException) and cause is not e:
        e = cause
    name = type(e).__name__
    if name in ("WorkerCrashedError", "RayActorError", "ActorDiedError", "ActorUnavailableError"):
        return f"worker died ({name})"
    lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    return text if isinstance(e, (TaskFailed, WorkerDied)) else f"{name}: {text}"[:500]


def _worker_env(extra: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop("TRITON_INTERPRET", None)
    env.update(extra)
    return env


def _timing_env(device: str) -> dict:
    return {"TRITON_INTERPRET": "1" if device == "cpu" else "0", "KOPT_AUTOTUNE_WORKERS": "0"}


# ---------------------------------------------------------------- local processes


class _Proc:
    """One worker process; `call(task)` runs a task there (restarting the process if it died before)."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log_path, self.proc = env, log, None

    def _start(self) -> None:
        from kopt.tools.tune.worker import read_frame  # noqa: F401 - fail here, not in the child, if absent

        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "kopt.tools.tune.worker"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, env=self.env)

    def call(self, task: dict):
        from kopt.tools.tune.worker import read_frame, write_frame

        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            write_frame(self.proc.stdin, task)
            answer = read_frame(self.proc.stdout)
        except (OSError, ValueError):
            answer = None
        if answer is None:
            code = self.proc.wait()
            self.proc = None
            raise WorkerDied(f"worker exited with code {code}{self._log_tail()}")
        if answer[0] == "error":
            raise TaskFailed(answer[1])
        return answer[1]

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        return f" ({lines[-1][:200]})" if lines else ""

    def stop(self, kill: bool = False) -> None:
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            if kill:
                p.kill()
            else:
                p.stdin.close()
            p.wait(timeout=10)
        except Exception:  # noqa: BLE001 - best effort
            p.kill()
            p.wait()
        for stream in (p.stdin, p.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Lane:
    """A queue of tasks served by one or more worker processes, each on a thread of its own."""

    def __init__(self, procs: list[_Proc]):
        self.procs, self.queue = procs, queue.Queue()
        self.threads = [threading.Thread(target=self._serve, args=(p,), daemon=True) for p in procs]
        for t in self.threads:
            t.start()

    def _serve(self, proc: _Proc) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            task, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(proc.call(task))
            except BaseException as e:  # noqa: BLE001 - the job decides what a failure means
                future.set_exception(e)

    def submit(self, task: dict) -> cf.Future:
        future: cf.Future = cf.Future()
        self.queue.put((task, future))
        return future

    def close(self, kill: bool) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for p in self.procs:
            p.stop(kill)
        for t in self.threads:
            t.join(timeout=15)


class LocalExecutor:
    """Compile tasks on `workers` local processes; timing actors as local processes."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self.logs = Path(tempfile.mkdtemp(prefix="kopt-tune-logs-"))
        self.description = f"{self.workers} local worker process{'es' if self.workers > 1 else ''}"
        self._lane = _Lane([_Proc(_worker_env({}), self.logs / f"worker{i}.log") for i in range(self.workers)])
        self._actors: list[_Lane] = []

    def gpus(self) -> int:
        try:
            import torch

            return torch.cuda.device_count()
        except Exception:  # noqa: BLE001
            return 0

    def start_actors(self, device: str, count: int) -> list[cf.Future]:
        """Start the timing actors; returns a future per actor of its `describe` answer."""
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        ids = [s for s in visible.split(",") if s.strip()] if visible else [str(i) for i in range(count)]
        for i in range(count):
            extra = _timing_env(device)
            if device == "cuda":
                extra["CUDA_VISIBLE_DEVICES"] = ids[i]
            self._actors.append(_Lane([_Proc(_worker_env(extra), self.logs / f"actor{i}.log")]))
        return [a.submit({"kind": "describe", "device": device}) for a in self._actors]

    def submit(self, task: dict) -> cf.Future:
        return self._lane.submit(task)

    def submit_actor(self, index: int, task: dict) -> cf.Future:
        return self._actors[index].submit(task)

    def cancel(self, future: cf.Future) -> None:
        future.cancel()

    def close(self, kill: bool = False) -> None:
        self._lane.close(kill)
        for a in self._actors:
            a.close(kill)
        shutil.rmtree(self.logs, ignore_errors=True)


class InlineExecutor(LocalExecutor):
    """Compile tasks one at a time in this process (on one thread of it); actors as LocalExecutor's."""

    def __init__(self):
        from kopt.runtime import mode

        if mode.interpreting():
            raise KoptError("kopt tune: building in this process compiles for the GPU, but the Triton interpreter is "
                            "on (TRITON_INTERPRET=1)", notes=["unset TRITON_INTERPRET, or use worker processes"])
        self.logs = Path(tempfile.mkdtemp(prefix="kopt-tune-logs-"))
        self.description = "this process"
        self._pool = cf.ThreadPoolExecutor(max_workers=1)
        self._actors = []

    def submit(self, task: dict) -> cf.Future:
        from kopt.tools.tune.tasks import run_task

        if task.get("fault") == "exit":  # do not take the job's own process down
            task = {**task, "fault": "raise"}
        return self._pool.submit(run_task, task)

    def close(self, kill: bool = False) -> None:
        self._pool.shutdown(wait=not kill, cancel_futures=True)
        for a in self._actors:
            a.close(kill)
        shutil.rmtree(self.logs, ignore_errors=True)


# ---------------------------------------------------------------- Ray


class _TimingActor:
    """A Ray actor holding one GPU (or, for tests, running the Triton interpreter)."""

    def run(self, task: dict) -> dict:
        from kopt.tools.tune.tasks import run_task

        return run_task(task)


def import_ray():
    try:
        import ray
    except ImportError:
        raise KoptError("kopt tune --ray needs Ray, an optional dependency of kopt",
                        notes=['install it with: pip install -e ".[ray]" (or pip install "ray>=2.9")']) from None
    return ray


class RayExecutor:
    """Tasks and timing actors on a Ray cluster: `address` is a cluster's address, or "local" for a cluster of
    this machine started here (`workers` CPUs: default all)."""

    def __init__(self, address: str, workers: int | None = None):
        ray = self.ray = import_ray()
        self._owns = False
        if not ray.is_initialized():
            if address == "local":
                ray.init(address="local", num_cpus=workers or None, include_dashboard=False, log_to_driver=False,
                         logging_level="ERROR")
            else:
                ray.init(address=address, log_to_driver=False, logging_level="ERROR")
            self._owns = True
        cpus = int(ray.cluster_resources().get("CPU", 0))
        self.description = f"Ray cluster at {ray.get_runtime_context().gcs_address} ({cpus} CPUs, {self.gpus()} GPUs)"
        from kopt.tools.tune.tasks import run_task

        self._task = ray.remote(run_task).options(num_cpus=1, max_retries=0,
                                                  runtime_env={"env_vars": {"TRITON_INTERPRET": "0"}})
        self._actors: list = []
        self._refs: dict[int, object] = {}

    def gpus(self) -> int:
        return int(self.ray.cluster_resources().get("GPU", 0))

    def start_actors(self, device: str, count: int) -> list[cf.Future]:
        remote = self.ray.remote(_TimingActor)
        opts = {"num_gpus": 1, "num_cpus": 1} if device == "cuda" else {"num_cpus": 0}
        for _ in range(count):
            self._actors.append(remote.options(max_restarts=3, max_task_retries=0,
                                               runtime_env={"env_vars": _timing_env(device)}, **opts).remote())
        return [self._future(a.run.remote({"kind": "describe", "device": device})) for a in self._actors]

    def _future(self, ref) -> cf.Future:
        future = ref.future()
        self._refs[id(future)] = ref
        return future

    def submit(self, task: dict) -> cf.Future:
        return self._future(self._task.remote(task))

    def submit_actor(self, index: int, task: dict) -> cf.Future:
        return self._future(self._actors[index].run.remote(task))

    def cancel(self, future: cf.Future) -> None:
        ref = self._refs.get(id(future))
        if ref is not None:
            try:
                self.ray.cancel(ref, force=False)
            except Exception:  # noqa: BLE001 - an actor task, or one already done
                pass

    def close(self, kill: bool = False) -> None:
        for a in self._actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001
                pass
        self._actors = []
        if self._owns:
            self.ray.shutdown()
