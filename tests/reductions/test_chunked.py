"""Rows held as two pieces (reduction-lowering's `chunked`, kopt/passes/reduction_pieces.py): the variant that
reduction-variants makes for 2-byte rows just past a power of two, launched by the sizes and checked against torch
there; the mode's own limits (an empty row, an argmax)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import kopt
from tests.reductions import kernels as K
from tests.helpers import built_for_sm90, Launches
from tests.reductions.modes import kernel

TOL = {torch.float16: dict(atol=2e-3, rtol=2e-3), torch.bfloat16: dict(atol=2e-2, rtol=2e-2)}
CHUNKED = (4099, 5632, 8195, 11264)  # > 4096, no power of two, tail <= 3/8 of the first piece and no power of two
EXACT = (4097, 6144, 8193, 10240, 12288)  # > 4096, two powers of two: the tail (1, 2048, 1, 2048, 4096) fills its block
PADDED = (4096, 11265, 3000, 12289)  # a power of two, a tail over 3/8 (and no power of two), a short row


def _half(fn, *args):
    """torch on fp32 copies, rounded to the input's dtype."""
    return fn(*[a.float() if torch.is_tensor(a) and a.is_floating_point() else a for a in args]).to(args[0].dtype)


@pytest.mark.parametrize("dtype", (torch.float16, torch.bfloat16))
def test_two_byte_rows_just_past_a_power_of_two_launch_the_chunked_kernel(dtype):
    sm = kernel("softmax", "auto")
    compiled = sm.compile(torch.randn(2, 8).to(dtype))
    assert "def _softmax_kernel_chunked(" in compiled.triton_source
    for n in CHUNKED + EXACT + PADDED:
        x = torch.randn(3, n).to(dtype)
        with Launches(compiled) as seen:
            got = sm(x)
        want = "_chunked" if n in CHUNKED else "_chunked_exact" if n in EXACT else ""
        assert seen.names == [f"_softmax_kernel{want}"], n
        torch.testing.assert_close(got, _half(lambda t: torch.softmax(t, 1), x), **TOL[dtype])
    xt = torch.randn(8193, 2).to(dtype).t()  # rows with a stride of 1 element between rows, 2 apart in a row
    torch.testing.assert_close(sm(xt), _half(lambda t: torch.softmax(t, 1), xt), **TOL[dtype])


def test_an_exact_tail_has_no_mask():
    """The exact clone's row is two unmasked pieces: its loads and stores are masked by the rows alone."""
    src = kernel("softmax", "auto").compile(torch.randn(2, 8).half()).triton_source
    exact = src[src.index("def _softmax_kernel_chunked_exact("):src.index("def _softmax_kernel_chunked(")]
    accesses = [line for line in exact.splitlines() if "tl.load(" in line or "tl.store(" in line]
    assert len(accesses) == 4 and all(line.rstrip(")").endswith(("mask_0[:, None], other=0.0", "mask_0[:, None]"))
                                      for line in accesses), accesses


@pytest.mark.parametrize("n", (4099, 9344, 10240))
def test_norms_and_losses_on_chunked_rows(n):
    x = torch.randn(2, n).half() * 2
    w, b = torch.randn(n).half(), torch.randn(n).half()
    tol = TOL[torch.float16]
    torch.testing.assert_close(kernel("log_softmax", "auto")(x), _half(lambda t: torch.log_softmax(t, 1), x), **tol)
    got = kernel("layer_norm", "auto")(x, w, b, 1e-5)
    torch.testing.assert_close(got, _half(lambda t, w, b: F.layer_norm(t, (n,), w, b, 1e-5), x, w, b), **tol)
    got = kernel("rms_norm", "auto")(x, w, 1e-5)
    want = _half(lambda t, w: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-5) * w, x, w)
    torch.testing.assert_close(got, want, **tol)
    labels = torch.tensor([0, n - 1])  # the first piece's first lane, the tail's last
    got = kernel("cross_entropy", "auto")(x, labels)
    torch.testing.assert_close(got, _half(lambda t, y: F.cross_entropy(t, y), x, labels), **tol)


def test_four_byte_rows_keep_one_padded_block():
    src = kernel("softmax", "auto").compile(torch.randn(2, 8)).triton_source
    assert "_chunked" not in src and "def _softmax_kernel_looped(" in src


def test_the_chunked_mode_refuses_an_empty_row_at_launch():
    with pytest.raises(kopt.KoptError, match=r"shape fact `_m >= 1`"):
        kernel("softmax", "chunked")(torch.randn(3, 0))


def test_an_argmax_keeps_the_padded_row_in_the_chunked_mode():
    """An argmax's index would need the tail's offset when the pieces meet: such a kernel is not split."""
    k = kopt.kernel(K.max_with_indices, config=kopt.Config(reduction="chunked"))
    x = torch.randn(3, 300)
    assert "_RDIM_SIZE_2" not in k.compile(x).triton_source
    want = torch.stack([x.max(1).values, x.argmax(1).float(), x.max(1).values, x.argmax(1).float(),
                        x.argmin(1).float(), x.argmin(1).float()], 1)
    torch.testing.assert_close(k(x), want)


BUILD = """
import torch, kopt
from tests.helpers import Launches
from tests.reductions.modes import kernel
for name in ("softmax", "layer_norm"):
    k = kernel(name, "auto")
    for n in (8195, 10240):
        x = torch.randn(64, n, dtype=torch.float16)
        args = (x,) if name == "softmax" else (x, torch.randn(n, dtype=torch.float16), torch.randn(n, dtype=torch.float16), 1e-5)
        for built in kopt.build_for_target(k, *args, arch=90):
            print("BUILT", built.kernel, built.constexprs, built.stages[-1], built.error)
"""


def test_the_chunked_kernels_build_for_sm90(tmp_path):
    """Triton's GPU compiler and ptxas take the two-piece kernels the interpreter ran above (no GPU needed)."""
    built, stdout = built_for_sm90(BUILD, tmp_path)
    chunked = [line for line in built if "_kernel_chunked " in line]
    exact = [line for line in built if "_kernel_chunked_exact " in line]
    assert len(chunked) == 2 and len(exact) == 2 and all(line.endswith("cubin None") for line in built), stdout
    assert all("'_RDIM_SIZE_1': 8192, '_RDIM_SIZE_2': 4" in line for line in chunked), chunked
    assert all("'_RDIM_SIZE_1': 8192, '_RDIM_SIZE_2': 2048" in line for line in exact), exact


def test_a_chunked_call_and_a_padded_call_of_one_size_bucket_are_tuned_apart():
    """8576 and 12672 round up to one bucket (16384) but launch different kernels: each gets its own tuned config,
    and the chunked one's candidates come from the chunked kernel's space (its 4-warp default left out)."""
    k = kernel("softmax", "auto")
    chunked, padded = torch.randn(64, 8576).half(), torch.randn(64, 12672).half()
    compiled = k.compile(chunked)
    assert k.tune_bucket([chunked], compiled) == ((64, 16384), ("launches", "_softmax_kernel_chunked"))
    assert k.tune_bucket([padded], compiled) == ((64, 16384), ("launches", "_softmax_kernel"))
    warps = {c.num_warps for c in k.tune_candidates([chunked], compiled)}
    assert 4 not in warps and 8 in warps
    from tests.runtime import kernels as plain  # a kernel without size variants keeps the plain bucket

    add = kopt.kernel(plain.add_one)
    x = torch.randn(100)
    assert add.tune_bucket([x, x], add.compile(x, x)) == ((128,), (128,))
