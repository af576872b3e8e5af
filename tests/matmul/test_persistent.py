"""Persistent kernels (Helion's `pid_type="persistent_interleaved" | "persistent_blocked"`): the launcher starts at
most one program per SM (four on the interpreter, so that each takes several tiles) and every program loops over
tiles (kopt/passes/lower_to_tt_grid.py). Checked against torch on awkward sizes, in the IR, and built for sm_90."""

from __future__ import annotations

import math

import pytest
import torch

import kopt
from kopt.errors import KoptError
from kopt.launch import hostmath
from tests.helpers import built_for_sm90, load_example

PID_TYPES = ("persistent_interleaved", "persistent_blocked")


def _kernel(example: str, pid_type: str, name: str | None = None) -> kopt.Kernel:
    return kopt.kernel(getattr(load_example(example), name or example).fn, config=kopt.Config(pid_type=pid_type))


@pytest.mark.parametrize("pid_type", PID_TYPES)
def test_dot_kernels_loop_over_their_tiles(pid_type):
    mm = _kernel("matmul", pid_type)
    for m, k, n in ((17, 33, 129), (130, 64, 70), (1, 16, 1), (97, 5, 257)):
        x, y = torch.randn(m, k), torch.randn(k, n)
        torch.testing.assert_close(mm(x, y), x @ y, atol=1e-3, rtol=1e-3)
    x, w, b = torch.randn(65, 40), torch.randn(40, 129), torch.randn(129)
    got = _kernel("matmul_bias_relu", pid_type)(x, w, b)
    torch.testing.assert_close(got, torch.relu(x @ w + b), atol=1e-3, rtol=1e-3)
    q, k, v = (torch.randn(3, 70, 16) for _ in range(3))
    want = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(16), -1) @ v
    torch.testing.assert_close(_kernel("attention", pid_type)(q, k, v), want, atol=1e-3, rtol=1e-3)
    a, bt = torch.randn(5, 17, 33), torch.randn(5, 20, 33).transpose(1, 2)  # a non-contiguous operand
    torch.testing.assert_close(_kernel("bmm", pid_type)(a, bt), a @ bt, atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("pid_type", PID_TYPES)
def test_row_and_elementwise_kernels_loop_over_their_tiles(pid_type):
    sm = _kernel("softmax", pid_type)
    for shape in ((37, 100), (1, 5), (200, 17)):
        x = torch.randn(*shape)
        torch.testing.assert_close(sm(x), torch.softmax(x, 1))
    add = _kernel("add", pid_type)
    for shape in ((5000,), (3, 7), (1,)):
        x, y = torch.randn(*shape), torch.randn(*shape)
        torch.testing.assert_close(add(x, y), x + y)
    xt = torch.randn(9, 300).t()
    torch.testing.assert_close(add(xt, xt), xt + xt)


def test_the_loop_is_in_the_kernel_and_the_grid_in_the_launcher():
    src = _kernel("matmul", "persistent_interleaved").compile(torch.randn(4, 4), torch.randn(4, 4)).triton_source
    assert "programs = tl.num_programs(0)" in src and "for tile_step in tl.range(0, _dyn_tile_count, 1):" in src
    assert "tile_id = pid + (tile_step * programs)" in src
    assert "_matmul_kernel[(persistent_programs(cdiv(m, _BLOCK_SIZE_0) * cdiv(n, _BLOCK_SIZE_1), x),)]" in src
    blocked = _kernel("matmul", "persistent_blocked").compile(torch.randn(4, 4), torch.randn(4, 4)).triton_source
    assert "first_tile = pid * " in blocked and "tile_id = first_tile + (tile_step * 1)" in blocked
    flat = kopt.kernel(load_example("matmul").matmul.fn).compile(torch.randn(4, 4), torch.randn(4, 4)).triton_source
    assert "num_programs" not in flat and "persistent_programs(" not in flat


def test_programs_are_capped_by_the_tiles_and_the_device():
    cpu = torch.empty(0)
    assert hostmath.persistent_programs(100, cpu) == hostmath.INTERPRETER_PROGRAMS
    assert hostmath.persistent_programs(2, cpu) == 2 and hostmath.persistent_programs(0, cpu) == 1


def test_an_unknown_pid_type_is_refused_by_the_pass():
    """(A Config with a pid_type kopt does not act on, Helion's `xyz`, is warned about: tests/test_range_knobs.py.)"""
    from kopt.passes.pipeline import Pipeline

    with pytest.raises(KoptError, match="pid-type 'spiral'"):
        k = kopt.kernel(load_example("add").add.fn, pipeline=Pipeline.parse(
            "decompose,shape-inference,tiling{pid-type=spiral},masking,mask-elision,canonicalize,lower-to-tt"))
        k(torch.randn(3), torch.randn(3))


BUILD = """
import torch, kopt
from tests.helpers import load_example
for pid_type in ("persistent_interleaved", "persistent_blocked"):
    k = kopt.kernel(load_example("matmul").matmul.fn, config=kopt.Config(pid_type=pid_type))
    a, b = torch.randn(512, 384, dtype=torch.float16), torch.randn(384, 640, dtype=torch.float16)
    for built in kopt.build_for_target(k, a, b, arch=90):
        print("BUILT", pid_type, built.kernel, built.stages[-1], built.error)
"""


def test_persistent_matmul_builds_for_sm90(tmp_path):
    """Triton's GPU compiler and ptxas take the tile loop (no GPU needed)."""
    built, stdout = built_for_sm90(BUILD, tmp_path)
    assert len(built) == 2 and all(line.endswith("cubin None") for line in built), stdout


def test_the_autotuner_tries_persistent_programs_where_tiles_outnumber_the_sms():
    mm = kopt.kernel(load_example("matmul").matmul.fn)
    compiled = mm.compile(torch.randn(8, 8), torch.randn(8, 8))
    big = mm.tune_candidates([torch.empty(4096, 4096), torch.empty(4096, 4096)], compiled)  # 512 default tiles
    small = mm.tune_candidates([torch.empty(128, 4096), torch.empty(4096, 128)], compiled)
    assert kopt.Config(pid_type="persistent_interleaved") in big
    assert not any(c.extra.get("pid_type") for c in small)
    assert kopt.Config(range_warp_specializes=[True]) in small  # the k-loop warp-specialized: tried at every size
