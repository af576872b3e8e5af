"""What the generated launcher guarantees at every call: stated facts hold, empty tensors launch nothing."""

from __future__ import annotations

import pytest
import torch

from kopt.api import load_kernel
from kopt.errors import KoptError
from kopt.frontend.signature import TensorSpec
from kopt.frontend.source import from_module_text
from kopt.runtime.compiler import compile_kernel
from tests.helpers import EXAMPLES, load_example


def softmax_with_facts(*facts: str):
    path = EXAMPLES / "softmax.py"
    src = next(s for s in from_module_text(path.read_text(), str(path)) if s.fn.name == "softmax")
    result = compile_kernel(src, {"x": TensorSpec("f32", 2)}, facts=facts)
    return result.triton_source, load_kernel(result, "softmax", device="cpu")


def test_assumed_facts_are_checked_at_launch():
    source, softmax = softmax_with_facts("_m == 32")
    persistent = source.split("def _softmax_kernel(")[1].split("@triton.jit")[0]
    assert "mask_1" not in persistent  # the row mask is elided: _RDIM_SIZE_1 = next_power_of_2(32) = 32
    x = torch.randn(3, 32)
    torch.testing.assert_close(softmax(x), torch.softmax(x, dim=1))
    with pytest.raises(KoptError, match=r"the shape fact `_m == 32` the kernel was compiled with does not hold"):
        softmax(torch.randn(3, 20))  # would read past each row without the check


def test_block_size_facts_are_checked_too():
    _, softmax = softmax_with_facts("_BLOCK_SIZE_0 <= 2")
    x = torch.randn(2, 8)
    torch.testing.assert_close(softmax(x), torch.softmax(x, dim=1))
    with pytest.raises(KoptError, match="_BLOCK_SIZE_0 <= 2"):
        softmax(torch.randn(64, 8))  # the launcher's heuristic picks a larger block here


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
@pytest.mark.parametrize("name", ["softmax", "row_sum", "long_sum"])
def test_empty_tensors(name, shape):
    module = load_example("long_sum" if name == "long_sum" else ("softmax" if name == "softmax" else "row_sum"))
    fn = getattr(module, name)
    x = torch.randn(*shape)
    want = torch.softmax(x, dim=1) if name == "softmax" else x.sum(-1)
    torch.testing.assert_close(fn(x), want)


def test_empty_add():
    add = load_example("add").add
    x = torch.randn(0, 7)
    assert add(x, x).shape == (0, 7)
