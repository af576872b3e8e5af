"""Helion's core surface, piece by piece, against torch on the CPU (the rows of docs/helion-compat.md)."""

from __future__ import annotations

import torch

from tests.corpus import surface_kernels as K


def _attrs(n: int, begin: int, block: int) -> torch.Tensor:
    want = torch.zeros(n, 5, dtype=torch.int32)
    for i in range(begin, n):
        b = begin + (i - begin) // block * block
        want[i] = torch.tensor([i, b, min(b + block, n), block, (i - begin) // block])
    return want


def test_tile_attributes():
    for n in (1, 8, 37):
        torch.testing.assert_close(K.tile_attrs(torch.zeros(n)), _attrs(n, 0, 8))


def test_tile_attribute_functions_on_an_offset_range():
    for n, begin in ((37, 5), (9, 8)):
        torch.testing.assert_close(K.tile_attrs_offset(torch.zeros(n), begin), _attrs(n, begin, 4))


def test_hl_arange():
    x = torch.randn(37, 16)
    want = x - (torch.arange(37) % 16).float()[:, None]
    torch.testing.assert_close(K.arange_rows(x), want)


def test_static_range_unrolls():
    x = torch.randn(37, 5)
    torch.testing.assert_close(K.static_unroll(x), x[:, 0] + 2 * x[:, 1] + 3 * x[:, 2])
    src = K.static_unroll.compile(x).triton_source
    assert "for " not in src.split("def static_unroll")[0], "hl.static_range must unroll, not loop"


def test_constexpr_argument_and_specialize():
    x = torch.randn(7, 13)
    torch.testing.assert_close(K.constexpr_scale(x, 3.0), x * 3.0)
    torch.testing.assert_close(K.specialized(x), x + 1.0)


def test_unary_ops():
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        x = (torch.rand(33, 65) * 1.9 + 0.1).to(dtype)
        tol = dict(atol=1e-4, rtol=1e-4) if dtype == torch.float32 else dict(atol=0.1, rtol=2e-2)
        torch.testing.assert_close(K.unary_zoo(x), K.unary_zoo_ref(x), **tol)


def test_like_ops_and_where():
    x = torch.randn(33, 17)
    torch.testing.assert_close(K.like_ops(x), torch.where(x > 0, 3.0, -1.0))


def test_operators():
    x, y = torch.randn(101), torch.randn(101)
    torch.testing.assert_close(K.operators(x, y), K.operators_ref(x, y))


def test_views():
    x = torch.randn(37, 19)
    torch.testing.assert_close(K.views(x), 2 * x)


def test_gather_with_a_2d_tile_of_indices():
    x = torch.randn(50, 3)
    idx = torch.randint(0, 50, (13, 7))
    torch.testing.assert_close(K.gather_2d(x, idx), x[idx, 0])


def test_sizes_inside_the_loop():
    x = torch.randn(9, 11)
    torch.testing.assert_close(K.size_in_loop(x), x + 1.0)


def test_masked_scatter_store():
    x = torch.randn(37)
    want = torch.zeros(37)
    for i in range(0, 37, 2):
        want[36 - i] = x[i]
    torch.testing.assert_close(K.scatter_store(x), want)


def test_full_with_float_inf():
    x = torch.randn(13, 300)
    torch.testing.assert_close(K.full_inf(x), x.amax(1))


def test_powers():
    x, y = torch.rand(101) + 0.5, torch.randn(101)
    want = x ** 3 + x ** -2 + 1 + x ** y + x ** 1.5 + 2.0 ** y + x.sqrt()
    torch.testing.assert_close(K.powers(x, y), want)


def test_host_flat_views():
    a, b = torch.randn(7, 33), torch.randn(7, 33)
    torch.testing.assert_close(K.flat_views(a, b), 2 * a + b)
    torch.testing.assert_close(K.flat_views(a.t(), b.t()), 2 * a.t() + b.t())


def test_index_masks_follow_their_loop_not_their_block_size():
    for m, n1, n2 in ((5, 20, 30), (40, 3, 7), (17, 17, 1)):
        x, y = torch.randn(m, n1), torch.randn(m, n2)
        torch.testing.assert_close(K.concat_equal_blocks(x, y), torch.cat([x, y], 1))
