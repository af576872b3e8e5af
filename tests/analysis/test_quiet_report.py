"""`python -m pytest -q` prints progress and the summary, nothing else: the adversarial tests' worst query time
is recorded (record_property) and shown only with -v or KOPT_VERBOSE=1."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.helpers import ROOT

# pytest-benchmark (installed on some machines, CI's included) warns at start-up when xdist's --dist is set, as
# pyproject's addopts do; its warning is not kopt's output, so the sub-run leaves that plugin out.
SELECTION = ["tests/analysis/test_adversarial.py", "-k", "report_worst or exhausting", "-p", "no:cacheprovider",
             "-p", "no:benchmark"]


def _pytest(*flags: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KOPT_VERBOSE"))}
    r = subprocess.run([sys.executable, "-m", "pytest", *flags, *SELECTION], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return r.stdout + r.stderr


def test_quiet_run_prints_no_measurement():
    out = _pytest("-q")
    assert "worst query time" not in out, out
    stray = [line for line in out.splitlines()
             if line.strip() and not re.fullmatch(r"[.sxXF]+\s*(\[\s*\d+%\])?|\d+ passed.*", line.strip())]
    assert not stray, out


def test_verbose_run_reports_it():
    assert "[analysis] worst query time:" in _pytest("-v")
