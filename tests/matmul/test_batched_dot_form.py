"""Which form a batched tl.dot takes, as the H100 runs decided (benchmarks/results/h100_2026-11-25b):
with one batch per program a 2-D tl.dot behind a constexpr branch (bmm: 178 s -> 1.5 s to build in fp16),
except in 16-bit kernels of several dots, where Triton 3.6 could not compile that form."""

from __future__ import annotations

import pytest
import torch

from tests.helpers import load_example

TWO_D = "if _BLOCK_SIZE_0 == 1 else tl.dot("


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_bmm_takes_the_2d_form(dtype):
    bmm = load_example("bmm").bmm
    x, y = torch.randn(2, 17, 20, dtype=dtype), torch.randn(2, 20, 33, dtype=dtype)
    assert TWO_D in bmm.compile(x, y).triton_source
    torch.testing.assert_close(bmm(x, y).float(), torch.bmm(x.float(), y.float()), atol=3e-2, rtol=1e-2)


@pytest.mark.parametrize("dtype, two_d", [(torch.float32, True), (torch.float16, False)])
def test_attention_takes_the_2d_form_in_fp32_only(dtype, two_d):
    attention = load_example("attention").attention
    q, k, v = (torch.randn(2, 19, 16, dtype=dtype) for _ in range(3))
    src = attention.compile(q, k, v).triton_source
    assert (TWO_D in src) == two_d
    assert "tl.trans(tl.reshape(k_blk" in src if two_d else "tl.permute(k_blk, (0, 2, 1))" in src
