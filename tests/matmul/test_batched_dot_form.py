"""The form a batched tl.dot takes: by default one batch per program and every tile 2-D (batch-to-grid;
fp16 attention 68 -> ~200 TFLOP/s on an H100, benchmarks/results/h100_2026-11-25c); with a batch block a
config fixes, the 3-D form and, for a block of 1 at launch, a 2-D tl.dot behind the constexpr `_DOT_2D`
(bmm: 178 s -> 1.5 s to build in fp16 on an H100)."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from tests.helpers import load_example

TWO_D = "if _DOT_2D else tl.dot("


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_bmm_is_2d_with_one_batch_per_program(dtype):
    """batch-to-grid: the batch is a program index, every tile 2-D, no batch block to choose."""
    bmm = load_example("bmm").bmm
    x, y = torch.randn(2, 17, 20, dtype=dtype), torch.randn(2, 20, 33, dtype=dtype)
    src = bmm.compile(x, y).triton_source
    assert "_DOT_2D" not in src.split("def bmm(")[0] and "tl.reshape" not in src and "tl.dot(" in src
    assert "dot_tiles((m, n, k, b)" in src  # the batch still counts the programs
    torch.testing.assert_close(bmm(x, y).float(), torch.bmm(x.float(), y.float()), atol=3e-2, rtol=1e-2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_a_config_batch_block_keeps_both_forms(dtype):
    """A config that asks for 2 batches per program keeps the 3-D form (and the 2-D one behind `_DOT_2D`)."""
    bmm = kopt.kernel(load_example("bmm").bmm.fn, config=kopt.Config(block_sizes=[2, 16, 16, 16]))
    x, y = torch.randn(3, 17, 20, dtype=dtype), torch.randn(3, 20, 33, dtype=dtype)
    src = bmm.compile(x, y).triton_source
    assert TWO_D in src and "_DOT_2D: tl.constexpr" in src
    torch.testing.assert_close(bmm(x, y).float(), torch.bmm(x.float(), y.float()), atol=3e-2, rtol=1e-2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_attention_is_2d(dtype):
    attention = load_example("attention").attention
    q, k, v = (torch.randn(2, 19, 16, dtype=dtype) for _ in range(3))
    src = attention.compile(q, k, v).triton_source
    kernel = src.split("def attention(")[0]
    assert "_DOT_2D" not in kernel and "tl.reshape" not in kernel and "tl.permute" not in kernel
    assert "tl.trans(k_blk)" in kernel and "[:, :, None]" not in kernel
    want = torch.softmax((q.float() @ k.float().transpose(1, 2)) / 4.0, -1) @ v.float()
    torch.testing.assert_close(attention(q, k, v).float(), want, atol=2e-2, rtol=2e-2)


def test_attention_with_a_config_batch_block_of_two_has_both_forms():  # (both dots twice: loop-peeling)
    attention = kopt.kernel(load_example("attention").attention.fn, config=kopt.Config(block_sizes=[2, 16, 16]))
    q, k, v = (torch.randn(3, 19, 16) for _ in range(3))
    src = attention.compile(q, k, v).triton_source
    assert src.count(TWO_D) == 4 and "tl.trans(tl.reshape(k_blk" in src and "tl.permute(k_blk, (0, 2, 1))" in src
    want = torch.softmax((q @ k.transpose(1, 2)) / 4.0, -1) @ v
    torch.testing.assert_close(attention(q, k, v), want, atol=1e-4, rtol=1e-4)


@kopt.kernel
def bmm_unit_batch(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """bmm with the batch block fixed to 1 in the source: no batch block for the launcher to choose."""
    b, m, k = x.size()
    _, _, n = y.size()
    out = torch.empty([b, m, n], dtype=x.dtype, device=x.device)
    for tile_b, tile_m, tile_n in hl.tile([b, m, n], block_size=[1, None, None]):
        acc = hl.zeros([tile_b, tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.baddbmm(acc, x[tile_b, tile_m, tile_k], y[tile_b, tile_k, tile_n])
        out[tile_b, tile_m, tile_n] = acc.to(x.dtype)
    return out


def test_a_batch_block_of_one_in_the_source_takes_the_2d_form():
    x, y = torch.randn(3, 17, 20), torch.randn(3, 20, 33)
    src = bmm_unit_batch.compile(x, y).triton_source
    assert TWO_D in src and "_DOT_2D = 1" in src
    torch.testing.assert_close(bmm_unit_batch(x, y), torch.bmm(x, y), atol=1e-4, rtol=1e-4)
