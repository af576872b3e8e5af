"""Lanes past a row's end read as -inf (kopt/ir/padding.py): a softmax-shaped kernel needs no select, and every
kernel still gives torch's answer, on rows that are all -inf, hold a NaN or +inf, are empty, or are not contiguous;
where the padding cannot be proven (a scale that is not a positive constant, an empty row whose result is stored)
the fill stays."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.dialects import tile as T


@kopt.kernel
def softmax_rows(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        row = x[tm, :].to(torch.float32)
        e = torch.exp(row - torch.amax(row, dim=1, keepdim=True))
        out[tm, :] = (e / torch.sum(e, dim=1, keepdim=True)).to(out.dtype)
    return out


@kopt.kernel
def scaled_exp2_sum(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        row = x[tm, :]
        e = torch.exp2((row - torch.amax(row, dim=1, keepdim=True)) * 1.4426950408889634)
        out[tm, :] = e / torch.sum(e, dim=1, keepdim=True)
    return out


@kopt.kernel
def negated_exp_sum(x: torch.Tensor) -> torch.Tensor:
    """exp(-(x - max)): the padding becomes +inf, not 0; the sum must keep its fill."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        row = x[tm, :]
        e = torch.exp((row - torch.amax(row, dim=1, keepdim=True)) * -0.5)
        out[tm, :] = e / torch.sum(e, dim=1, keepdim=True)
    return out


@kopt.kernel
def softmax_row_sums(x: torch.Tensor) -> torch.Tensor:
    """One value per row: an empty row stores the sum of nothing (0), so the sum keeps its fill."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = torch.sum(torch.softmax(x[tm, :], dim=1), dim=1)
    return out


@kopt.kernel
def softmax_times(s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(s) @ v: the dot folds the padded row (its neutral element is 0, and it propagates NaN)."""
    m, n = s.size()
    _, d = v.size()
    out = torch.empty([m, d], dtype=torch.float32, device=s.device)
    for tm in hl.tile(m):
        row = s[tm, :]
        p = torch.exp(row - torch.amax(row, dim=1, keepdim=True))
        out[tm, :] = (p @ v[:, :]) / torch.sum(p, dim=1, keepdim=True)
    return out


def _fills(fn, *args) -> list[str]:
    """The fills masking leaves in the kernel that holds the row in one block (its variants come after it)."""
    fills: list[str] = []

    def after_masking(prev, module, nxt):
        if prev is not None and prev.name == "masking":
            kernel = next(op for op in module.ops if isinstance(op, T.KernelOp))
            fills.extend(op.fill.data for op in kernel.walk() if isinstance(op, T.MaskFillOp))
    fn.lower(*args, hook=after_masking)
    return fills


