"""The on-disk cache: shared by processes, written atomically, and robust to corrupt entries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

import kopt
from kopt.runtime.cache import _checksum
from kopt.runtime.cache import DiskCache
from tests.helpers import ROOT
from tests.runtime import kernels

# A process that compiles the test softmax and reports what its cache saw.
CHILD = """
import json, sys, torch, kopt
from tests.runtime import kernels
k = kopt.kernel(kernels.softmax)
c = k.compile(torch.randn(4, 8))
info = k.cache_info()
print(json.dumps({"hits": info.hits, "misses": info.misses, "disk_hits": info.disk_hits,
                  "from_disk": c.from_disk, "timings": sorted(c.timings)}))
"""


def _child(cache_dir) -> subprocess.Popen:
    env = {"KOPT_CACHE_DIR": str(cache_dir), "TRITON_INTERPRET": "1", "PYTHONPATH": str(ROOT),
           "PATH": "/usr/bin:/bin", "HOME": str(cache_dir.parent)}
    return subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_processes_share_the_disk_cache(cache_dir):
    # two processes at once: both compile (or one loads the other's entry), neither sees a torn file
    first = [_result(p) for p in [_child(cache_dir), _child(cache_dir)]]
    assert all(r["misses"] + r["disk_hits"] == 1 for r in first), first
    # a later process takes it from disk: a hit, no kopt compile
    later = _result(_child(cache_dir))
    assert later == {"hits": 1, "misses": 0, "disk_hits": 1, "from_disk": True, "timings": ["disk_cache"]}
    entries = list((cache_dir / "compiled").iterdir())
    assert len(entries) == 1 and json.loads(entries[0].read_text())["value"]["triton_source"]
    assert not [p for p in cache_dir.rglob("*") if p.name.endswith(".tmp")]  # atomic writes leave no debris


def _entry(cache_dir):
    (path,) = (cache_dir / "compiled").iterdir()
    return path


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other_key", "missing_field"])
def test_corrupt_entry_is_rebuilt_with_a_warning(cache_dir, damage):
    x = torch.randn(5, 7)
    kopt.kernel(kernels.softmax).compile(x)
    path = _entry(cache_dir)
    text = path.read_text()
    data = json.loads(text)
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff not json")
    elif damage == "other_key":
        data["key"]["kernel"] = "someone_else"
        path.write_text(json.dumps(data))
    else:
        del data["value"]["plan"]
        path.write_text(json.dumps(data))

    k = kopt.kernel(kernels.softmax)
    with pytest.warns(RuntimeWarning, match=path.name):
        out = k(x)
    torch.testing.assert_close(out, torch.softmax(x, dim=1))
    assert k.cache_info().misses == 1  # rebuilt by a real compile ...
    again = kopt.kernel(kernels.softmax)
    again.compile(x)
    assert again.cache_info().disk_hits == 1  # ... and written back whole


def test_broken_generated_source_is_rebuilt(cache_dir):
    x = torch.randn(3, 4)
    kopt.kernel(kernels.softmax).compile(x)
    path = _entry(cache_dir)
    data = json.loads(path.read_text())
    data["value"]["triton_source"] = "def softmax(:\n"
    data["sha256"] = _checksum(data["value"])  # a well-formed entry whose source does not load
    path.write_text(json.dumps(data))
    k = kopt.kernel(kernels.softmax)
    with pytest.warns(RuntimeWarning, match="does not load"):
        torch.testing.assert_close(k(x), torch.softmax(x, dim=1))
    assert k.cache_info().misses == 1


def test_key_holds_what_changes_the_code(cache_dir):
    x = torch.randn(4, 8)
    kopt.kernel(kernels.softmax).compile(x)
    kopt.kernel(kernels.softmax).compile(x.half())  # dtype
    kopt.kernel(kernels.softmax, config=kopt.Config(block_sizes=[2])).compile(x)  # config
    kopt.kernel(kernels.softmax, pipeline=kopt.Pipeline.default().remove("mask-elision")).compile(x)  # pipeline
    kopt.kernel(kernels.scale_rows).compile(x)  # kernel source
    kopt.kernel(kernels.softmax, static_shapes=True).compile(x)  # specialization
    keys = [json.loads(p.read_text())["key"] for p in (cache_dir / "compiled").iterdir()]
    assert len(keys) == 6
    assert {"kopt", "kernel", "source", "args", "device", "config", "pipeline"} <= set(keys[0])
    assert all(k["kopt"].startswith(kopt.__version__ + "+") and k["device"] == "cpu" for k in keys)


def test_disk_cache_round_trip(tmp_path):
    store = DiskCache("things", tmp_path)
    key = {"a": [1, 2], "b": "x"}
    assert store.load(key) is None
    store.store(key, {"v": 3})
    assert store.load(key) == {"v": 3}
    assert store.load({"a": [1, 2], "b": "y"}) is None
