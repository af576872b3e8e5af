"""batch-to-grid on kernels other than the corpus's: what it rewrites, what it leaves 3-D, and that the
results match torch either way (tests/filecheck/batch_to_grid.py shows the IR)."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from tests.corpus.cases import BY_NAME
from tests.corpus.check import kernel_of


@kopt.kernel
def batch_sum_of_products(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """sum over the batch of x[b] @ y[b], the batch tiled with the rows: the reduction runs over the batch."""
    b, m, k = x.size()
    _, k_y, n = y.size()
    assert k_y == k
    out = torch.zeros([m, n], dtype=torch.float32, device=x.device)
    for tile_b, tile_m, tile_n in hl.tile([b, m, n]):
        prod = torch.bmm(x[tile_b, tile_m, :], y[tile_b, :, tile_n])
        hl.atomic_add(out, [tile_m, tile_n], prod.sum(0))
    return out


@kopt.kernel
def offset_bmm(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x[b] @ y[b] + b: the batch index used as a value, broadcast against the product."""
    b, m, k = x.size()
    _, k_y, n = y.size()
    assert k_y == k
    out = torch.empty([b, m, n], dtype=torch.float32, device=x.device)
    for tile_b, tile_m in hl.tile([b, m]):
        prod = torch.bmm(x[tile_b, tile_m, :], y[tile_b, :, :])
        out[tile_b, tile_m, :] = prod + tile_b.index[:, None, None].to(torch.float32)
    return out


@kopt.kernel
def batch_attributes(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The batch tile's begin, end, block_size and id as values, after it became a program index."""
    b, m, k = x.size()
    _, k_y, n = y.size()
    assert k_y == k
    out = torch.empty([b, m, n], dtype=torch.float32, device=x.device)
    for tile_b, tile_m in hl.tile([b, m]):
        prod = torch.bmm(x[tile_b, tile_m, :], y[tile_b, :, :])
        out[tile_b, tile_m, :] = prod + (tile_b.begin * 100 + tile_b.end * 10 + tile_b.block_size + tile_b.id * 1000)
    return out


def _kernel_text(k, *args) -> str:
    return k.compile(*args).triton_source.split("\ndef " + k.fn.__name__ + "(")[0]


def test_a_reduction_over_the_batch_stays_3d():
    x, y = torch.randn(5, 19, 16), torch.randn(5, 16, 17)
    assert "_BLOCK_SIZE_0" in _kernel_text(batch_sum_of_products, x, y)
    torch.testing.assert_close(batch_sum_of_products(x, y), torch.bmm(x, y).sum(0), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("b,m", [(1, 1), (3, 17), (4, 33)])
def test_the_batch_index_as_a_value(b, m):
    x, y = torch.randn(b, m, 16), torch.randn(b, 16, 19)
    text = _kernel_text(offset_bmm, x, y)
    assert "_BLOCK_SIZE_0" not in text and "tl.reshape" not in text
    want = torch.bmm(x, y) + torch.arange(b, dtype=torch.float32)[:, None, None]
    torch.testing.assert_close(offset_bmm(x, y), want, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ["bmm", "attention", "causal_attention"])
def test_the_corpus_batched_kernels_are_2d(name):
    case = BY_NAME[name]
    args = case.make({s: 17 if s != "d" else 16 for s in case.sizes}, torch.float32, "contiguous",
                     torch.Generator().manual_seed(0))
    text = _kernel_text(kernel_of(case), *args)
    assert "_BLOCK_SIZE_0" not in text and "tl.reshape" not in text and "_DOT_2D" not in text


@pytest.mark.parametrize("b,m", [(1, 1), (3, 17), (5, 40)])
def test_the_batch_tile_attributes(b, m):
    x, y = torch.randn(b, m, 16), torch.randn(b, 16, 19)
    assert "_BLOCK_SIZE_0" not in _kernel_text(batch_attributes, x, y)
    i = torch.arange(b, dtype=torch.float32)[:, None, None]  # one batch per program: begin = id = i, end = i + 1
    want = torch.bmm(x, y) + i * 100 + (i + 1) * 10 + 1 + i * 1000
    torch.testing.assert_close(batch_attributes(x, y), want, atol=1e-3, rtol=1e-4)
