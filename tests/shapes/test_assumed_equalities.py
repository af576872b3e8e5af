"""Assume, then check: sizes a broadcast or a product needs equal, which the facts cannot prove, are assumed equal
when compiling, and the launcher checks them at every call (a located KoptError on a mismatch); a size of 1
broadcasts as in torch, through a kernel compiled for it."""

from __future__ import annotations

import pytest
import torch

from kopt.errors import KoptError
from tests.shapes.util import import_file, kernel_file

RMS_NORM = """@kopt.kernel
def rms_norm(x, weight, eps: float = 1e-5):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        x_tile = x[tile_m, :].to(torch.float32)
        inv_rms = torch.rsqrt(torch.mean(x_tile * x_tile, dim=-1) + eps)
        out[tile_m, :] = (x_tile * inv_rms[:, None] * weight[None, :].to(torch.float32)).to(out.dtype)
    return out
"""

MATMUL = """@kopt.kernel
def matmul(x, y):
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = (x[tile_m, :] @ y[:, tile_n]).to(out.dtype)
    return out
"""


def _rms(x, w, eps=1e-5):
    return torch.nn.functional.rms_norm(x, (x.size(1),), None, eps) * w


@pytest.fixture
def rms_norm(tmp_path):
    return import_file(kernel_file(tmp_path, "rms", RMS_NORM)).rms_norm


def test_helion_style_rms_norm_compiles_once_and_matches(rms_norm):
    rms_norm.cache_clear()
    for m, n in [(1, 2), (37, 65), (8, 1024), (5, 257)]:  # (n = 1 is the size-1 kernel: the next test)
        x, w = torch.randn(m, n), torch.randn(n)
        torch.testing.assert_close(rms_norm(x, w), _rms(x, w), atol=1e-5, rtol=1e-5)
    info = rms_norm.cache_info()
    assert info.misses + info.disk_hits == 1, info


def test_a_mismatched_weight_is_a_located_error_at_the_call(rms_norm, tmp_path):
    with pytest.raises(KoptError) as e:
        rms_norm(torch.randn(37, 65), torch.randn(64))
    err = e.value
    assert err.loc is not None and err.loc.file.endswith("rms.py") and (err.loc.line, err.loc.col) == (12, 27)
    assert "(64)" in err.message and "(65)" in err.message and "must be equal here" in err.message


def test_a_weight_of_size_one_broadcasts_as_in_torch(rms_norm):
    rms_norm.cache_clear()
    x, w, w1 = torch.randn(9, 33), torch.randn(33), torch.randn(1)
    torch.testing.assert_close(rms_norm(x, w1), _rms(x, w1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(rms_norm(x, w), _rms(x, w), atol=1e-5, rtol=1e-5)  # the general kernel again
    w1 = torch.randn(1)
    torch.testing.assert_close(rms_norm(x, w1), _rms(x, w1), atol=1e-5, rtol=1e-5)  # the size-1 kernel, cached
    assert rms_norm.cache_info().misses + rms_norm.cache_info().disk_hits == 2  # general + size-1 weight


def test_a_contraction_size_is_assumed_and_checked(tmp_path):
    matmul = import_file(kernel_file(tmp_path, "mm", MATMUL)).matmul
    a, b = torch.randn(33, 17), torch.randn(17, 20)
    torch.testing.assert_close(matmul(a, b), a @ b, atol=1e-4, rtol=1e-4)
    with pytest.raises(KoptError, match=r"must be equal here") as e:
        matmul(a, torch.randn(16, 20))
    assert e.value.loc is not None and e.value.loc.line == 11
