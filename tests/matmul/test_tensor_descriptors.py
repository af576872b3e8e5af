"""Tensor-descriptor (TMA) accesses for dot kernels (Helion's `indexing="tensor_descriptor"`,
kopt/passes/tensor_descriptors.py): the `_tma` clone runs where the tensors allow TMA, the pointer kernel elsewhere.
Checked against torch on the interpreter (which runs `tl.make_tensor_descriptor`), in the IR, and built for sm_90."""

from __future__ import annotations

import math

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.frontend.builder import build_module
from kopt.frontend.infer import infer_specs
from kopt.frontend.source import from_module_text
from kopt.launch import hostmath
from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
from kopt.runtime.compiler import run_pipeline
from kopt.dialects.parse import parse_tile
from tests.helpers import built_for_sm90, EXAMPLES, Launches, load_example

TMA = kopt.Config(indexing="tensor_descriptor")


def _kernel(name: str) -> kopt.Kernel:
    return kopt.kernel(getattr(load_example(name), name).fn, config=TMA)


def _launched(k: kopt.Kernel, *args):
    with Launches(k.compile(*args)) as seen:
        out = k(*args)
    return out, seen.names


@pytest.mark.parametrize("m, k, n", [(64, 48, 80), (1, 16, 4), (33, 100, 40), (128, 256, 16)])
def test_aligned_products_run_the_descriptor_kernel(m, k, n):
    mm = _kernel("matmul")
    x, y = torch.randn(m, k), torch.randn(k, n)
    out, names = _launched(mm, x, y)
    assert names == ["_matmul_kernel_tma"]
    torch.testing.assert_close(out, x @ y, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("why, x, y", [
    ("rows of 33 fp32: 132 bytes", torch.randn(17, 33), torch.randn(33, 129)),
    ("a transposed operand: last stride 40", torch.randn(48, 40).t(), torch.randn(48, 16)),
    ("a view 4 bytes past an aligned base", torch.randn(64 * 48 + 1)[1:].view(64, 48), torch.randn(48, 16)),
    ("prime sizes", torch.randn(97, 5), torch.randn(5, 257)),
])
def test_misaligned_tensors_launch_the_pointer_kernel(why, x, y):
    out, names = _launched(_kernel("matmul"), x, y)
    assert names == ["_matmul_kernel"], why
    torch.testing.assert_close(out, x @ y, atol=1e-4, rtol=1e-4)


def test_the_epilogue_batches_and_attention_through_descriptors():
    x, w, b = torch.randn(64, 32).half(), torch.randn(32, 48).half(), torch.randn(48).half()
    out, names = _launched(_kernel("matmul_bias_relu"), x, w, b)
    assert names == ["_matmul_bias_relu_kernel_tma"]
    torch.testing.assert_close(out, torch.relu(x.float() @ w.float() + b.float()).half(), atol=2e-2, rtol=2e-2)
    a, bt = torch.randn(3, 20, 32), torch.randn(3, 32, 24)
    out, names = _launched(_kernel("bmm"), a, bt)  # one batch per program: a scalar index, a block of 1 there
    assert names == ["_bmm_kernel_tma"]
    torch.testing.assert_close(out, a @ bt, atol=1e-4, rtol=1e-4)
    q, k, v = (torch.randn(2, 70, 16) for _ in range(3))
    want = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(16), -1) @ v
    out, names = _launched(_kernel("attention"), q, k, v)
    assert names == ["_attention_kernel_tma"]
    torch.testing.assert_close(out, want, atol=1e-4, rtol=1e-4)
    q4 = torch.randn(2, 70, 4).half()  # a head dim of 4 fp16 elements: 8 bytes, under TMA's 16
    out, names = _launched(_kernel("attention"), q4, q4, q4)
    assert names == ["_attention_kernel"]


@kopt.kernel(config=TMA)
def mm_masked_by(x: torch.Tensor, y: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = torch.where(keep[tile_m, tile_n], acc, 0.0)
    return out


def test_bool_tensors_and_loops_the_kernel_bounds_keep_pointers():
    """A bool tensor (Triton's i1: no whole byte for TMA to move) stays a pointer block beside descriptor ones; so do
    the accesses of a loop whose bounds the kernel computes (causal attention's `hl.tile(0, tile_m.end)`: no size at
    the kernel's start, where the descriptors are made)."""
    x, y, keep = torch.randn(32, 48), torch.randn(48, 64), torch.rand(32, 64) > 0.5
    out, names = _launched(mm_masked_by, x, y, keep)
    assert names == ["_mm_masked_by_kernel_tma"]
    torch.testing.assert_close(out, torch.where(keep, x @ y, 0.0), atol=1e-4, rtol=1e-4)
    src = mm_masked_by.compile(x, y, keep).triton_source
    assert "x_desc = tl.make_tensor_descriptor" in src and "keep_desc" not in src
    q, k, v = (torch.randn(2, 70, 16) for _ in range(3))
    causal = torch.triu(torch.full((70, 70), float("-inf")), 1)
    want = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(16) + causal, -1) @ v
    out, names = _launched(_kernel("causal_attention"), q, k, v)
    assert names == ["_causal_attention_kernel_tma"]
    torch.testing.assert_close(out, want, atol=1e-4, rtol=1e-4)


