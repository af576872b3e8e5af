"""Every skeleton example against torch eager on awkward shapes (CPU, Triton interpreter)."""

from __future__ import annotations

import pytest
import torch

from tests.helpers import load_example

ROWS_COLS = [(1, 1), (1, 7), (7, 97), (97, 257), (257, 1000), (1000, 7), (3, 1024)]


def tol(n_terms: int) -> dict:
    return dict(atol=1e-4 if n_terms >= 1000 else 1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape", ROWS_COLS)
@pytest.mark.parametrize("name", ["softmax", "softmax_decomposed"])
def test_softmax(name, shape):
    fn = getattr(load_example("softmax"), name)
    x = torch.randn(*shape)
    torch.testing.assert_close(fn(x), torch.softmax(x, dim=1), **tol(shape[1]))


@pytest.mark.parametrize("shape", ROWS_COLS)
def test_row_sum(shape):
    fn = load_example("row_sum").row_sum
    x = torch.randn(*shape)
    torch.testing.assert_close(fn(x), x.sum(-1), **tol(shape[1]))


@pytest.mark.parametrize("shape", [(1,), (7,), (97,), (257,), (1000,), (1025,), (1, 1), (7, 97), (257, 1000), (33, 1)])
def test_add(shape):
    fn = load_example("add").add
    x, y = torch.randn(shape), torch.randn(shape)
    torch.testing.assert_close(fn(x, y), x + y, atol=1e-5, rtol=1e-5)


def test_non_contiguous_inputs():
    """Strides are kernel arguments: transposed and sliced views need no copy."""
    base = torch.randn(300, 97)
    xt = base.t()  # 97 x 300, column-major
    sm = load_example("softmax").softmax
    torch.testing.assert_close(sm(xt), torch.softmax(xt, dim=1), atol=1e-5, rtol=1e-5)
    sliced = base[::3, 5:90]
    torch.testing.assert_close(load_example("row_sum").row_sum(sliced), sliced.sum(-1), atol=1e-5, rtol=1e-5)
    a, b = base[:, :50], base[:, 47:]
    torch.testing.assert_close(load_example("add").add(a, b), a + b)


def test_one_compile_serves_every_size():
    sm = load_example("softmax").softmax
    sm.cache_clear()
    for shape in [(1, 1), (7, 97), (97, 257), (257, 1000), (1000, 7)]:
        x = torch.randn(*shape)
        torch.testing.assert_close(sm(x), torch.softmax(x, dim=1), **tol(shape[1]))
    info = sm.cache_info()  # the one compile may come from the disk cache (a hit, counted in disk_hits)
    assert info.misses + info.disk_hits == 1 and info.hits - info.disk_hits == 4, info


def test_dtype_change_is_a_new_specialization():
    add = load_example("add").add
    add.cache_clear()
    add(torch.randn(5), torch.randn(5))
    add(torch.randn(9), torch.randn(9))
    h = add(torch.randn(9, dtype=torch.float16), torch.randn(9, dtype=torch.float16))
    assert h.dtype == torch.float16
    add(torch.randn(3, 4), torch.randn(3, 4))  # rank 2: another specialization
    info = add.cache_info()
    assert info.misses + info.disk_hits == 3, info


def test_compile_returns_triton_source():
    sm = load_example("softmax").softmax
    compiled = sm.compile(torch.randn(4, 8))
    src = compiled.triton_source
    assert "@triton.jit" in src and "tl.load" in src and "tl.constexpr" in src
    # sizes and strides are arguments, never baked-in numbers
    assert "def _softmax_kernel(x, out, x_stride_0, x_stride_1, out_stride_0, out_stride_1, n, _m," in src
    assert "4, 8" not in src and " 8)" not in src.split("def softmax")[0]


@pytest.mark.parametrize("shape", [(1, 1), (7, 97), (3, 1000), (2, 4097), (3, 20000)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_long_sum_sequential_loop(shape, dtype):
    fn = load_example("long_sum").long_sum
    x = torch.randn(*shape, dtype=dtype)
    want = x.float().sum(-1).to(dtype)
    tol = dict(atol=1e-3, rtol=1e-5) if dtype == torch.float32 else dict(atol=0.25, rtol=1e-2)
    torch.testing.assert_close(fn(x), want, **tol)
