"""Every corpus kernel built for an H100 (sm_90) by Triton's GPU compiler, on this machine without a GPU
(kopt/runtime/target_build.py). The CPU tests run kernels through the interpreter, which never meets
Triton's GPU passes, ptxas or the shared-memory limit; this does. In processes of their own: the suite
runs with TRITON_INTERPRET=1, and a process picks the interpreter once."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from kopt.errors import KoptError
from kopt.runtime.target_build import build_for_target
from tests.corpus.cases import CASES
from tests.helpers import ROOT


def _gpu_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    # the checkout first, then whatever the caller's path has (a GPU machine's wheels installed to a folder)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env.update(KOPT_CACHE_DIR=str(tmp_path / "kopt"), TRITON_CACHE_DIR=str(tmp_path / "triton"),
               PYTHONPATH=path, KOPT_AUTOTUNE="0")
    return env


def _run(args: list[str], tmp_path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=_gpu_env(tmp_path),
                          timeout=timeout)


@pytest.mark.slow  # many minutes: not in the default run; .ci/run runs it with `-m slow`
def test_every_corpus_kernel_builds_for_sm90(tmp_path):
    r = _run(["-m", "tests.corpus.target_sweep", "--arch", "90"], tmp_path, timeout=1200)
    failures = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert r.returncode == 0 and not failures, "\n".join(failures) or r.stderr[-3000:]
    ok = int(re.search(r"summary: ok (\d+), fail 0", r.stdout).group(1))
    # every case, dtype, shape set and layout launches at least one kernel
    assert ok >= sum(len(c.dtypes) for c in CASES) * 2 * 2
    # attention is built 2-D (batch-to-grid: one batch per program, no batch block among its constexprs)
    assert re.search(r"^OK +attention +float16 .* _attention_kernel \{'_BLOCK_SIZE_1': ", r.stdout, re.M)
    assert not re.search(r"^OK +attention .*'_BLOCK_SIZE_0'", r.stdout, re.M)


SHARED = """
import torch, kopt
from tests.corpus.cases import BY_NAME
from tests.corpus.check import kernel_of
matmul = kernel_of(BY_NAME["matmul"])
a, b = torch.randn(512, 384, dtype=torch.float16), torch.randn(384, 640, dtype=torch.float16)
for k in (kopt.kernel(matmul.fn, config=kopt.Config(block_sizes=[256, 256, 64], num_stages=4)), matmul):
    for built in kopt.build_for_target(k, a, b, arch=90):
        print("BUILT", built.kernel, built.constexprs, built.shared, built.stages[-1], built.error)
"""


def test_shared_memory_over_the_limit_is_reported(tmp_path):
    r = _run(["-c", SHARED], tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    big, default = [line for line in r.stdout.splitlines() if line.startswith("BUILT")]
    # 256 x 64 and 64 x 256 fp16 tiles, 4 stages: (256*64 + 64*256) * 2 B * 4 = 262144 B > 227 KB
    assert "'_BLOCK_SIZE_0': 256" in big and "cubin" in big
    assert big.endswith("needs 262144 bytes of shared memory; sm_90 allows 232448")
    assert default.endswith("cubin None")


def test_refused_under_the_interpreter():
    from tests.corpus.cases import BY_NAME
    from tests.corpus.check import kernel_of

    import torch

    with pytest.raises(KoptError, match="the Triton interpreter is on"):
        build_for_target(kernel_of(BY_NAME["add"]), torch.ones(3), torch.ones(3))


def test_an_arch_without_a_known_limit_is_refused():
    from tests.corpus.cases import BY_NAME
    from tests.corpus.check import kernel_of

    import torch

    with pytest.raises(KoptError, match="no shared-memory limit known for sm_120"):
        build_for_target(kernel_of(BY_NAME["add"]), torch.ones(3), torch.ones(3), arch=120)
