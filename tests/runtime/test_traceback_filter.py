"""A KoptError from a kernel call comes without kopt's internal frames (the error is located in the user's
source already); KOPT_TRACEBACK=full keeps them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest
import torch

from kopt.errors import KoptError
from tests.runtime.test_index_bounds import grid_add

KOPT = str(Path(__file__).resolve().parents[2] / "kopt")


def _kopt_frames(e: BaseException) -> list[str]:
    return [f"{f.filename}:{f.name}" for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(KOPT)]


@pytest.mark.parametrize("call", ["call", "compile"])
def test_error_from_a_call_keeps_only_the_call_frame(call):
    fn = grid_add if call == "call" else grid_add.compile
    with pytest.raises(KoptError) as info:
        fn(torch.randn(7), torch.randn(5)) if call == "call" else grid_add.compile(torch.randn(3), 1.5)
    frames = _kopt_frames(info.value)
    assert len(frames) == 1 and frames[0].endswith(("__call__", "compile")), frames
    assert any("KOPT_TRACEBACK=full" in n for n in info.value.__notes__)


def test_full_traceback_on_request(tmp_path):
    script = tmp_path / "full.py"
    script.write_text(textwrap.dedent("""
        import torch
        from tests.runtime.test_index_bounds import grid_add
        grid_add(torch.randn(7), torch.randn(5))
    """))
    root = str(Path(KOPT).parent)
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": root}
    short = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=root)
    full = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=root,
                          env={**env, "KOPT_TRACEBACK": "full"})
    assert "outside its size 5" in short.stderr and "outside its size 5" in full.stderr, short.stderr
    assert short.stderr.count(KOPT) < full.stderr.count(KOPT), (short.stderr, full.stderr)
    assert "in _launch" in full.stderr and "in _launch" not in short.stderr
