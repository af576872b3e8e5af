"""Arguments that are not tensors: Python defaults, None for an optional tensor, bools, dtypes and tuples of ints
(compiled in, part of the cache key), dtypes named in host code; a wrong kind is located at its parameter."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.errors import KoptError


@kopt.kernel
def layer_norm(x: torch.Tensor, weight, bias, eps: float = 1e-5, acc_dtype=torch.float32, relu: bool = False):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(acc_dtype)
        mean = row.mean(-1, keepdim=True)
        c = row - mean
        y = c * torch.rsqrt((c * c).mean(-1, keepdim=True) + eps)
        if weight is not None:
            y = y * weight[None, :].to(acc_dtype)
        if bias is not None:
            y = y + bias[None, :].to(y.dtype)
        if relu:
            y = torch.relu(y)
        out[tile_m, :] = y.to(x.dtype)
    return out


@kopt.kernel
def scaled(x: torch.Tensor, factors) -> torch.Tensor:
    n = x.size(0)
    acc_dtype = torch.float32
    out = torch.empty([n], dtype=torch.promote_types(x.dtype, torch.float32), device=x.device)
    for tile in hl.tile(n):
        v = x[tile].to(acc_dtype) * factors[1] + factors[0]
        out[tile] = v.to(torch.promote_types(x.dtype, acc_dtype))
    return out


def _ln(x, w, b, eps=1e-5):
    return torch.nn.functional.layer_norm(x, (x.size(1),), w, b, eps)


@pytest.mark.parametrize("shape", [(1, 1), (37, 65), (5, 129)])
def test_optional_tensors_bools_defaults_and_dtypes(shape):
    x, w, b = torch.randn(shape), torch.randn(shape[1]), torch.randn(shape[1])
    torch.testing.assert_close(layer_norm(x, w, b), _ln(x, w, b), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer_norm(x, None, None), _ln(x, None, None), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer_norm(x, w, None, relu=True), torch.relu(_ln(x, w, None)), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer_norm(x, None, b, 1e-3, torch.float64), _ln(x, None, b, 1e-3), atol=1e-5,
                               rtol=1e-5)


def test_values_compiled_in_are_part_of_the_cache_key():
    layer_norm.cache_clear()
    x, w = torch.randn(9, 33), torch.randn(33)
    for _ in range(2):
        layer_norm(x, w, None)
        layer_norm(x, w, None, relu=True)
        layer_norm(x, None, None)
    info = layer_norm.cache_info()
    assert info.misses + info.disk_hits == 3, info  # (w, no bias), (w, no bias, relu), (nothing): one each


def test_tuples_of_ints_and_host_dtypes():
    x = torch.randn(97).half()
    got = scaled(x, (3, 2))
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, x.float() * 2 + 3)
    torch.testing.assert_close(scaled(x, [1, -1]), -x.float() + 1)


def test_a_wrong_argument_kind_is_located_at_its_parameter():
    with pytest.raises(KoptError) as e:
        layer_norm(torch.randn(4, 4), "weights", None)
    assert e.value.loc is not None and e.value.loc.line == layer_norm.fn.__code__.co_firstlineno + 1
    assert "argument 'weight'" in e.value.message and "got str" in e.value.message
