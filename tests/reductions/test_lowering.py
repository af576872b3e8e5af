"""What each reduction mode generates, and how the default (auto) picks a kernel at launch."""

from __future__ import annotations

import re

import pytest
import torch

import kopt
from kopt.errors import KoptError
from kopt.passes.pipeline import Pipeline
from tests.helpers import load_example
from tests.reductions.modes import kernel


def _kernel_src(src: str, name: str) -> str:
    start = src.index(f"def {name}(")
    return src[start:src.find("\n\n\n", start)]


def _softmax_src(mode: str, block: int | None = None) -> str:
    return kernel("softmax", mode, block).compile(torch.randn(4, 64)).triton_source


def test_looped_softmax_loops_over_the_row_with_a_masked_tail():
    src = _kernel_src(_softmax_src("looped", 128), "_softmax_kernel")
    whole = "_REDUCTION_BLOCK_1*(_m // _REDUCTION_BLOCK_1)"
    loops = re.findall(rf"for (offset_\w+) in tl\.range\(0, {re.escape(whole)}, _REDUCTION_BLOCK_1\):", src)
    assert len(loops) == 3  # max, sum of exp, normalize-and-store, over the whole chunks (unmasked) ...
    rests = re.findall(rf"for (offset_\w+) in tl\.range\({re.escape(whole)}, _m, _REDUCTION_BLOCK_1\):", src)
    assert len(rests) == 3  # ... and each again over the rest of the row (loop-peeling)
    assert "mask_1 = indices_1_1 < _m" in src  # the tail chunk's lanes past the row
    assert src.count("tl.load(x + ") == 6 and src.count("tl.store(out + ") == 2
    assert "_RDIM_SIZE" not in src
    assert "_REDUCTION_BLOCK_1 = 128" in _softmax_src("looped", 128)


def test_online_softmax_reads_the_row_once_for_max_and_sum():
    src = _kernel_src(_softmax_src("online"), "_softmax_kernel")
    at = src.index("_up in tl.range(")  # two phases (each peeled: whole chunks, rest), the second backwards
    first, second = src[:src.rindex("\n", 0, at)], src[src.rindex("\n", 0, at):]
    assert first.count("tl.load(x + ") == 2 and "tl.max(" in first and "tl.sum(" in first
    assert "m_new = tl.maximum(" in first  # the running max, and the rescale of the running sum
    assert re.search(r"exp_\d+ = tl\.exp\(v_\d+\)\n\s+v_\d+ = sum_exp \* exp_\d+", first)
    assert second.count("tl.load(x + ") == 2 and "tl.store(out + " in second
    assert "tl.max(" not in second and "tl.sum(" not in second


def test_persistent_softmax_is_one_block_per_row():
    src = _softmax_src("persistent")
    assert "for " not in _kernel_src(src, "_softmax_kernel") and "_looped" not in src
    assert "_RDIM_SIZE_1 = next_power_of_2(max(_m, 1))" in src


def test_division_by_a_row_statistic_is_a_reciprocal_per_row():
    src = _kernel_src(_softmax_src("persistent"), "_softmax_kernel")
    assert re.search(r"v_\d+ = 1\.0 / sum_exp", src) and " / sum_exp" not in src.replace("1.0 / sum_exp", "")


def test_auto_compiles_once_and_picks_a_kernel_per_row_length():
    sm = kopt.kernel(load_example("softmax").softmax.fn)
    src = sm.compile(torch.randn(2, 8)).triton_source
    assert "def _softmax_kernel(" in src and "def _softmax_kernel_looped(" in src
    assert "if _m > 32768:" in src
    for n in (1, 7, 1000, 32768, 32769):
        x = torch.randn(2, n)
        torch.testing.assert_close(sm(x), torch.softmax(x, dim=1), atol=1e-5, rtol=1e-5)
    info = sm.cache_info()  # one compile (or one load of it from the disk cache), every size after it a hit
    assert info.currsize == 1 and info.misses + getattr(info, "disk_hits", 0) == 1, info


