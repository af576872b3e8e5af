"""Holds the one local Ray cluster of a pytest run (tests/tune/conftest.py starts it once, under a file lock,
for every pytest-xdist worker): `python -m tests.tune.ray_holder ADDRESS_FILE WATCH_PID`. It starts the cluster
with `ray.init(num_cpus=2)`, writes its address, and shuts it down once process WATCH_PID (the pytest process
that runs the session: the xdist controller, or pytest itself) has exited."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

from kopt.tools.tune.tasks import pid_alive


def main() -> None:
    address_file, watch = Path(sys.argv[1]), int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # terminated: still shut the cluster down
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    tmp = address_file.with_suffix(".tmp")
    tmp.write_text(ray.get_runtime_context().gcs_address)
    os.replace(tmp, address_file)
    try:
        while pid_alive(watch):
            time.sleep(0.5)
    finally:
        address_file.unlink(missing_ok=True)
        ray.shutdown()
        shutil.rmtree(address_file.parent, ignore_errors=True)  # the run's lock and log: the run is over


if __name__ == "__main__":
    main()
