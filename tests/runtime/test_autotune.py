"""The autotuner on the CPU interpreter, forced with tiny spaces: progress bar, wrong-config rejection,
reuse from the disk cache, worker processes, and the launchers' launch-time overrides."""

from __future__ import annotations

import json
import re

import pytest
import torch

import kopt
from kopt.errors import KoptError
from kopt.runtime import autotune
from kopt.runtime.space import config_space
from tests.runtime import kernels

GOOD, BAD = kopt.Config(block_sizes=[4]), kopt.Config(block_sizes=[2], num_warps=2)


@pytest.fixture
def rigged(monkeypatch):
    """BAD returns a wrong result and would be by far the fastest; GOOD beats the default."""
    seen: list = []

    def hook(cfg, out):
        seen.append(cfg)
        return out + 1.0 if cfg == BAD else out

    def timer(fn):
        before = len(seen)
        fn()
        cfg = seen[-1] if len(seen) > before else kopt.Config()  # the default bypasses the hook
        return {BAD: 0.001, GOOD: 1.0}.get(cfg, 2.0)

    monkeypatch.setattr(autotune, "candidate_hook", hook)
    monkeypatch.setattr(autotune, "timer_for", lambda device: timer)
    return seen


def _trials(cache_dir) -> list[dict]:
    (path,) = (cache_dir / "autotune").iterdir()
    return json.loads(path.read_text())["value"]["trials"]


def test_tiny_space_rejects_the_wrong_config_and_reuses_the_disk_cache(rigged, capfd, cache_dir):
    x = torch.randn(37, 100)
    k = kopt.kernel(kernels.softmax, autotune=True, autotune_space=[GOOD, BAD])
    torch.testing.assert_close(k(x), torch.softmax(x, dim=1))
    err = capfd.readouterr().err
    assert "kopt autotune softmax f32[64x128]" in err and "2/2" in err  # the tqdm bar
    assert "2 candidates, 1 rejected" in err
    assert re.search(r"; tuned in \d+\.\d\d s", err)  # the tuning's wall time, per size bucket
    assert k.tuned_config(x) == GOOD
    trials = {json.dumps(t["config"]): t["status"] for t in _trials(cache_dir)}
    assert trials[json.dumps(GOOD.to_json())] == "ok"
    assert trials[json.dumps(BAD.to_json())].startswith("wrong: Mismatched elements")

    # another kernel object (as in a new process): the tuned config comes from disk, nothing runs
    rigged.clear()
    again = kopt.kernel(kernels.softmax, autotune=True, autotune_space=[GOOD, BAD])
    torch.testing.assert_close(again(x), torch.softmax(x, dim=1))
    z = torch.randn(40, 110)
    torch.testing.assert_close(again(z), torch.softmax(z, dim=1))
    assert rigged == [] and "kopt autotune" not in capfd.readouterr().err  # same size bucket: no tuning
    assert again.tuned_config(x) == GOOD and again.cache_info().disk_hits == 1

    y = torch.randn(37, 300)  # another bucket: tuned again
    torch.testing.assert_close(again(y), torch.softmax(y, dim=1))
    assert "kopt autotune softmax f32[64x512]" in capfd.readouterr().err


def test_default_space_every_candidate_is_correct(capfd, cache_dir):
    x = torch.randn(9, 40)
    k = kopt.kernel(kernels.softmax, autotune=True)
    torch.testing.assert_close(k(x), torch.softmax(x, dim=1))
    trials = _trials(cache_dir)
    assert len(trials) >= 4 and all(t["status"] == "ok" for t in trials), trials
    assert "kopt autotune softmax" in capfd.readouterr().err


def test_an_accumulating_in_place_kernel_applies_once_in_the_call_that_tunes_it(capfd, cache_dir):
    """Tuning runs the kernel on the call's own arguments many times; the call's result must be one application."""
    x, y = torch.randn(1000), torch.randn(1000)
    want = y + 0.5 * x
    k = kopt.kernel(kernels.axpy, autotune=True, autotune_space=[GOOD, kopt.Config(block_sizes=[64])])
    assert k(0.5, x, y) is None
    torch.testing.assert_close(y, want)
    assert "kopt autotune axpy" in capfd.readouterr().err


def test_candidates_compile_in_worker_processes(monkeypatch, capfd, cache_dir):
    monkeypatch.setenv("KOPT_AUTOTUNE_WORKERS", "2")
    x = torch.randn(5, 20)
    k = kopt.kernel(kernels.scale_rows, autotune=True, autotune_space=[kopt.Config(block_sizes=[1]), GOOD])
    torch.testing.assert_close(k(x), x * 2)
    assert "kopt autotune scale_rows f32[8x32]: compiling" in capfd.readouterr().err
    assert all(t["status"] == "ok" for t in _trials(cache_dir))


def test_no_autotuning_on_the_cpu_unless_forced(monkeypatch, capfd):
    x = torch.randn(6, 10)
    plain = kopt.kernel(kernels.softmax)
    plain(x)
    assert plain.tuned_config(x) is None
    monkeypatch.setenv("KOPT_AUTOTUNE", "0")
    forced = kopt.kernel(kernels.softmax, autotune=True, autotune_space=[GOOD])
    forced(x)
    assert forced.tuned_config(x) is None and "kopt autotune" not in capfd.readouterr().err
    with pytest.raises(KoptError, match="either config= .* or autotune=True"):
        kopt.kernel(kernels.softmax, config=GOOD, autotune=True)


def test_launcher_takes_launch_time_overrides():
    x = torch.randn(33, 70)
    k = kopt.kernel(kernels.softmax)
    compiled = k.compile(x)
    assert "def softmax(x, _config=None):" in compiled.triton_source
    for overrides in ({}, {"_BLOCK_SIZE_0": 2}, {"_BLOCK_SIZE_0": 64, "num_warps": 2, "num_stages": 1}):
        torch.testing.assert_close(compiled(x, _config=overrides), torch.softmax(x, dim=1))
    assert k.cache_info().misses == 1


def test_space_is_centred_on_the_heuristic_and_bounded():
    k = kopt.kernel(kernels.softmax)
    plan = k.compile(torch.randn(4, 8)).plan
    space = config_space(plan, {"n": 4096, "_m": 1024})
    block = next(d for d in space.dimensions if d.name == "block_sizes[0]")
    assert block.default == 8 and 8 in block.choices  # min(16, 8192 // 1024)
    cands = space.candidates()
    assert 4 <= len(cands) <= 24 and kopt.Config() not in cands
    assert all(c.block_sizes[0] * 1024 <= 16384 for c in cands)
    assert config_space(plan, {"n": 4096, "_m": 16384}).candidates()[0].block_sizes == (1,)
