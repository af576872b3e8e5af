"""Run the FileCheck-style IR tests under tests/filecheck with lit, inside the pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "filecheck"
FILES = sorted(p for p in HERE.rglob("*") if p.suffix in (".tile", ".py") and p.name != "lit.cfg.py"
               and "Output" not in p.relative_to(HERE).parts)  # lit's scratch files are not tests


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HERE)) for p in FILES])
def test_filecheck(path, tmp_path):
    # lit writes Output/ and .lit_test_times.txt under its exec root: one per test, so that xdist's workers never
    # write (or half-read) the same timing file
    env = {**os.environ, "KOPT_LIT_EXEC_ROOT": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", "import lit.main; lit.main.main()", "-v", str(path)], capture_output=True,
                       text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "Passed: 1" in r.stdout or "PASS" in r.stdout, r.stdout
