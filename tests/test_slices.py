"""Slices of kernel tensors in tile loops (`out[t, :n1]`, `x[:, n1:]`, `x[t, k0:k0 + 16]`, `x[t, -3:]`): views
with the tensor's strides, read and written exactly over the lanes they name; a slice outside its dim is a
located error at the call."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.errors import KoptError


@kopt.kernel
def concat_by_slices(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, n1 = x.size()
    _, n2 = y.size()
    out = torch.empty([m, n1 + n2], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m, :n1] = x[tile_m, :]
        out[tile_m, n1:] = y[tile_m, :]
    return out


@kopt.kernel
def window_sums(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.zeros([m, 4], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        for k0 in hl.static_range(4):
            out[tile_m, k0] = x[tile_m, k0 * 16:k0 * 16 + 16].sum(-1)
    return out


@kopt.kernel
def last_three(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m, 3], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m, :] = x[tile_m, -3:] * 2.0
    return out


@pytest.mark.parametrize("m,n1,n2", [(1, 1, 1), (37, 65, 19), (5, 128, 129)])
def test_concat_by_slices(m, n1, n2):
    x, y = torch.randn(m, n1), torch.randn(n2, m).t()  # y column-major
    torch.testing.assert_close(concat_by_slices(x, y), torch.cat([x, y], 1))


@pytest.mark.parametrize("m,n", [(1, 64), (9, 70), (33, 129)])
def test_static_windows_and_negative_bounds(m, n):
    x = torch.randn(m, n)
    torch.testing.assert_close(window_sums(x), x[:, :64].reshape(m, 4, 16).sum(-1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(last_three(x), x[:, -3:] * 2)


def test_one_compile_for_every_size():
    concat_by_slices.cache_clear()
    for m, n1, n2 in [(3, 5, 7), (40, 1, 2), (2, 100, 3)]:
        concat_by_slices(torch.randn(m, n1), torch.randn(m, n2))
    info = concat_by_slices.cache_info()
    assert info.misses + info.disk_hits == 1, info


def test_a_slice_outside_its_dim_is_a_located_error():
    with pytest.raises(KoptError, match=r"the slice \[48:64\] \(\[48:64\]\) of dim 1 of `x`, of size 50") as e:
        window_sums(torch.randn(9, 50))
    assert e.value.loc is not None and e.value.loc.line == window_sums.fn.__code__.co_firstlineno + 6