def test_auto_threshold_is_a_pass_option():
    fn = load_example("softmax").softmax.fn
    pipeline = Pipeline.parse("decompose,shape-inference,tiling,reciprocal-divisions,reduction-variants{persistent-max=256},"
                              "reduction-lowering{reduction-block=64},masking,mask-elision,canonicalize,lower-to-tt")
    k = kopt.kernel(fn, pipeline=pipeline)
    src = k.compile(torch.randn(2, 8)).triton_source
    assert "if _m > 256:" in src and "_REDUCTION_BLOCK_1 = 64" in src
    for n in (200, 1000):  # one persistent launch, one looped launch
        x = torch.randn(3, n)
        torch.testing.assert_close(k(x), torch.softmax(x, dim=1), atol=1e-5, rtol=1e-5)


def test_helion_reduction_loops_map_to_modes():
    fn = load_example("softmax").softmax.fn
    persistent = kopt.kernel(fn, config=kopt.Config(reduction_loops=[None])).compile(torch.randn(2, 8))
    looped = kopt.kernel(fn, config=kopt.Config(reduction_loops=[32])).compile(torch.randn(2, 8))
    assert "_looped" not in persistent.triton_source and "_RDIM_SIZE_1" in persistent.triton_source
    assert "_REDUCTION_BLOCK_1 = 32" in looped.triton_source and "_looped" not in looped.triton_source


def test_kernels_without_whole_dims_are_unchanged():
    src = kopt.kernel(load_example("long_sum").long_sum.fn).compile(torch.randn(3, 100)).triton_source
    assert "_looped" not in src and "_REDUCTION_BLOCK" not in src


@pytest.mark.parametrize("spec, message", [
    ("reduction-lowering{mode=fast}", "unknown mode 'fast'"),
    ("reduction-lowering{reduction-block=100}", "not a power of two"),
])
def test_bad_options(spec, message):
    fn = load_example("softmax").softmax.fn
    with pytest.raises(KoptError, match=message):
        kopt.kernel(fn, pipeline=f"decompose,shape-inference,tiling,{spec},masking,lower-to-tt").compile(torch.randn(2, 8))


def test_row_offsets_are_int64():
    """32768 x 65536 elements reach 2^31: the program's row offset is widened before it meets a stride."""
    src = _kernel_src(_softmax_src("persistent"), "_softmax_kernel")
    assert re.search(r"v_0 = pid\.to\(tl\.int64\)\n\s+offset_0 = v_0 \* _BLOCK_SIZE_0", src)


def test_weight_rows_share_the_looped_range():
    """`assert weight.size(0) == n` makes weight[:] the same row as x[tile, :]: one loop, one mask."""
    k = kernel("layer_norm", "looped")
    x, w = torch.randn(2, 300), torch.randn(300)
    src = _kernel_src(k.compile(x, w, w, 1e-5).triton_source, "_layer_norm_kernel")
    # the rest of the row (loop-peeling) is masked by the row's own mask; the whole chunks need none
    assert "_RDIM_SIZE" not in src and "tl.load(weight + (indices_1_4 * weight_stride_0), mask_1_2" in src
    assert "tl.load(weight + (indices_1_5 * weight_stride_0))" in src


@pytest.mark.parametrize("mode", ("looped", "online"))
def test_in_place_softmax_loops(mode):
    from tests.reductions import kernels as K

    k = kopt.kernel(K.softmax_in_place, config=kopt.Config(reduction=mode, reduction_block=64))
    x = torch.randn(3, 1000)
    want = torch.softmax(x, dim=1)
    assert "_REDUCTION_BLOCK_1" in k.compile(x.clone()).triton_source
    torch.testing.assert_close(k(x), want, atol=1e-5, rtol=1e-5)


