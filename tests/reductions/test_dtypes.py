"""fp16 and bf16 inputs: statistics accumulate in fp32 and results are rounded once, as torch does."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import kopt
from tests.reductions import kernels as K
from tests.reductions.modes import kernel

HALVES = (torch.float16, torch.bfloat16)
# one rounding of the output to the half type (bf16 has 8 bits of mantissa)
TOL = {torch.float16: dict(atol=2e-3, rtol=2e-3), torch.bfloat16: dict(atol=2e-2, rtol=2e-2)}


def _ref(fn, *args):
    """torch on fp32 copies, rounded to the input's dtype."""
    up = [a.float() if torch.is_tensor(a) and a.is_floating_point() else a for a in args]
    return fn(*up).to(args[0].dtype)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("mode", ("persistent", "looped", "online", "chunked"))
def test_row_kernels_in_half_precision(mode, dtype):
    x = torch.randn(3, 1000).to(dtype)
    w, b = torch.randn(1000).to(dtype), torch.randn(1000).to(dtype)
    tol = TOL[dtype]
    torch.testing.assert_close(kernel("softmax", mode)(x), _ref(lambda t: torch.softmax(t, 1), x), **tol)
    torch.testing.assert_close(kernel("log_softmax", mode)(x), _ref(lambda t: torch.log_softmax(t, 1), x), **tol)
    got = kernel("layer_norm", mode)(x, w, b, 1e-5)
    torch.testing.assert_close(got, _ref(lambda t, w, b: F.layer_norm(t, (1000,), w, b, 1e-5), x, w, b), **tol)
    got = kernel("rms_norm", mode)(x, w, 1e-5)
    want = _ref(lambda t, w: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-5) * w, x, w)
    torch.testing.assert_close(got, want, **tol)
    labels = torch.randint(0, 1000, (3,))
    got = kernel("cross_entropy", mode)(x, labels)
    torch.testing.assert_close(got, _ref(lambda t, y: F.cross_entropy(t, y), x, labels), **tol)


@pytest.mark.parametrize("dtype", HALVES)
def test_sums_accumulate_in_fp32(dtype):
    """4097 values near 10: fp16 partial sums past 16384 have a spacing of 16, so only fp32 partial
    sums round to torch's result (an fp32 sum rounded once)."""
    x = (10 + torch.randn(2, 4097)).to(dtype)
    k = kopt.kernel(K.half_sum)
    got = k(x)
    assert got.dtype == dtype
    want = torch.stack([x.float().sum(1), x.float().mean(1)], 1).to(dtype)
    torch.testing.assert_close(got, want, atol=0, rtol=2.0 ** -7 if dtype == torch.bfloat16 else 2.0 ** -10)  # 1 ulp
    src = k.compile(x).triton_source
    kernel_src = src[src.index("def _half_sum_kernel("):src.index("\n\n\n", src.index("def _half_sum_kernel("))]
    assert ".to(tl.float32)" in kernel_src  # the load is widened before tl.sum


@pytest.mark.parametrize("dtype", HALVES)
def test_max_keeps_the_half_dtype(dtype):
    x = torch.randn(3, 300).to(dtype)
    got = kopt.kernel(K.max_with_indices)(x)
    v, i = torch.max(x, 1)
    torch.testing.assert_close(got[:, 0], v.float())
    torch.testing.assert_close(got[:, 1], i.float())