def _awkward(m: int, n: int, dtype=torch.float32) -> torch.Tensor:
    x = torch.randn(m, n, dtype=dtype)
    if m > 3 and n > 2:
        x[0] = float("-inf")  # every lane -inf: torch gives NaN
        x[1, n // 2] = float("nan")
        x[2, 1] = float("inf")
        x[3, : n // 2] = float("-inf")
    return x


SHAPES = [(1, 1), (5, 1), (7, 13), (6, 257), (9, 1023), (4, 1025)]


@pytest.mark.parametrize("m,n", SHAPES)
def test_softmax_rows_match_torch(m, n):
    x = _awkward(m, n)
    torch.testing.assert_close(softmax_rows(x), torch.softmax(x, 1), equal_nan=True)
    torch.testing.assert_close(scaled_exp2_sum(x), torch.softmax(x, 1), equal_nan=True, atol=1e-6, rtol=1e-5)


def test_non_contiguous_and_half():
    x = _awkward(67, 40).t()  # 40 x 67, strides (1, 40)
    torch.testing.assert_close(softmax_rows(x), torch.softmax(x, 1), equal_nan=True)
    h = _awkward(11, 131, torch.float16)
    torch.testing.assert_close(softmax_rows(h), torch.softmax(h.float(), 1).half(), equal_nan=True, atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("m,n", [(7, 13), (5, 1), (3, 0)])
def test_kept_fills_match_torch(m, n):
    x = _awkward(m, n)
    torch.testing.assert_close(softmax_row_sums(x), torch.softmax(x, 1).sum(1), equal_nan=True)  # n = 0: zeros
    if n:  # (amax of an empty row raises, in torch as in kopt)
        e = torch.exp((x - x.amax(1, keepdim=True)) * -0.5)
        torch.testing.assert_close(negated_exp_sum(x), e / e.sum(1, keepdim=True), equal_nan=True)


@pytest.mark.parametrize("m,n,d", [(5, 1, 16), (7, 29, 16), (3, 65, 32)])
def test_dot_of_padded_row(m, n, d):
    s, v = _awkward(m, n), torch.randn(n, d)
    p = torch.exp(s - s.amax(1, keepdim=True))
    torch.testing.assert_close(softmax_times(s, v), (p @ v) / p.sum(1, keepdim=True), equal_nan=True,
                               atol=1e-4, rtol=1e-4)


def test_fills_are_dropped_only_where_proven():
    x = torch.randn(7, 13)
    assert _fills(softmax_rows, x) == []
    assert _fills(scaled_exp2_sum, x) == []
    assert _fills(negated_exp_sum, x) == ["0"]  # the max's is gone (x reads -inf), the sum's stays
    assert "0" in _fills(softmax_row_sums, x)


@pytest.mark.parametrize("n", [1, 2, 37, 100])
def test_chunked_rows_tail_without_fills(n):
    """A row as two pieces (reduction="chunked"): the tail reads -inf past the row's end and its sum takes no fill;
    where the tail is empty (n = 1) the head's lanes carry what torch gives."""
    k = kopt.kernel(softmax_rows.fn, config=kopt.Config(reduction="chunked"))
    x = _awkward(6, n, torch.float16)
    torch.testing.assert_close(k(x), torch.softmax(x.float(), 1).half(), equal_nan=True, atol=1e-3, rtol=1e-3)
    assert _fills(k, x) == []


@kopt.kernel
def tiny_scale_softmax(x: torch.Tensor) -> torch.Tensor:
    m, _ = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = torch.softmax(x[tm, :] * 1e-46, dim=1)  # 0 in fp32: -inf * 0 would be NaN
    return out


@kopt.kernel
def huge_scale_sum(x: torch.Tensor) -> torch.Tensor:
    m, _ = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = torch.sum(x[tm, :] * 1e39, dim=1)  # inf in fp32: 0 * inf would be NaN
    return out


@kopt.kernel
def fp8_softmax(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tm in hl.tile(m):
        out[tm, :] = torch.softmax(x[tm, :].to(torch.float32), dim=1)
    return out


@kopt.kernel
def squarings(x: torch.Tensor) -> torch.Tensor:
    m, _ = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        v = x[tm, :]
        for _ in hl.static_range(20):
            v = v * v
        out[tm] = v.sum(1)
    return out


def test_what_a_review_found():
    """Constants that are 0 or inf in the row's type are no scale (their padding would be NaN); float8 e4m3 has no
    -inf to read (it saturates to -448); a value used twice per op is walked once, not 2**20 times."""
    x = torch.rand(3, 10) + 0.5
    torch.testing.assert_close(tiny_scale_softmax(x), torch.softmax(x * 1e-46, 1))
    torch.testing.assert_close(huge_scale_sum(x), torch.sum(x * 1e39, 1))
    x8 = torch.randn(3, 10).to(torch.float8_e4m3fn)
    torch.testing.assert_close(fp8_softmax(x8), torch.softmax(x8.float(), 1))
    assert "other=float('-inf')" not in fp8_softmax.compile(x8).triton_source  # (its fp32 selects may)
    from kopt.ir import padding

    walked = []
    real = padding.PaddingAnalysis._of
    try:
        padding.PaddingAnalysis._of = lambda self, *a: walked.append(a[0]) or real(self, *a)
        squarings.lower(torch.ones(3, 10))
    finally:
        padding.PaddingAnalysis._of = real
    assert len(walked) < 500, len(walked)  # about one visit per value and candidate; 2**20 before
