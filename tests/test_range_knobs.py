"""Helion's per-loop knobs (kopt/backends/range_knobs.py): checked at Config(...), emitted on the inner tile loops'
`tl.range`, run on the interpreter against torch, built for sm_90 by Triton's GPU compiler; warp specialization
given up (and said) where Triton's compiler fails on it, as a launch does."""

from __future__ import annotations

import re
import warnings

import pytest
import torch

import kopt
from kopt.errors import KoptError
from tests.helpers import load_example

MATMUL = load_example("matmul").matmul.fn
KNOBS = dict(range_num_stages=[3], range_flattens=[True], range_unroll_factors=[2], range_multi_buffers=[False])


def _ranges(src: str) -> list[str]:
    """The `tl.range` arguments of the source's kernels, but a matmul's split-K pair (kopt/passes/split_k.py)."""
    parts = [p for p in src.split("@triton.jit") if not re.match(r"\s*def \w+_splitk(_sum)?\(", p)]
    return re.findall(r"tl\.range\(((?:[^()]|\([^()]*\))*)\)", "".join(parts))  # (one level of parentheses)


def test_knobs_go_on_the_inner_loop_and_the_kernel_still_matches_torch():
    k = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[16, 16, 16], range_warp_specializes=[True], **KNOBS))
    a, b = torch.randn(33, 40), torch.randn(40, 17)
    torch.testing.assert_close(k(a, b), a @ b, atol=1e-4, rtol=1e-4)
    src = k.compile(a, b).triton_source
    # the k-loop's whole blocks take the knobs; the rest (loop-peeling: at most one block) none
    assert _ranges(src) == ["0, _BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), _BLOCK_SIZE_2, num_stages=3, loop_unroll_factor=2, "
                            "warp_specialize=_WARP_SPEC, flatten=True, disallow_acc_multi_buffer=True",
                            "_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), k, _BLOCK_SIZE_2"]
    assert "_WARP_SPEC: tl.constexpr" in src and "_WARP_SPEC = 1" in src


def test_entries_that_ask_for_nothing_add_nothing_and_kopts_own_loops_take_none():
    k = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[16, 16, 16], range_num_stages=[0],
                                               range_warp_specializes=[None], range_multi_buffers=[True]))
    a, b = torch.randn(8, 8), torch.randn(8, 8)
    assert _ranges(k.compile(a, b).triton_source) == ["0, _BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), _BLOCK_SIZE_2",
                                                      "_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), k, _BLOCK_SIZE_2"]
    softmax = kopt.kernel(load_example("softmax").softmax.fn, config=kopt.Config(range_num_stages=[3]))
    src = softmax.compile(torch.randn(4, 40000)).triton_source  # a looped reduction's chunk loops are kopt's
    assert _ranges(src) and all("num_stages" not in r for r in _ranges(src))


@pytest.mark.parametrize("fields, message", [
    (dict(range_num_stages=3), "must be a list"),
    (dict(range_num_stages=[-1]), "is not a non-negative int"),
    (dict(range_unroll_factors=[True]), "is not a non-negative int"),
    (dict(range_warp_specializes=[1]), "is not True, False or None"),
])
def test_malformed_knobs_are_said_at_the_config(fields, message):
    with pytest.raises(KoptError, match=message) as info:
        kopt.Config(**fields)
    assert info.value.loc is not None and info.value.loc.file.endswith("test_range_knobs.py")


SM90 = """
import torch, kopt
from tests.helpers import load_example
from tests.test_range_knobs import KNOBS, MATMUL
a, b = torch.randn(256, 256, dtype=torch.float16), torch.randn(256, 256, dtype=torch.float16)
for fields in (KNOBS, dict(range_warp_specializes=[True])):
    k = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[64, 64, 32], **fields))
    for built in kopt.build_for_target(k, a, b, arch=90):
        print("BUILT", built.error, built.stages[-1] if built.stages else None, built.given_up)
"""


def test_every_knob_builds_for_sm90_and_warp_specialization_is_given_up_where_triton_fails(tmp_path):
    """In a process of its own, without the interpreter (tests/corpus/test_target_build.py says why)."""
    from tests.corpus.test_target_build import _run

    r = _run(["-c", SM90], tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    built = [line.split(" ", 1)[1] for line in r.stdout.splitlines() if line.startswith("BUILT")]
    assert built[0] == "None cubin []"
    assert built[1] in ("None cubin []", "None cubin ['_WARP_SPEC']")  # Triton 3.9 fails on it for sm_90: given up


def test_a_launch_gives_up_warp_specialization_once_triton_fails_on_it():
    from tests.runtime.test_fast_launch import FakeJIT, make

    class NoWarpSpec(FakeJIT):
        def __init__(self):
            super().__init__([False, True, True], ["x", "_WARP_SPEC", "BLOCK"])
            self.__name__ = "_matmul_kernel"
            self.tried = []

        def __getitem__(self, grid):
            def run(*args, **options):
                self.tried.append(args[1])
                if args[1] == 1:
                    raise RuntimeError("PassManager::run failed")
                return super(NoWarpSpec, self).__getitem__(grid)(*args, **options)
            return run

    jit, fast = make(jit=NoWarpSpec())
    x = torch.zeros(4)
    with pytest.warns(RuntimeWarning, match="warp-specialized loops in `_matmul_kernel`; building it without"):
        fast[(1,)](x, 1, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast[(1,)](x, 1, 128)  # a new specialization: straight to the plain form, nothing said again
    assert jit.tried == [1, 0, 0]


def test_helion_fields_kopt_does_not_act_on_yet_are_said_once_where_they_ask_for_more():
    """A Helion config runs unchanged; a field kopt accepts but does not act on yet is said (once per value) where
    its value asks for something else than what kopt does, and not where it asks for what kopt does anyway."""
    from kopt.runtime import config as config_module

    config_module._SAID.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kopt.Config(pid_type="flat", indexing=["pointer", "pointer"], loop_orders=[[0, 1]], flatten_loops=[False],
                    static_ranges=[False], load_eviction_policies=["", ""])
    with warnings.catch_warnings():  # persistent programs are acted on (tests/matmul/test_persistent.py)
        warnings.simplefilter("error")
        kopt.Config(pid_type="persistent_blocked")
        kopt.Config(pid_type="persistent_interleaved")
    with pytest.warns(RuntimeWarning, match="pid_type='xyz' is accepted .* not acted on yet"):
        kopt.Config(pid_type="xyz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kopt.Config(pid_type="xyz")  # said once
    with pytest.warns(RuntimeWarning, match="indexing='block_ptr'"):  # tensor descriptors are acted on now
        kopt.Config(indexing="block_ptr")
