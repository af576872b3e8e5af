"""The four matmul examples against torch eager on the CPU (Triton interpreter), sizes not divisible
by any block (1, 17, 100, 129).

Tolerances: fp32 products are exact in the interpreter (numpy), so fp32 rounding over k terms
(atol 1e-4 * sqrt(k)). fp16 inputs accumulate in fp32 and round once on the store, compared with
torch's fp32 product rounded to fp16: within 2 fp16 ulps (rtol 2e-3) plus atol 1e-2 for values
near 0. bf16 is left to the GPU (tests/matmul/test_gpu.py): the interpreter's bf16 tl.dot is wrong.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.helpers import load_example

SIZES = [(1, 1, 1), (17, 100, 129), (129, 17, 1), (100, 129, 17), (129, 129, 100)]  # (m, k, n)
DTYPES = [torch.float32, torch.float16]


def tol(dtype, k: int) -> dict:
    return dict(atol=1e-4 * max(1, k) ** 0.5, rtol=1e-4) if dtype == torch.float32 else dict(atol=1e-2, rtol=2e-3)


def inputs(*shapes, dtype):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(*s, generator=g).to(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "fp16"])
@pytest.mark.parametrize("m,k,n", SIZES)
def test_matmul(m, k, n, dtype):
    x, y = inputs((m, k), (k, n), dtype=dtype)
    got = load_example("matmul").matmul(x, y)
    assert got.dtype == dtype and got.shape == (m, n)
    torch.testing.assert_close(got, (x.float() @ y.float()).to(dtype), **tol(dtype, k))


@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "fp16"])
@pytest.mark.parametrize("b,m,k,n", [(1, 1, 1, 1), (3, 17, 100, 129), (2, 129, 17, 1)])
def test_bmm(b, m, k, n, dtype):
    x, y = inputs((b, m, k), (b, k, n), dtype=dtype)
    got = load_example("bmm").bmm(x, y)
    torch.testing.assert_close(got, torch.bmm(x.float(), y.float()).to(dtype), **tol(dtype, k))


@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "fp16"])
@pytest.mark.parametrize("m,k,n", SIZES)
def test_matmul_bias_relu(m, k, n, dtype):
    x, w, b = inputs((m, k), (k, n), (n,), dtype=dtype)
    got = load_example("matmul_bias_relu").matmul_bias_relu(x, w, b)
    want = torch.relu(x.float() @ w.float() + b.float()).to(dtype)
    torch.testing.assert_close(got, want, **tol(dtype, k))


@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "fp16"])
@pytest.mark.parametrize("m,k,n", SIZES)
def test_linear_gelu(m, k, n, dtype):
    x, w, b = inputs((m, k), (k, n), (n,), dtype=dtype)
    got = load_example("linear_gelu").linear_gelu(x, w, b)
    want = F.gelu(x.float() @ w.float() + b.float()).to(dtype)  # exact (erf) gelu, torch's default
    torch.testing.assert_close(got, want, **tol(dtype, k))


def test_transposed_views_need_no_copy():
    """Strides are kernel arguments: `w.t()` (column-major) and sliced views go in as they are."""
    x = torch.randn(129, 100)
    w = torch.randn(17, 100).t()  # [100, 17], stride (1, 100)
    mm = load_example("matmul").matmul
    torch.testing.assert_close(mm(x, w), x @ w, atol=1e-4, rtol=1e-4)
    xs = torch.randn(300, 130)[::3, 1:101]  # [100, 100], strides (390, 1)
    torch.testing.assert_close(mm(xs, w), xs @ w, atol=1e-4, rtol=1e-4)


def test_mixed_input_dtypes_promote_like_torch():
    x, y = torch.randn(17, 33), torch.randn(33, 20).half()
    got = load_example("matmul").matmul(x, y)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, x @ y.float(), atol=1e-4, rtol=1e-4)


def test_one_compile_serves_every_size():
    mm = load_example("matmul").matmul
    mm.cache_clear()
    for m, k, n in SIZES:
        x, y = torch.randn(m, k), torch.randn(k, n)
        torch.testing.assert_close(mm(x, y), x @ y, **tol(torch.float32, k))
    info = mm.cache_info()
    assert info.misses + getattr(info, "disk_hits", 0) == 1, info  # compiled (or loaded) once
