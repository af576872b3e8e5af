"""softmax, log_softmax, layer_norm, rms_norm and cross_entropy against torch in every reduction mode,
on rows of 1, 7, 1000, 4097 (one past a power of two) and 20000 (three 8192-wide chunks, the last one ragged)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.reductions.modes import MODES, kernel

ROW_LENGTHS = (1, 7, 1000, 4097, 20000)
ROWS = 3  # the interpreter is slow; three rows still cover a partial row block
TOL = dict(atol=1e-5, rtol=1e-5)
CASES = [(mode, n) for mode in MODES for n in ROW_LENGTHS]
NORM_TOL = dict(atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mode, n", CASES)
def test_softmax(mode, n):
    x = torch.randn(ROWS, n)
    torch.testing.assert_close(kernel("softmax", mode)(x), torch.softmax(x, dim=1), **TOL)


@pytest.mark.parametrize("mode, n", CASES)
def test_log_softmax(mode, n):
    x = torch.randn(ROWS, n)
    torch.testing.assert_close(kernel("log_softmax", mode)(x), torch.log_softmax(x, dim=1), **NORM_TOL)


@pytest.mark.parametrize("mode, n", CASES)
def test_layer_norm(mode, n):
    x, w, b = torch.randn(ROWS, n) * 2 + 0.5, torch.randn(n), torch.randn(n)
    want = F.layer_norm(x, (n,), w, b, 1e-5)
    torch.testing.assert_close(kernel("layer_norm", mode)(x, w, b, 1e-5), want, **NORM_TOL)


@pytest.mark.parametrize("mode, n", CASES)
def test_rms_norm(mode, n):
    x, w = torch.randn(ROWS, n), torch.randn(n)
    want = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w
    torch.testing.assert_close(kernel("rms_norm", mode)(x, w, 1e-5), want, **NORM_TOL)


@pytest.mark.parametrize("mode, n", CASES)
def test_cross_entropy(mode, n):
    logits, labels = torch.randn(ROWS, n) * 3, torch.randint(0, n, (ROWS,))
    torch.testing.assert_close(kernel("cross_entropy", mode)(logits, labels), F.cross_entropy(logits, labels), **NORM_TOL)


@pytest.mark.parametrize("mode", ("looped", "online"))
def test_small_chunks_many_iterations(mode):
    """A chunk of 64 over 1000 columns: 16 iterations and a ragged tail of 40."""
    x = torch.randn(5, 1000)
    torch.testing.assert_close(kernel("softmax", mode, 64)(x), torch.softmax(x, dim=1), **TOL)
    torch.testing.assert_close(kernel("log_softmax", mode, 64)(x), torch.log_softmax(x, dim=1), **NORM_TOL)


@pytest.mark.parametrize("mode", MODES)
def test_softmax_extreme_values(mode):
    """Large and very negative logits: the online rescaling must not overflow or lose the max."""
    x = torch.randn(3, 5000) * 50
    x[0, 4999] = 1e4
    x[1, :] = -1e4
    torch.testing.assert_close(kernel("softmax", mode, 1024)(x), torch.softmax(x, dim=1), **TOL)


@pytest.mark.parametrize("mode", MODES)
def test_in_place_softmax_and_strided_inputs(mode):
    """A transposed input, and a slice: strides are arguments in every mode."""
    base = torch.randn(700, 9)
    xt = base.t()  # 9 x 700, column-major
    torch.testing.assert_close(kernel("softmax", mode, 128)(xt), torch.softmax(xt, dim=1), **TOL)
    sliced = torch.randn(12, 3000)[::4, 7:2900]
    torch.testing.assert_close(kernel("softmax", mode, 128)(sliced), torch.softmax(sliced, dim=1), **TOL)
