"""`kopt tune` on a local Ray cluster (one per pytest run: conftest.py), on the CPU: compile-only tasks build every
candidate for sm_90 with Triton's GPU compiler, and a timing actor runs the Triton interpreter. The plan, the
split of tasks over workers, the retry of failing tasks, the gathering into one cache, and a bundle exported,
imported and run with no kopt compile, no Triton compile and no tuning."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from kopt.runtime import bundle
from tests.helpers import ROOT

KERNELS = ROOT / "tests" / "tune" / "tune_kernels.py"
M = "meta"
SHAPES = {"softmax": [(8, 100), (8, 128)], "rms_norm": [(8, 64)]}  # softmax: one bucket, two Triton groups
ARGS = {"matmul": [(torch.empty(16, 16, device=M), torch.empty(16, 32, device=M))],
        "matmul_big": [(torch.empty(128, 128, device=M), torch.empty(128, 128, device=M))]}
TOO_BIG = {"block_sizes": [64, 64, 64], "num_stages": 9}
# every test here on one xdist worker: the module's job runs once, not once per worker, two jobs competing for the
# shared cluster's two CPUs (the builds then all went to one Ray worker process, seen once in a full run)
pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def ray_job(ray_cluster, tmp_path_factory):
    """One job for the module's tests: four units, two candidates each; the first build task's worker dies and
    the first timing task raises (each retried once); matmul_big's TOO_BIG candidate cannot build (recorded)."""
    from kopt.tools.tune import tune

    dest = tmp_path_factory.mktemp("tuned") / "kopt"
    report = tune([str(KERNELS)], shapes=SHAPES, args=ARGS, dtype="fp32", ray=ray_cluster, archs=[90],
                  timing="cpu", max_candidates=2, cache_dir=dest, progress=False,
                  faults={"build": ["exit"], "time": ["raise"]})
    return report, dest


STALE = "a worker ran another kopt than this process: kopt's source changed during the run (its entries are keyed by it)"


def test_the_plan_the_split_the_retries_and_the_gathered_cache(ray_job):
    report, dest = ray_job
    assert not report.problems, (STALE, report.problems)
    units = {u["label"]: u for u in report.units}
    assert set(units) == {"softmax f32[8x128]", "rms_norm f32[8x64] f32[64]", "matmul f32[16x16] f32[16x32]",
                          "matmul_big f32[128x128] f32[128x128]"}
    soft = units["softmax f32[8x128]"]
    assert soft["cases"] == ["f32[8x100]", "f32[8x128]"] and soft["groups"] == 2 and soft["cover_builds"] >= 1
    for label, u in units.items():
        assert u["candidates"] == min(2, u["space"]) and u["candidates"] > 0, label
        assert u["built_total"] == u["candidates"] + 1, label  # the heuristic default and every candidate
        assert list(u["timed"]) == ["cpu (triton interpreter)"] and "error" not in u["timed"]["cpu (triton interpreter)"]
        assert u["built_ok"] == u["built_total"] - (label.startswith("matmul_big")), label
    assert report.archs == [90] and report.device_kinds == ["cpu (triton interpreter)"] and report.timed == 4

    # the candidate that does not build: tried twice, recorded, and the job went on
    assert report.failures and all(f["attempts"] == 2 and "shared memory" in f["error"] and "num_stages=9" in f["task"]
                                   for f in report.failures), report.failures
    assert report.builds_failed == len(report.failures)
    # the worker that died and the task that raised: each retried once, then done
    retried = {r["kind"]: r["error"] for r in report.retried}
    assert retried == {"build": "worker died (WorkerCrashedError)", "time": "TaskError: injected fault"}, report.retried

    # the split: builds on several Ray worker processes, the timing on the one actor, apart from them
    assert len(report.workers["build"]) >= 2, report.workers
    assert len(report.workers["time"]) == 1 and not set(report.workers["time"]) & set(report.workers["build"])

    # gathered: a GPU compile per kernel, a tuned config per unit, and sm_90 binaries per unit's generated module
    compiled = [json.loads(p.read_text())["key"] for p in (dest / "compiled").glob("*.json")]
    assert {k["kernel"] for k in compiled if k["device"] == "cuda"} == {"softmax", "rms_norm", "matmul", "matmul_big"}
    tuned = [json.loads(p.read_text())["key"] for p in (dest / "autotune").glob("*.json")]
    assert len(tuned) == 4 and {k["device_kind"] for k in tuned} == {"cpu (triton interpreter)"}
    binaries = list((dest / bundle.TRITON_DIR).glob("*/sm_90/*/*.cubin"))
    assert len(binaries) == report.builds_ok  # one Triton kernel per successful build (each launches one)
    # and a launch record per build, naming a binary the gathered cache holds (launch_records.py)
    records = [json.loads(p.read_text())["value"] for p in (dest / "launch").glob("*.json")]
    assert len(records) >= report.builds_ok
    assert all(list((dest / bundle.TRITON_DIR).glob(f"*/sm_90/{r['entry']}/{r['binary']}")) for r in records)
    assert sum(u["built_total"] + u["cover_builds"] for u in units.values()) == report.builds_ok + report.builds_failed


