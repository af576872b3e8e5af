"""hl.inline_asm_elementwise: GPU only. On the interpreter a kernel using it is a located error at the call; for
sm_90 it builds through Triton's GPU compiler and ptxas (in a process without TRITON_INTERPRET)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.errors import KoptError
from tests.corpus.test_target_build import _gpu_env
from tests.helpers import ROOT


def shift_left(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.inline_asm_elementwise("shl.b32 $0, $1, 3;", "=r,r", [x[t]], dtype=torch.int32,
                                           is_pure=True, pack=1)
    return out


def test_on_the_interpreter_it_is_a_located_error():
    with pytest.raises(KoptError) as info:
        kopt.kernel(shift_left)(torch.arange(5, dtype=torch.int32))
    e = info.value
    assert e.loc is not None and "GPU only" in e.message, e.format()
    assert "inline_asm_elementwise" in open(e.loc.file).read().splitlines()[e.loc.line - 1]


BUILD = """
import torch, kopt
from tests.test_inline_asm import shift_left
for b in kopt.build_for_target(kopt.kernel(shift_left), torch.arange(1000, dtype=torch.int32), arch=90):
    print("BUILT", b.kernel, b.ok, b.error)
"""


def test_builds_for_sm90(tmp_path):
    r = subprocess.run([sys.executable, "-c", BUILD], capture_output=True, text=True, cwd=ROOT,
                       env=_gpu_env(tmp_path), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "BUILT _shift_left_kernel True None" in r.stdout, r.stdout + r.stderr[-2000:]


@pytest.mark.parametrize("bad,expected", [
    ('hl.inline_asm_elementwise(asm, "=r,r", [x[t]], dtype=torch.int32)', "asm must be a string constant"),
    ('hl.inline_asm_elementwise("mov.b32 $0, $1;", "=r,r", x[t], dtype=torch.int32)', "args must be a list"),
    ('hl.inline_asm_elementwise("mov.b32 $0, $1;", "=r,r", [x[t]], dtype=(torch.int32, torch.int32))',
     "several result dtypes"),
])
def test_malformed_calls_are_located(tmp_path, bad, expected):
    from tests.shapes.util import import_file, kernel_file

    path = kernel_file(tmp_path, "asm_bad", f"""asm = "mov.b32 $0, $1;"


@kopt.kernel
def asm_bad(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = {bad}
    return out
""")
    with pytest.raises(KoptError, match=expected) as info:
        import_file(path).asm_bad(torch.arange(4, dtype=torch.int32))
    assert info.value.loc is not None and info.value.loc.line == path.read_text().count("\n") - 1
