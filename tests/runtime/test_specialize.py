"""Specialization: static shapes and divisibility become shape facts that remove masks, and keys."""

from __future__ import annotations

import torch

import kopt
from kopt.dialects.tile import KernelOp
from kopt.frontend.source import from_function
from kopt.runtime.compiler import compile_kernel
from kopt.runtime.specialize import ArgFact, call_key, specs_and_facts
from kopt.tools.bench.shapes import get_shapes
from tests.runtime import kernels


def _kernel(src: str, name: str = "_softmax_kernel") -> str:
    """The text of one @triton.jit function (reduction-lowering may add size-picked variants beside it)."""
    start = src.index(f"def {name}(")
    return src[start:src.find("\n\n\n", start)]


def _masked(src: str) -> bool:
    return "mask_0" in src or "other=" in src


def test_static_shapes_and_config_block_remove_every_mask():
    k = kopt.kernel(kernels.softmax, static_shapes=True, config=kopt.Config(block_sizes=[8]))
    x = torch.randn(4096, 1024)
    src = k.compile(x).triton_source
    launched = _kernel(src)  # the persistent kernel, which 1024 columns launch
    assert not _masked(launched) and "mask_1" not in launched, launched
    assert "_BLOCK_SIZE_0 = 8" in src
    torch.testing.assert_close(k(x), torch.softmax(x, dim=1), atol=1e-5, rtol=1e-5)


def test_dynamic_shapes_keep_the_masks():
    for k in (kopt.kernel(kernels.softmax), kopt.kernel(kernels.softmax, config=kopt.Config(block_sizes=[8]))):
        assert _masked(_kernel(k.compile(torch.randn(4096, 1024)).triton_source))


def test_static_shapes_compile_per_shape():
    k = kopt.kernel(kernels.softmax, static_shapes=True)
    for shape in [(4, 8), (4, 8), (5, 8)]:
        k.compile(torch.randn(*shape))
    assert k.cache_info().misses == 2


def test_facts_name_the_symbols_the_frontend_chose():
    src = from_function(kernels.softmax)
    items, _ = call_key(["x"], [torch.randn(64, 48)], static_shapes=True, divisibility=True)
    specs, facts = specs_and_facts(["x"], items)
    assert ArgFact("x", "stride", 0, "% 16 == 0") in facts and ArgFact("x", "size", 1, "== 48") in facts
    result = compile_kernel(src, specs, arg_facts=facts, facts=("_BLOCK_SIZE_0 == 16",))
    kernel = next(op for op in result.tile_ir.ops if isinstance(op, KernelOp))
    stated = [f.data for f in kernel.plan.fact_list]
    # `n, _m = x.size()` renamed x_size_0 / x_size_1; strides keep their names; x_stride_1 == 1 is no multiple of 16
    assert stated == ["_BLOCK_SIZE_0 == 16", "n == 64", "_m == 48", "x_stride_0 % 16 == 0"], stated


def test_divisibility_specialization():
    k = kopt.kernel(kernels.softmax, specialize_divisibility=True, config=kopt.Config(block_sizes=[16]))
    rows = {}
    for shape in [(64, 48), (65, 48), (128, 40), (32, 48)]:
        x = torch.randn(*shape)
        rows[shape] = "mask_0" in _kernel(k.compile(x).triton_source)
        torch.testing.assert_close(k(x), torch.softmax(x, dim=1))
    # 16 | n proves the row mask away; 65 rows keep it. Divisibility is in the key: 3 compiles for 4 shapes.
    assert rows == {(64, 48): False, (65, 48): True, (128, 40): False, (32, 48): False}
    assert k.cache_info().misses == 3
    plain = kopt.kernel(kernels.softmax, config=kopt.Config(block_sizes=[16]))
    assert "mask_0" in _kernel(plain.compile(torch.randn(64, 48)).triton_source)


def test_one_compile_for_the_98_tritonbench_shapes():
    k = kopt.kernel(kernels.softmax)
    base = torch.empty(1)
    for m, n in get_shapes("tritonbench"):
        k.compile(base.expand(m, n))  # sizes without the memory: compile never reads the data
    info = k.cache_info()
    assert len(get_shapes("tritonbench")) == 98 and info.misses == 1 and info.hits == 97, info