DEPLOY = r"""
import json, sys, torch
import kopt
from kopt.runtime import autotune
from kopt.tools.tune.plan import load_file
from kopt.runtime.shape_log import rebuild

tunes = []
real_tune = autotune.tune
autotune.tune = lambda *a, **k: tunes.append(a[0]) or real_tune(*a, **k)
mod = load_file(sys.argv[1])
out = {}
for name, args in json.loads(sys.argv[2]):
    k = getattr(mod, name)
    values = rebuild(args, "cpu")
    k(*values)
    out[name] = list(k.cache_info())
covered_tunes = list(tunes)
x = torch.randn(32, 300)  # not covered: another size bucket
torch.testing.assert_close(mod.softmax(x), torch.softmax(x, dim=1))
print(json.dumps({"info": out, "covered_tunes": covered_tunes, "tunes": tunes}))
"""

BUILD = r"""
import json, sys
from triton import knobs
events = []
knobs.compilation.listener = lambda **kw: events.append(kw["cache_hit"])
import kopt
from kopt.runtime.target_build import build_for_target
from kopt.runtime.shape_log import rebuild
from kopt.tools.tune.plan import load_file

mod = load_file(sys.argv[1])
builds = errors = 0
for name, args, cfg in json.loads(sys.argv[2]):
    k = getattr(mod, name)
    for b in build_for_target(k, *rebuild(args, "cpu", fill="empty"), arch=90, config=kopt.Config.from_json(cfg)):
        builds += 1
        errors += not b.ok
misses = sum(getattr(mod, n).cache_info().misses for n in ("softmax", "rms_norm", "matmul", "matmul_big"))
print(json.dumps({"builds": builds, "errors": errors, "compiled": events.count(False), "loaded": events.count(True),
                  "kopt_misses": misses}))
"""


def _python(code: str, args: list[str], env: dict) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_a_bundle_runs_every_covered_kernel_with_no_compile_and_no_tuning(ray_job, tmp_path):
    report, dest = ray_job
    assert not report.problems, (STALE, report.problems)
    out = tmp_path / "kernels.tar"
    manifest = bundle.export_bundle(out, dest)
    assert manifest["tuned"] == 4 and manifest["archs"] == ["sm_90"] and manifest["triton_kernels"] == report.builds_ok
    deploy = tmp_path / "deploy"
    record = bundle.import_bundle(out, deploy)
    assert record["entries_written"] == manifest["compiled"] + manifest["tuned"] + manifest["launch_records"]
    assert manifest["launch_records"] >= report.builds_ok

    from kopt.runtime.shape_log import describe

    cases = [("softmax", describe([torch.empty(shape, device=M)])) for shape in SHAPES["softmax"]]
    cases += [("rms_norm", describe([torch.empty(8, 64, device=M), torch.empty(64, device=M), 1e-5]))]
    cases += [(n, describe(a)) for n, calls in ARGS.items() for a in calls]
    env = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET", "KOPT_CACHE_DIR", "TRITON_CACHE_DIR")}
    env.update(PYTHONPATH=str(ROOT), KOPT_CACHE_DIR=str(deploy), TRITON_CACHE_DIR=str(tmp_path / "triton"))

    # the interpreter (the CPU's stand-in for a GPU): kopt compiles nothing, tunes nothing covered
    r = _python(DEPLOY, [str(KERNELS), json.dumps(cases)], {**env, "TRITON_INTERPRET": "1"})
    got = json.loads(r.stdout.strip().splitlines()[-1])
    for name, (hits, misses, _max, _size, disk_hits) in got["info"].items():
        assert misses == 0 and disk_hits >= 1, (name, got["info"][name])
    assert got["covered_tunes"] == [] and got["tunes"] == ["softmax"]  # only the shape the bundle lacks is tuned
    warnings = [ln for ln in r.stderr.splitlines() if "not in the imported bundle" in ln]
    assert len(warnings) == 1 and "softmax f32[32x512]" in warnings[0] and "tuning it here" in warnings[0], r.stderr

    # sm_90 (Triton's GPU compiler, no GPU): every launch of every covered case, with the heuristic default and
    # with each tuned config, finds its binary in the bundle: Triton compiles nothing
    winners = {u["kernel"].split(":")[-1]: u["timed"]["cpu (triton interpreter)"]["winner"] for u in report.units}
    builds = [(n, args, cfg) for n, args in cases for cfg in [{}] + [winners[n]] * (winners[n] not in ({}, TOO_BIG))]
    r = _python(BUILD, [str(KERNELS), json.dumps(builds)], env)
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["builds"] >= len(builds) and got["errors"] == 0, got
    assert got["compiled"] == 0 and got["loaded"] == got["builds"] and got["kopt_misses"] == 0, got


