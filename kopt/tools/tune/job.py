"""The tuning job: the plan's units through prepare -> build -> time -> cover, on any executor.

Per unit (kernel, specialization, size bucket):

  prepare   one CPU task: kopt's compile for the GPU, and the candidate configs (at most `max_candidates`).
  build     one CPU task per (GPU arch, config): the heuristic default and every candidate built for that
            arch by Triton's compiler on the unit's first case (no GPU needed).
  time      one task per device kind, on a timing actor of that kind: the candidates that built, checked
            against the default and timed on the device; the winner is stored under the key a deployed process
            of that kind looks up. (With `timing="cpu"`: on the Triton interpreter, no build needed first.)
  cover     CPU builds of the default and each winner on one case of every other group of the unit's cases
            that Triton specializes differently (sizes or strides 1 or divisible by 16), so that every covered
            shape finds its binaries.

Everything a task produces is gathered into one cache directory as it completes. A task that fails (raises,
or its worker dies) is retried once and then recorded, and the job goes on without it: a candidate that does
not build is left out of the timing, a unit whose timing fails keeps the heuristic default. `time_limit`
stops the job (what finished is kept); one progress bar counts every task.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kopt.errors import KoptError
from kopt.runtime import bundle
from kopt.runtime.cache import compiler_fingerprint
from kopt.tools.tune.executors import error_text
from kopt.tools.tune.plan import KernelRef, Unit

ATTEMPTS = 2  # a failing task runs twice, then is recorded


def _ckey(cfg: dict) -> str:
    return json.dumps(cfg, sort_keys=True)


@dataclass
class JobTask:
    id: int
    kind: str  # prepare | build | time
    unit: int
    payload: dict
    label: str
    actor_kind: str | None = None
    attempts: int = 0
    fault: str | None = None
    first_error: str | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class _UnitState:
    candidates: list[dict] | None = None
    space: int = 0
    kopt_files: set = field(default_factory=set)
    triton: dict = field(default_factory=dict)  # arch -> {(version, name): source digest}
    built: dict = field(default_factory=dict)  # arch -> {config key: "ok" | error}
    builds_left: dict = field(default_factory=dict)  # arch -> tasks outstanding
    timed: dict = field(default_factory=dict)  # device kind -> result, or {"error": ...}
    covered: set = field(default_factory=set)  # archs whose cover builds were submitted
    cover_builds: int = 0
    error: str | None = None


@dataclass
class Report:
    """What a job did: per unit its candidates, builds and winners; every failure; counts and wall time."""

    executor: str
    archs: list
    device_kinds: list
    units: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    retried: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    tasks: int = 0
    builds_ok: int = 0
    builds_failed: int = 0
    timed: int = 0
    wall_s: float = 0.0
    incomplete: str | None = None
    cache_dir: str = ""
    exported: dict | None = None
    workers: dict = field(default_factory=dict)  # task kind -> the worker processes (host:pid) that ran them
    # task kind -> Triton kernels its launches compiled / loaded from Triton's cache; for "time" on GPUs, compiled
    # stays 0 when the binaries built on CPU tasks are the ones the GPU's JIT looks up
    triton: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        lines = [f"kopt tune: {len(self.units)} units, {self.tasks} tasks on {self.executor} in {self.wall_s:.1f} s; "
                 f"builds for {', '.join(f'sm_{a}' for a in self.archs) or 'no GPU arch'}: {self.builds_ok} ok, "
                 f"{self.builds_failed} failed; {self.timed} tuned"
                 + (f" on {', '.join(self.device_kinds)}" if self.device_kinds else "")]
        for u in self.units:
            wins = "; ".join(f"{k}: {w.get('winner_text', w.get('error', '?'))}" for k, w in u["timed"].items())
            lines.append(f"  {u['label']:<40} {len(u['cases'])} shapes, {u['candidates']} candidates (of {u['space']}), "
                         f"built {u['built_ok']}/{u['built_total']}" + (f"; {wins}" if wins else "")
                         + (f"; {u['error']}" if u.get("error") else ""))
        for kind, c in sorted(self.triton.items()):
            if c["compiled"] or c["loaded"]:
                lines.append(f"  Triton in {kind} tasks: {c['compiled']} kernels compiled, {c['loaded']} loaded from "
                             "its cache")
        for f in self.failures:
            lines.append(f"  failed after {f['attempts']} attempts: {f['task']}: {f['error']}")
        for r in self.retried:
            lines.append(f"  retried once: {r['task']} ({r['error']})")
        for p in self.problems:
            lines.append(f"  skipped: {p['case']}: {p['error']}")
        if self.incomplete:
            lines.append(f"  incomplete: {self.incomplete}")
        lines.append(f"  cache: {self.cache_dir}")
        return "\n".join(lines)


class Job:
    def __init__(self, kernels: dict[str, KernelRef], units: list[Unit], executor, *, dest: Path,
                 archs: list[int] = (), timing: str | None = None, timing_actors: int = 1, max_candidates: int = 24,
                 time_limit: float | None = None, progress: bool = True, faults: dict | None = None,
                 problems: list | None = None):
        self.kernels, self.units, self.executor = kernels, units, executor
        self.dest = Path(dest)
        self.archs = sorted(set(archs))
        self.timing, self.timing_actors = timing, timing_actors
        self.max_candidates, self.time_limit, self.progress = max_candidates, time_limit, progress
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.state = {u.id: _UnitState() for u in units}
        self.pending: dict[cf.Future, JobTask] = {}
        self.waiting: dict[str, list[JobTask]] = {}  # device kind -> timing tasks waiting for an actor
        self.actors: list = []
        self.busy: set[int] = set()
        self.report = Report(executor.description, [], [], problems=list(problems or []), cache_dir=str(self.dest))
        self._ids = 0
        self._bar = None
        self._fingerprint = compiler_fingerprint()
        self._warned: set = set()

    # ------------------------------------------------------------ running

    def run(self) -> Report:
        from tqdm import tqdm

        t0 = time.perf_counter()
        deadline = t0 + self.time_limit if self.time_limit else None
        self._bar = tqdm(total=0, desc="kopt tune", unit="task", file=sys.stderr, dynamic_ncols=True,
                         disable=not self.progress)
        try:
            self._start_actors()
            for unit in self.units:
                self._new("prepare", unit, {"args": unit.cases[0].args, "max_candidates": self.max_candidates},
                          f"prepare {unit.label}")
            while self.pending:
                if deadline is not None and time.perf_counter() > deadline:
                    self._expire(f"time limit of {self.time_limit:g} s reached")
                    break
                done, _ = cf.wait(list(self.pending), timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    task = self.pending.pop(future)
                    if task.actor_kind is not None:
                        self.busy.discard(task.meta["actor"])
                    try:
                        result = future.result()
                    except BaseException as e:  # noqa: BLE001 - a failed task is retried, then recorded
                        self._failed(task, error_text(e))
                    else:
                        self._succeeded(task, result)
                self._dispatch()
        finally:
            self.executor.close(kill=bool(self.report.incomplete))
            self._bar.close()
        self.report.wall_s = time.perf_counter() - t0
        self._finish_report()
        return self.report

    def _start_actors(self) -> None:
        if self.timing is None:
            return
        count = self.executor.gpus() if self.timing == "cuda" else self.timing_actors
        if count == 0:
            raise KoptError("kopt tune: no GPU to time on", notes=["give --timing none (builds only) or run where "
                                                                   "there are GPUs (a Ray cluster: --ray ADDRESS)"])
        futures = self.executor.start_actors(self.timing, count)
        self._bar.set_postfix_str(f"starting {count} timing worker{'s' * (count > 1)}")
        for i, f in enumerate(futures):
            try:
                info = f.result(timeout=600)
            except BaseException as e:  # noqa: BLE001
                raise KoptError(f"kopt tune: timing worker {i} did not start: {error_text(e)}") from None
            self.actors.append({"index": i, "kind": info["kind"], "arch": info["arch"]})
        kinds = sorted({a["kind"] for a in self.actors})
        self.report.device_kinds = kinds
        self.archs = sorted(set(self.archs) | {a["arch"] for a in self.actors if a["arch"] is not None})

    def _new(self, kind: str, unit: Unit, payload: dict, label: str, actor_kind: str | None = None, **meta) -> None:
        self._ids += 1
        fault = self.faults[kind].pop(0) if self.faults.get(kind) else None
        task = JobTask(self._ids, kind, unit.id, payload, label, actor_kind, fault=fault, meta=meta)
        self.report.tasks += 1
        self._bar.total += 1
        self._submit(task)

    def _submit(self, task: JobTask) -> None:
        task.attempts += 1
        unit = self.units[task.unit]
        body = {"kind": task.kind, "ref": self.kernels[unit.kernel].to_json(), **task.payload}
        if task.fault and task.attempts == 1:
            body["fault"] = task.fault
        if task.actor_kind is not None:
            task.meta["body"] = body
            self.waiting.setdefault(task.actor_kind, []).append(task)
            self._dispatch()
            return
        self.pending[self.executor.submit(body)] = task

    def _dispatch(self) -> None:
        for kind, tasks in self.waiting.items():
            for actor in self.actors:
                if not tasks:
                    break
                if actor["kind"] == kind and actor["index"] not in self.busy:
                    task = tasks.pop(0)
                    task.meta["actor"] = actor["index"]
                    self.busy.add(actor["index"])
                    self.pending[self.executor.submit_actor(actor["index"], task.meta.pop("body"))] = task

    def _expire(self, why: str) -> None:
        self.report.incomplete = why
        for future, task in list(self.pending.items()):
            self.executor.cancel(future)
            self.report.failures.append({"task": task.label, "kind": task.kind, "attempts": task.attempts,
                                         "error": f"not finished: {why}"})
        for tasks in self.waiting.values():
            for task in tasks:
                self.report.failures.append({"task": task.label, "kind": task.kind, "attempts": 0,
                                             "error": f"not started: {why}"})
        self.pending.clear()
        self.waiting.clear()

    # ------------------------------------------------------------ outcomes

    def _failed(self, task: JobTask, error: str) -> None:
        task.first_error = task.first_error or error
        if task.attempts < ATTEMPTS:
            self._submit(task)
            return
        self.report.failures.append({"task": task.label, "kind": task.kind, "attempts": task.attempts,
                                     "error": error})
        self._done(task, None, error)

    def _succeeded(self, task: JobTask, result: dict) -> None:
        if task.first_error is not None:
            self.report.retried.append({"task": task.label, "kind": task.kind, "error": task.first_error})
        files = result.pop("files", {})
        self.report.workers.setdefault(task.kind, set()).add(result.get("worker", "?"))
        counts = self.report.triton.setdefault(task.kind, {"compiled": 0, "loaded": 0})
        for k, n in result.get("triton", {}).items():
            counts[k] += n
        if result.get("kopt") not in (None, self._fingerprint) and result.get("worker") not in self._warned:
            self._warned.add(result.get("worker"))  # another kopt: what it compiled is keyed for that kopt
            self.report.problems.append({"case": f"worker {result.get('worker')}", "error": f"runs kopt "
                                         f"{result['kopt']}, this is {self._fingerprint}: its entries will not be "
                                         "found by this kopt (install the same kopt on every host)"})
        bundle.gather(files, self.dest)
        state = self.state[task.unit]
        state.kopt_files |= set(files.get("kopt", {}))
        for t in files.get("triton", []):
            state.triton.setdefault(t["arch"], {})[(t["version"], t["name"])] = t["source"]
        self._done(task, result, None)

    def _done(self, task: JobTask, result: dict | None, error: str | None) -> None:
        self._bar.update(1)
        unit, state = self.units[task.unit], self.state[task.unit]
        if task.kind == "prepare":
            self._prepared(unit, state, result, error)
        elif task.kind == "build":
            arch, cover = task.meta["arch"], task.meta.get("cover", False)
            if error is None:
                self.report.builds_ok += 1
            else:
                self.report.builds_failed += 1
            if not cover:
                state.built.setdefault(arch, {})[task.meta["config"]] = "ok" if error is None else error
                state.builds_left[arch] -= 1
                if state.builds_left[arch] == 0:
                    self._built(unit, state, arch)
        elif task.kind == "time":
            kind = task.actor_kind
            if error is None:
                self.report.timed += 1
                state.timed[kind] = result
            else:
                state.timed[kind] = {"error": error}
            for arch in self.archs:
                self._maybe_cover(unit, state, arch)
        self._bar.set_postfix_str(f"{self.report.builds_ok} built, {self.report.builds_failed} failed, "
                                  f"{self.report.timed} tuned")

    def _seed(self, state: _UnitState, arch: int | None) -> dict:
        """What the job has for this unit, for a worker that needs it: kopt's compiles (and the Triton
        binaries built for `arch`)."""
        kopt = {}
        for rel in sorted(state.kopt_files):
            if rel.startswith("compiled/"):
                try:
                    kopt[rel] = (self.dest / rel).read_bytes()
                except OSError:
                    pass
        triton = []
        for (version, name), source in sorted(state.triton.get(arch, {}).items()) if arch is not None else []:
            where = self.dest / bundle.TRITON_DIR / version / f"sm_{arch}" / name
            try:
                files = {f.name: f.read_bytes() for f in where.iterdir()}
            except OSError:
                continue
            triton.append({"name": name, "arch": arch, "source": source, "version": version, "files": files})
        return {"kopt": kopt, "triton": triton}

    def _prepared(self, unit: Unit, state: _UnitState, result: dict | None, error: str | None) -> None:
        if error is not None:
            state.error = f"not tuned: {error}"
            return
        state.candidates, state.space = result["candidates"], result["space"]
        configs = [{}] + state.candidates  # the heuristic default, then the candidates
        seed = self._seed(state, None)
        for arch in self.archs:
            state.builds_left[arch] = len(configs)
            for cfg in configs:
                self._new("build", unit, {"args": unit.cases[0].args, "arch": arch, "config": cfg, "seed": seed},
                          f"build {unit.label} {_cfg_text(cfg)} for sm_{arch}", arch=arch, config=_ckey(cfg))
        if self.timing == "cpu":  # the interpreter needs no binaries: timed at once
            for kind in self.report.device_kinds:
                self._new("time", unit, {"args": unit.cases[0].args, "device": "cpu",
                                         "candidates": state.candidates},
                          f"time {unit.label} on {kind}", actor_kind=kind)

    def _built(self, unit: Unit, state: _UnitState, arch: int) -> None:
        if self.timing == "cuda":
            ok = [c for c in state.candidates if state.built[arch].get(_ckey(c)) == "ok"]
            for kind in sorted({a["kind"] for a in self.actors if a["arch"] == arch}):
                self._new("time", unit, {"args": unit.cases[0].args, "device": "cuda", "candidates": ok,
                                         "seed": self._seed(state, arch)},
                          f"time {unit.label} on {kind}", actor_kind=kind)
        self._maybe_cover(unit, state, arch)

    def _feeding(self, arch: int) -> list[str]:
        """The device kinds whose winners need binaries for `arch` (with the interpreter: its winner, as a
        stand-in on machines without a GPU)."""
        if self.timing == "cpu":
            return list(self.report.device_kinds)
        return sorted({a["kind"] for a in self.actors if a["arch"] == arch})

    def _maybe_cover(self, unit: Unit, state: _UnitState, arch: int) -> None:
        if arch in state.covered or state.candidates is None or state.builds_left.get(arch, 1) != 0:
            return
        kinds = self._feeding(arch)
        if any(k not in state.timed for k in kinds):
            return
        state.covered.add(arch)
        configs = {_ckey({}): {}}
        for k in kinds:
            winner = state.timed[k].get("winner")
            if winner is not None:
                configs[_ckey(winner)] = winner
        seed = None
        for group in unit.groups:
            first = group[0]
            for key, cfg in configs.items():
                status = state.built[arch].get(key)
                if status not in (None, "ok") or (first == 0 and status == "ok"):
                    continue  # it does not build for this arch, or it is built on this case already
                seed = seed or self._seed(state, None)
                case = unit.cases[first]
                state.cover_builds += 1
                self._new("build", unit, {"args": case.args, "arch": arch, "config": cfg, "seed": seed},
                          f"cover {unit.label} {case.label} {_cfg_text(cfg)} for sm_{arch}", arch=arch, cover=True,
                          config=key)

    # ------------------------------------------------------------ the report

    def _finish_report(self) -> None:
        r = self.report
        r.archs = list(self.archs)
        r.workers = {k: sorted(v) for k, v in r.workers.items()}
        for unit in self.units:
            s = self.state[unit.id]
            built = [v for per in s.built.values() for v in per.values()]
            timed = {}
            for kind, res in s.timed.items():
                if "error" in res:
                    timed[kind] = {"error": res["error"]}
                else:
                    text = _cfg_text(res["winner"]) if res["winner"] else "heuristic default"
                    ms = f" {res['ms']:.4g} ms (default {res['default_ms']:.4g} ms)" if res.get("ms") else ""
                    timed[kind] = {**res, "winner_text": text + ms}
            r.units.append({"kernel": unit.kernel, "label": unit.label, "cases": [c.label for c in unit.cases],
                            "groups": len(unit.groups), "candidates": len(s.candidates or []), "space": s.space,
                            "built_ok": sum(v == "ok" for v in built), "built_total": len(built),
                            "cover_builds": s.cover_builds, "timed": timed, "error": s.error})


def _cfg_text(cfg: dict) -> str:
    if not cfg:
        return "default"
    return "Config(" + ", ".join(f"{k}={v}" for k, v in cfg.items()) + ")"
