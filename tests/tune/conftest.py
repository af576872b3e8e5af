"""The tuning tests: their own empty kopt cache each, and one local Ray cluster for the whole pytest run.

The cluster is started once (`ray.init(num_cpus=2)` in a holder process, tests/tune/ray_holder.py) by whichever
test process needs it first, under a file lock, and every process of the run (pytest-xdist workers included)
connects to it; it goes away when the run's controlling pytest process exits. Ray is an optional dependency of
kopt, but not of its tests: without it these tests fail, they are not skipped (.ci/run installs it).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT

from kopt.tools.tune.tasks import pid_alive

# the local cluster's token authentication, for this run's clients and workers alike (Ray >= 2.5x enables it
# for clusters started by ray.init, but a client connecting by address assumes it off unless told)
os.environ.setdefault("RAY_AUTH_MODE", "token")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "kopt_cache"
    monkeypatch.setenv("KOPT_CACHE_DIR", str(path))
    monkeypatch.delenv("KOPT_AUTOTUNE", raising=False)
    return path


def _run_pid() -> int:
    """The pytest process that owns this run: the xdist controller for a worker, else this process."""
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


def _shared_cluster() -> str:
    where = Path(tempfile.gettempdir()) / f"kopt-ray-{_run_pid()}"
    where.mkdir(exist_ok=True)
    address, holder = where / "address", where / "holder.pid"
    with open(where / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pid = int(holder.read_text()) if holder.exists() else None
        if not (address.exists() and pid and pid_alive(pid)):
            address.unlink(missing_ok=True)
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            with open(where / "holder.log", "ab") as log:
                proc = subprocess.Popen([sys.executable, "-m", "tests.tune.ray_holder", str(address), str(_run_pid())],
                                        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
            holder.write_text(str(proc.pid))
            deadline = time.monotonic() + 120
            while not address.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (where / "holder.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"the test Ray cluster did not start:\n{log_text}")
                time.sleep(0.2)
        return address.read_text().strip()


@pytest.fixture(scope="session")
def ray_cluster() -> str:
    """The run's Ray cluster, this process connected to it."""
    try:
        import ray
    except ImportError:
        pytest.fail('Ray is not installed: these tests need it (pip install -e ".[test,ray]", as .ci/run does)')
    address = _shared_cluster()
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    return address
