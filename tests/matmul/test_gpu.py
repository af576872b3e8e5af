"""bf16 matmuls, checked on a GPU only: the Triton interpreter's bf16 tl.dot is wrong (max error
~5e10 on a 64x32x64 product), so on the CPU these are skipped with that reason.
On the GPU machine: `python -m pytest -q tests/matmul/test_gpu.py` (without TRITON_INTERPRET), or
`python benchmarks/matmul_gpu_check.py` for every example, dtype and size."""

from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F

from tests.helpers import load_example

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available() or os.environ.get("TRITON_INTERPRET") == "1",
    reason="bf16 tl.dot needs a GPU: the Triton interpreter's bf16 dot is wrong")


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (17, 100, 129), (129, 17, 1), (1000, 999, 1001)])
def test_bf16_examples(m, k, n):
    x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(k, n, device="cuda", dtype=torch.bfloat16) / max(1, k) ** 0.5
    b = torch.randn(n, device="cuda", dtype=torch.bfloat16)
    prod = x.float() @ w.float()
    tol = dict(atol=1e-2, rtol=1.6e-2)  # one bf16 rounding of an fp32 accumulator: 2 ulps
    torch.testing.assert_close(load_example("matmul").matmul(x, w), prod.bfloat16(), **tol)
    torch.testing.assert_close(load_example("matmul_bias_relu").matmul_bias_relu(x, w, b),
                               torch.relu(prod + b.float()).bfloat16(), **tol)
    torch.testing.assert_close(load_example("linear_gelu").linear_gelu(x, w, b),
                               F.gelu(prod + b.float()).bfloat16(), **tol)
    xb, wb = x.expand(3, m, k).contiguous(), w.expand(3, k, n).contiguous()
    torch.testing.assert_close(load_example("bmm").bmm(xb, wb), torch.bmm(xb.float(), wb.float()).bfloat16(), **tol)
