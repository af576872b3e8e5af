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


@kopt.kernel
def skip_first(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A batch loop with a begin (`hl.tile(1, b)`): the program index keeps it."""
    b, m, k = x.size()
    _, k_y, n = y.size()
    assert k_y == k
    out = torch.zeros([b, m, n], dtype=torch.float32, device=x.device)
    for tile_b in hl.tile(1, b):
        for tile_m in hl.tile(m):
            out[tile_b, tile_m, :] = torch.bmm(x[tile_b, tile_m, :], y[tile_b, :, :])
    return out


@kopt.kernel
def bias_none(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """A subscript's `None` (w[None, tile_m, :]) makes the unit dim that lines up with the batch."""
    b, m, k = x.size()
    _, k_y, n = y.size()
    assert k_y == k and w.size(0) == m and w.size(1) == n
    out = torch.empty([b, m, n], dtype=torch.float32, device=x.device)
    for tile_b, tile_m in hl.tile([b, m]):
        out[tile_b, tile_m, :] = torch.bmm(x[tile_b, tile_m, :], y[tile_b, :, :]) + w[None, tile_m, :]
    return out


@kopt.kernel
def colsum_bias(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """A keepdim reduction's unit dim (w.sum(0, keepdim=True)[:, None, :]) lines up with the batch."""
    b, m, k = x.size()
    _, k_y, n = y.size()
    assert k_y == k and w.size(1) == n
    out = torch.empty([b, m, n], dtype=torch.float32, device=x.device)
    for tile_b, tile_m in hl.tile([b, m]):
        c = w[:, :].sum(0, keepdim=True)
        out[tile_b, tile_m, :] = torch.bmm(x[tile_b, tile_m, :], y[tile_b, :, :]) + c[:, None, :]
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


@pytest.mark.parametrize("b", [2, 3, 7])
def test_a_batch_loop_with_a_begin_keeps_it(b):
    x, y = torch.randn(b, 17, 16), torch.randn(b, 16, 19)
    assert "_BLOCK_SIZE_0" not in _kernel_text(skip_first, x, y)
    want = torch.bmm(x, y)
    want[0] = 0
    torch.testing.assert_close(skip_first(x, y), want, atol=1e-4, rtol=1e-4)


def test_unit_dims_from_a_subscript_or_a_kept_reduction_keep_the_kernel_3d():
    x, y = torch.randn(3, 17, 16), torch.randn(3, 16, 19)
    w = torch.randn(17, 19)
    assert "_BLOCK_SIZE_0" in _kernel_text(bias_none, x, y, w)
    torch.testing.assert_close(bias_none(x, y, w), torch.bmm(x, y) + w, atol=1e-4, rtol=1e-4)
    w2 = torch.randn(5, 19)
    assert "_BLOCK_SIZE_0" in _kernel_text(colsum_bias, x, y, w2)
    torch.testing.assert_close(colsum_bias(x, y, w2), torch.bmm(x, y) + w2.sum(0), atol=1e-4, rtol=1e-4)


def test_tuner_configs_keep_block_positions_when_a_pass_removed_a_block():
    """The tuner's space of a 2-D bmm has no block_sizes[0] (batch-to-grid removed it): its configs still
    put each value at its block's index, and a gap is the batch block of 1."""
    from kopt.runtime.space import to_config

    cfg = to_config({"block_sizes[1]": 64, "block_sizes[2]": 128, "block_sizes[3]": 32, "num_warps": 4})
    assert list(cfg.block_sizes) == [1, 64, 128, 32] and cfg.num_warps == 4
    x, y = torch.randn(3, 17, 16), torch.randn(3, 16, 19)
    bmm = kopt.kernel(kernel_of(BY_NAME["bmm"]).fn, config=cfg)
    assert "_BLOCK_SIZE_0" not in _kernel_text(bmm, x, y)  # the batch block of 1 is still one batch per program
    torch.testing.assert_close(bmm(x, y), torch.bmm(x, y), atol=1e-4, rtol=1e-4)
