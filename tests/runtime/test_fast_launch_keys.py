"""FastJIT's specialization key is at least as fine as Triton's own: two calls with equal keys get the
same specialization from Triton's `native_specialize_impl` (the function JITFunction.run's binder calls),
so a kernel kept for one key is the kernel Triton would pick. Checked against the installed Triton."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from kopt.runtime.fast_launch import FastJIT

libtriton = pytest.importorskip("triton._C.libtriton")
specialize = getattr(libtriton, "native_specialize_impl", None)
if specialize is None:  # older Triton: nothing to compare with
    pytest.skip("this Triton has no native_specialize_impl", allow_module_level=True)
from triton.backends.compiler import BaseBackend  # noqa: E402

BUFFER = torch.zeros(64, dtype=torch.float32)
HALF = torch.zeros(64, dtype=torch.float16)


def triton_spec(arg):
    return specialize(BaseBackend, arg, False, True, True)


def fast_jit() -> FastJIT:
    jit = SimpleNamespace(params=[SimpleNamespace(is_constexpr=False)], arg_names=["a"], pre_run_hooks=[])
    return FastJIT(jit, torch.Tensor, driver=None, knobs=SimpleNamespace(runtime=None))


ints = st.one_of(st.integers(-(2**64) + 1, 2**64 - 1), st.sampled_from([0, 1, -1, 16, 2**31 - 1, 2**31,
                                                                         -(2**31), 2**63 - 1, 2**63, 2**64 - 1]))
floats = st.floats(allow_nan=True, allow_infinity=True)
tensors = st.builds(lambda base, off: base[off:], st.sampled_from([BUFFER, HALF]), st.integers(0, 8))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(ints, floats, tensors), min_size=2, max_size=12))
def test_equal_fast_keys_mean_equal_triton_specializations(values):
    fast = fast_jit()
    seen: dict = {}
    for v in values:
        key = fast.key((v,), {})
        if key is None:
            continue  # Triton's own path
        spec = triton_spec(v)
        assert seen.setdefault(key, spec) == spec, (v, key, spec)
