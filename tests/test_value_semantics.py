"""The adversarial findings about values, each against torch eager: NaN through clamp and torch.max(x, dim),
log-sum-exp of infinite rows, division by a literal zero, casts of int quotients, reductions over an empty dim,
softmax of integers, bool arithmetic. (tests/differential/test_ops.py sweeps the ops; these are the exact cases.)"""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.errors import KoptError

NAN, INF = float("nan"), float("inf")


@kopt.kernel
def clamp_rows(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t, :] = torch.clamp(x[t, :], -1.0, 1.0)
    return out


@kopt.kernel
def max_with_index(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0), 4], dtype=torch.float32, device=x.device)
    for t in hl.tile(x.size(0)):
        v, i = torch.max(x[t, :], dim=1)
        w, j = torch.min(x[t, :], dim=1)
        out[t, 0] = v
        out[t, 1] = i.to(torch.float32)
        out[t, 2] = w
        out[t, 3] = j.to(torch.float32)
    return out


@kopt.kernel
def logsumexp_rows(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0)], dtype=x.dtype, device=x.device)
    for t in hl.tile(x.size(0)):
        out[t] = torch.logsumexp(x[t, :], dim=1)
    return out


@kopt.kernel
def over_zero(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t] / 0.0
    return out


@kopt.kernel
def half_to_int(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = (x[t] / 2).to(x.dtype)
    return out


@kopt.kernel
def argmax_rows(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0)], dtype=torch.int64, device=x.device)
    for t in hl.tile(x.size(0)):
        out[t] = torch.argmax(x[t, :], dim=1)
    return out


@kopt.kernel
def softmax_rows(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t, :] = torch.softmax(x[t, :], dim=1)
    return out


@kopt.kernel
def bool_ops(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty([a.size(0), 2], dtype=torch.bool, device=a.device)
    for t in hl.tile(a.size(0)):
        out[t, 0] = a[t] + b[t]
        out[t, 1] = a[t] * b[t]
    return out


def test_clamp_keeps_nan():
    x = torch.tensor([[NAN, 2.0, -3.0, 0.5], [0.0, NAN, INF, -INF]])
    torch.testing.assert_close(clamp_rows(x), torch.clamp(x, -1.0, 1.0), equal_nan=True)


def test_max_and_min_with_indices_take_nan_first():
    x = torch.tensor([[1.0, NAN, 3.0, NAN], [2.0, 5.0, -1.0, 5.0], [NAN, 0.0, 0.0, 1.0]])
    v, i = torch.max(x, 1)
    w, j = torch.min(x, 1)
    want = torch.stack([v, i.float(), w, j.float()], 1)
    torch.testing.assert_close(max_with_index(x), want, equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_logsumexp_of_infinite_rows(dtype):
    x = torch.tensor([[-INF, -INF, -INF], [INF, 0.0, 1.0], [-INF, 2.0, -INF], [INF, INF, 0.0]], dtype=dtype)
    torch.testing.assert_close(logsumexp_rows(x), torch.logsumexp(x, 1), equal_nan=True)


def test_division_by_a_literal_zero_is_inf_or_nan():
    x = torch.tensor([1.0, -2.0, 0.0, NAN, INF])
    torch.testing.assert_close(over_zero(x), x / 0.0, equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_int_quotient_cast_back(dtype):
    x = torch.tensor([7, -7, 0, 1, -1, 2**20 + 1], dtype=dtype)
    torch.testing.assert_close(half_to_int(x), (x / 2).to(dtype))


def test_argmax_over_an_empty_dim_raises_as_torch():
    x = torch.randn(5, 0)
    with pytest.raises(IndexError):
        torch.argmax(x, 1)
    with pytest.raises(KoptError, match="size 0"):
        argmax_rows(x)


def test_softmax_over_an_empty_dim_is_empty_as_torch():
    x = torch.randn(5, 0)
    assert softmax_rows(x).shape == torch.softmax(x, 1).shape == (5, 0)


def test_softmax_of_integers_is_refused_as_torch():
    x = torch.randint(0, 5, (3, 4), dtype=torch.int32)
    with pytest.raises(RuntimeError):
        torch.softmax(x, 1)
    with pytest.raises(KoptError) as info:
        softmax_rows(x)
    assert info.value.loc is not None and "softmax" in info.value.message, info.value.format()


def test_bool_sum_and_product_are_or_and_and():
    a = torch.tensor([True, True, False, False])
    b = torch.tensor([True, False, True, False])
    torch.testing.assert_close(bool_ops(a, b), torch.stack([a + b, a * b], 1))