def test_a_row_read_back_after_its_store_stays_persistent():
    from tests.reductions import kernels as K

    k = kopt.kernel(K.store_then_reduce, config=kopt.Config(reduction="looped", reduction_block=64))
    x = torch.randn(3, 1000)
    assert "_REDUCTION_BLOCK" not in k.compile(x).triton_source
    torch.testing.assert_close(k(x), (x * 2).sum(1), atol=1e-4, rtol=1e-5)


def test_one_pass_and_three_row_kernels_loop_from_narrower_rows():
    """Cross-entropy reads a row once either way (no row is stored): its online loop runs past 16384 elements; a
    layer_norm holds x, weight and bias along the row: past 8192 (reduction_variants.py has the measurements). A 2-byte
    row just past a power of two takes the two-piece kernel first, its first piece no wider than that limit (with an
    unmasked tail where the tail is a power of two itself; else the tail block ending at the row's end), the tail no
    more than 3/8 of the first piece."""
    from tests.helpers import Launches

    ce = kopt.kernel(load_example("cross_entropy").cross_entropy.fn)
    ln = kopt.kernel(load_example("layer_norm").layer_norm.fn)
    for n, want in ((16384, "_cross_entropy_kernel"), (16385, "_cross_entropy_kernel_looped")):
        x, y = torch.randn(2, n), torch.randint(0, n, (2,))
        with Launches(ce.compile(x, y)) as launched:
            got = ce(x, y)
        assert launched.names == [want]
        torch.testing.assert_close(got, torch.nn.functional.cross_entropy(x, y), atol=1e-5, rtol=1e-5)
    for n, dtype, want in ((8192, torch.float32, "_layer_norm_kernel"), (8193, torch.float32, "_layer_norm_kernel_looped"),
                           (8576, torch.float16, "_layer_norm_kernel_chunked_overlap"),
                           (8320, torch.float16, "_layer_norm_kernel_chunked_exact"),
                           (12288, torch.float16, "_layer_norm_kernel_looped")):
        x, w, b = torch.randn(2, n).to(dtype), torch.randn(n).to(dtype), torch.randn(n).to(dtype)
        with Launches(ln.compile(x, w, b, 1e-5)) as launched:
            got = ln(x, w, b, 1e-5)
        assert launched.names == [want], n
        want_out = torch.nn.functional.layer_norm(x.float(), (n,), w.float(), b.float(), 1e-5).to(dtype)
        torch.testing.assert_close(got, want_out, atol=2e-3, rtol=2e-3)
    rms = kopt.kernel(load_example("rms_norm").rms_norm.fn)  # two row tensors: the limit stays 32768
    assert "if n > 32768:" in rms.compile(torch.randn(2, 8), torch.randn(8), 1e-5).triton_source


def test_the_online_loop_survives_leading_chunks_of_minus_inf():
    """A masked vocabulary or a left-padded row: every value of the first chunks is -inf. The online loop's running
    max is then -inf, and exp(x - max) would be exp(-inf - -inf) = NaN; it shifts by 0 until a finite value comes."""
    ce = kopt.kernel(load_example("cross_entropy").cross_entropy.fn)
    for n, dtype in ((16385, torch.float32), (24000, torch.float16)):
        logits = torch.randn(3, n).to(dtype)
        logits[:, : n // 2 + 1] = float("-inf")
        labels = torch.tensor([n - 1, n - 2, n - 3])
        want = torch.nn.functional.cross_entropy(logits.float(), labels).to(dtype)
        torch.testing.assert_close(ce(logits, labels), want, atol=1e-3, rtol=1e-3)
    sm = kopt.kernel(load_example("softmax").softmax.fn)
    x = torch.randn(2, 33000)
    x[:, :20000] = float("-inf")
    x[1] = float("-inf")  # a row of -inf only: NaN, as torch gives
    torch.testing.assert_close(sm(x), torch.softmax(x, 1), equal_nan=True)