def test_local_processes_run_the_same_plan_and_build_the_same_binaries(ray_cluster, tmp_path):
    from kopt.tools.tune import tune

    caches, reports = {}, {}
    for how, options in (("ray", {"ray": ray_cluster}), ("local", {"workers": 1}), ("ray again", {"ray": ray_cluster})):
        caches[how] = tmp_path / how
        reports[how] = tune([f"{KERNELS}:softmax"], shapes={"softmax": [(8, 100)]}, archs=[90], timing="none",
                            max_candidates=1, cache_dir=caches[how], progress=False, **options)
    assert [u["label"] for u in reports["ray"].units] == [u["label"] for u in reports["local"].units]
    assert reports["ray"].builds_ok == reports["local"].builds_ok == 2 and not reports["local"].failures
    assert "Ray cluster" in reports["ray"].executor and reports["local"].executor == "1 local worker process"
    names = {how: sorted(p.name for p in (c / bundle.TRITON_DIR).glob("*/sm_90/*")) for how, c in caches.items()}
    assert len(names["ray"]) == 2 and names["ray"] == names["local"]  # the same Triton cache keys
    # the same job again, on Ray workers that have it all in their scratch caches already: the new cache still
    # gets every entry (what a task used, not only what it wrote)
    assert names["ray again"] == names["ray"]
    assert sorted(p.name for p in (caches["ray again"] / "compiled").iterdir()) == \
        sorted(p.name for p in (caches["ray"] / "compiled").iterdir()) != []


def test_the_time_limit_stops_the_job_and_keeps_what_finished(ray_cluster, tmp_path):
    import time

    from kopt.tools.tune import tune

    t0 = time.perf_counter()
    report = tune([f"{KERNELS}:softmax"], shapes={"softmax": [(8, 100), (16, 100), (32, 100)]}, archs=[90],
                  timing="none", ray=ray_cluster, time_limit=0.5, cache_dir=tmp_path / "k", progress=False)
    assert time.perf_counter() - t0 < 30
    assert report.incomplete == "time limit of 0.5 s reached"
    assert report.failures and all(f["error"].startswith(("not finished", "not started")) for f in report.failures)


def test_the_command_line_on_a_ray_cluster(ray_cluster, tmp_path, capsys):
    from kopt.tools.cli import main as kopt_main

    out = tmp_path / "b.tar"
    assert kopt_main(["tune", f"{KERNELS}:softmax", "--shape", "softmax=8x100", "--arch", "90", "--timing", "none",
                      "--ray", ray_cluster, "--max-candidates", "1", "--export", str(out), "--no-progress",
                      "--report", str(tmp_path / "r.json"), "--cache-dir", str(tmp_path / "k")]) == 0
    stdout = capsys.readouterr().out
    assert not json.loads((tmp_path / "r.json").read_text())["problems"], (STALE, stdout)
    assert "kopt tune: 1 units" in stdout and "builds for sm_90: 2 ok, 0 failed" in stdout, stdout
    assert f"exported {out}: 1 compiled kernels, 0 tuned configs, 2 Triton binaries (sm_90)" in stdout
    assert json.loads((tmp_path / "r.json").read_text())["builds_ok"] == 2
    assert bundle.import_bundle(out, tmp_path / "deployed")["triton_kernels_written"] == 2
