"""Every reduction (sum, mean, amax, amin, max with indices, argmax/argmin, var, std, prod, logsumexp)
over the last dim and over dim 0, with keepdim, against torch in every reduction mode."""

from __future__ import annotations

import pytest
import torch

import kopt
from tests.reductions import kernels as K
from tests.reductions.modes import MODES, config

SHAPES = [(3, 1), (5, 7), (3, 1000), (2, 4097)]


def run(fn, mode, *args, block=256):
    return kopt.kernel(fn, config=config(mode, block if mode != "persistent" else None))(*args)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", MODES)
def test_row_statistics(mode, shape):
    x = torch.randn(*shape) + 0.5
    got = run(K.row_stats, mode, x)
    want = torch.stack([x.sum(1), x.mean(1), x.amax(1), x.amin(1), x.var(1), x.var(1, correction=0), x.std(1),
                        torch.logsumexp(x, 1), (x * 0.01 + 1.0).prod(1)], dim=1)
    if shape[1] == 1:  # the unbiased variance of one element is 0/0
        assert got[:, 4].isnan().all() and got[:, 6].isnan().all()
        got, want = got[:, [0, 1, 2, 3, 5, 7, 8]], want[:, [0, 1, 2, 3, 5, 7, 8]]
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", MODES)
def test_max_min_values_and_indices(mode, shape):
    x = torch.randn(*shape)
    x[:, shape[1] // 2] = x.max() + 1  # a clear maximum in every row
    got = run(K.max_with_indices, mode, x)
    v, i = torch.max(x, 1)
    want = torch.stack([v, i.float(), v, i.float(), torch.min(x, 1).indices.float(), x.argmin(1).float()], 1)
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("mode", MODES)
def test_argmax_first_of_ties_across_chunks(mode):
    """The same maximum in two chunks: the first index wins, as in torch."""
    x = torch.zeros(2, 1000)
    x[0, 300], x[0, 900] = 5.0, 5.0
    x[1, 999] = 1.0
    got = run(K.max_with_indices, mode, x)
    assert got[:, 1].tolist() == [300.0, 999.0] and got[:, 5].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", MODES)
def test_keepdim_broadcast_back(mode, shape):
    x = torch.randn(*shape)
    want = x - x.mean(-1, keepdim=True) + x.amax(-1, keepdim=True)
    torch.testing.assert_close(run(K.keepdim_center, mode, x), want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape", [(1, 5), (7, 3), (1000, 9), (4097, 2)])
@pytest.mark.parametrize("mode", MODES)
def test_column_reductions(mode, shape):
    x = torch.randn(*shape)
    torch.testing.assert_close(run(K.column_sum, mode, x), x.sum(0), atol=1e-4, rtol=1e-5)
    want = torch.stack([x.mean(0), x.amax(0), x.argmax(0).float()])
    torch.testing.assert_close(run(K.column_stats, mode, x), want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_sum_of_everything(mode):
    x = torch.randn(4, 777)
    torch.testing.assert_close(run(K.total_sum, mode, x), x.sum(1), atol=1e-4, rtol=1e-5)


def test_looped_var_is_two_pass_and_accurate():
    """A large mean and a small spread: sum((x - mean)^2) keeps the digits E[x^2] - E[x]^2 would lose."""
    x = torch.randn(3, 5000, dtype=torch.float64).float() * 0.01 + 1000.0
    got = run(K.row_stats, "looped", x)[:, 4]
    torch.testing.assert_close(got, x.double().var(1).float(), atol=1e-6, rtol=1e-3)


@pytest.mark.parametrize("mode", MODES)
def test_per_row_value_stored_along_the_row(mode):
    x = torch.randn(3, 1000)
    want = x.mean(1, keepdim=True).expand(3, 1000)
    torch.testing.assert_close(run(K.row_mean_broadcast, mode, x), want, atol=1e-5, rtol=1e-5)
