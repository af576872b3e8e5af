"""A task of `kopt tune` on a worker that has nothing: seeded with what an earlier task produced (kopt's compile,
the launch record and the Triton binary, as the job gives them to timing actors), it compiles nothing; without the seed it builds
the binary itself. In a process of its own, without the interpreter (the builds are for sm_90)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import ROOT

KERNELS = ROOT / "tests" / "tune" / "tune_kernels.py"

SCRIPT = r"""
import json, sys, torch
from kopt.runtime.shape_log import describe
from kopt.tools.tune import tasks
from kopt.tools.tune.plan import resolve_kernels

(ref, _kernel), = resolve_kernels([sys.argv[1]]).values()
task = {"kind": "build", "ref": ref.to_json(), "args": describe([torch.empty(8, 100, device="meta")]), "arch": 90,
        "config": {"num_warps": 2}}
first = tasks.run_task(task)
tasks._SCRATCH.clear()  # a fresh worker: empty scratch caches
seeded = tasks.run_task({**task, "seed": first["files"]})
tasks._SCRATCH.clear()
unseeded = tasks.run_task(task)
print(json.dumps({name: {"triton": r["triton"], "kopt": sorted(r["files"]["kopt"]),
                         "binaries": sorted(t["name"] for t in r["files"]["triton"])}
                  for name, r in (("first", first), ("seeded", seeded), ("unseeded", unseeded))}))
"""


def test_a_seeded_worker_compiles_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env.update(PYTHONPATH=str(ROOT), KOPT_CACHE_DIR=str(tmp_path / "k"), TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", SCRIPT, f"{KERNELS}:softmax"], capture_output=True, text=True,
                       cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["first"]["triton"] == {"compiled": 1, "loaded": 0}
    assert got["seeded"]["triton"] == {"compiled": 0, "loaded": 1}  # the binary the seed brought, found by Triton
    assert got["unseeded"]["triton"] == {"compiled": 1, "loaded": 0}
    # each returns what it used: the GPU compile, the build's launch record and the one binary, the same in all three
    assert [e.split("/")[0] for e in got["first"]["kopt"]] == ["compiled", "launch"]
    assert got["seeded"]["kopt"] == got["unseeded"]["kopt"] == got["first"]["kopt"]
    assert len(got["first"]["binaries"]) == 1 and got["seeded"]["binaries"] == got["first"]["binaries"] \
        == got["unseeded"]["binaries"]