def test_the_tuner_keeps_its_space_beside_a_descriptor_clone():
    """The clone's `launch_if` needs the call's tensors, which a size bucket has not: the tuner takes the base's
    launch choices (the clone has the same), not an empty space."""
    pipeline = DEFAULT_PIPELINE.replace("lower-to-tt", "tensor-descriptors,lower-to-tt")
    mm = kopt.kernel(load_example("matmul").matmul.fn, pipeline=pipeline)
    x, y = torch.randn(64, 64), torch.randn(64, 64)
    assert mm.tune_candidates([torch.empty(512, 512), torch.empty(512, 512)], mm.compile(x, y))


def test_split_k_still_comes_first():
    """A decode-sized product launches split-K's pair (its variant is checked before the descriptor one)."""
    x, y = torch.randn(4, 2048), torch.randn(2048, 48)
    out, names = _launched(_kernel("matmul"), x, y)
    assert names == ["_matmul_kernel_splitk", "_matmul_kernel_splitk_sum"]
    torch.testing.assert_close(out, x @ y, atol=1e-3, rtol=1e-3)


def test_the_ir_shows_descriptors_and_prints_back():
    path = EXAMPLES / "matmul.py"
    pipeline = Pipeline.parse(DEFAULT_PIPELINE).insert_before("lower-to-tt", "tensor-descriptors")
    (src,) = from_module_text(path.read_text(), str(path))
    module = build_module(src, infer_specs(src, None))
    seen = []

    def round_trips(prev, mod, nxt):  # after every pass, tensor-descriptors' marks and lower-to-tt's ops included
        if prev is not None:
            assert str(parse_tile(str(mod), "<roundtrip>")) == str(mod), prev.name
            seen.append(prev.name)

    run_pipeline(module, pipeline, verify=True, hook=round_trips)
    assert "tensor-descriptors" in seen and "lower-to-tt" in seen
    text = str(module)
    assert 'tile.kernel @_matmul_kernel_tma' in text and 'launch_if = "descriptors_fit(x, y, out)"' in text
    assert text.count("tt.make_descriptor") == 5  # out; x and y for the whole k-blocks and again for the rest
    assert "tt.descriptor_load" in text and "tt.descriptor_store" in text
    pointer_kernel = text.split("tile.kernel @_matmul_kernel(")[1].split("tile.kernel @")[0]
    assert "tt.descriptor" not in pointer_kernel and "tt.make_descriptor" not in pointer_kernel


def test_descriptors_fit_checks_strides_and_base():
    assert hostmath.descriptors_fit(torch.empty(8, 4), torch.empty(3, 8, 16).half())
    assert not hostmath.descriptors_fit(torch.empty(8, 5))  # a row of 20 bytes
    assert not hostmath.descriptors_fit(torch.empty(8, 4).t())  # last stride 4
    assert not hostmath.descriptors_fit(torch.empty(9, 4)[:, 1:])  # base 4 bytes in
    assert hostmath.descriptors_fit(torch.empty(8, 4)[:, :1])  # one column of rows 16 bytes apart
    assert not hostmath.descriptors_fit(torch.empty(()))
    assert not hostmath.descriptors_fit(torch.empty(2**31, 16, device="meta"))  # TMA's sizes are int32
    assert not hostmath.descriptors_fit(torch.empty(1, 16).expand(8, 16))  # rows 0 bytes apart


def test_helion_indexing_values_are_accepted():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kopt.Config(indexing="tensor_descriptor")
        kopt.Config(indexing=["pointer", "tensor_descriptor"])
    with pytest.warns(RuntimeWarning, match="not acted on"):
        kopt.Config(indexing="block_ptr")
    with pytest.warns(RuntimeWarning, match="not acted on"):  # malformed: said, then pointers, as before descriptors
        odd = kopt.kernel(load_example("matmul").matmul.fn, config=kopt.Config(indexing=5))
    x, y = torch.randn(4, 16), torch.randn(16, 4)
    torch.testing.assert_close(odd(x, y), x @ y, atol=1e-4, rtol=1e-4)


BUILD = """
import torch, kopt
from tests.helpers import load_example
cfg = kopt.Config(indexing="tensor_descriptor")
h = torch.float16
cases = [("matmul", (torch.randn(256, 512, dtype=h), torch.randn(512, 384, dtype=h))),
         ("matmul_bias_relu", (torch.randn(256, 512, dtype=h), torch.randn(512, 384, dtype=h), torch.randn(384, dtype=h))),
         ("bmm", (torch.randn(3, 64, 128, dtype=h), torch.randn(3, 128, 64, dtype=h))),
         ("attention", tuple(torch.randn(4, 256, 64, dtype=h) for _ in range(3))),
         ("causal_attention", tuple(torch.randn(4, 256, 64, dtype=h) for _ in range(3)))]
for name, args in cases:
    k = kopt.kernel(getattr(load_example(name), name).fn, config=cfg)
    for built in kopt.build_for_target(k, *args, arch=90):
        print("BUILT", built.kernel, built.stages[-1], built.error)
"""


def test_the_descriptor_kernels_build_for_sm90(tmp_path):
    """Triton's GPU compiler and ptxas take the TMA kernels (no GPU needed)."""
    built, stdout = built_for_sm90(BUILD, tmp_path)
    assert [line.split()[1] for line in built] == ["_matmul_kernel_tma", "_matmul_bias_relu_kernel_tma",
                                                   "_bmm_kernel_tma", "_attention_kernel_tma",
                                                   "_causal_attention_kernel_tma"], stdout
    assert all(line.endswith("cubin None") for line in built), stdout
