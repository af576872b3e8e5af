"""Rows held as two pieces (reduction-lowering's `chunked`, kopt/passes/reduction_pieces.py): the variants that
reduction-variants makes for 2-byte rows just past a power of two (a tail that fills its block, one that ends at the
row's end, one masked there), launched by the sizes and checked against torch there; the mode's own limits (an
empty row, an argmax)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import kopt
from tests.reductions import kernels as K
from tests.helpers import built_for_sm90, Launches
from tests.reductions.modes import kernel
from kopt.dialects import tile as T

TOL = {torch.float16: dict(atol=2e-3, rtol=2e-3), torch.bfloat16: dict(atol=2e-2, rtol=2e-2)}
# > 4096, no power of two, the tail's block at most half the first piece (11265, 12160: a tail of 3073 and 3968, past
# the masked clone's 3/8; 6143: an odd row, its tail block starting at 4095)
OVERLAP = (4099, 5632, 6143, 8195, 11264, 11265, 12160)
EXACT = (4097, 6144, 8193, 10240, 12288)  # > 4096, two powers of two: the tail (1, 2048, 1, 2048, 4096) fills its block
PADDED = (4096, 12289, 12672, 3000)  # a power of two, a tail block as wide as the first piece, a short row


def _half(fn, *args):
    """torch on fp32 copies, rounded to the input's dtype."""
    return fn(*[a.float() if torch.is_tensor(a) and a.is_floating_point() else a for a in args]).to(args[0].dtype)


@pytest.mark.parametrize("dtype", (torch.float16, torch.bfloat16))
def test_two_byte_rows_just_past_a_power_of_two_launch_the_chunked_kernel(dtype):
    sm = kernel("softmax", "auto")
    compiled = sm.compile(torch.randn(2, 8).to(dtype))
    assert "def _softmax_kernel_chunked_overlap(" in compiled.triton_source
    for n in OVERLAP + EXACT + PADDED:
        x = torch.randn(3, n).to(dtype) * 4
        with Launches(compiled) as seen:
            got = sm(x)
        want = "_chunked_overlap" if n in OVERLAP else "_chunked_exact" if n in EXACT else ""
        assert seen.names == [f"_softmax_kernel{want}"], n
        torch.testing.assert_close(got, _half(lambda t: torch.softmax(t, 1), x), **TOL[dtype])
    xt = torch.randn(8193, 2).to(dtype).t()  # rows with a stride of 1 element between rows, 2 apart in a row
    torch.testing.assert_close(sm(xt), _half(lambda t: torch.softmax(t, 1), xt), **TOL[dtype])


def test_an_exact_tail_has_no_mask():
    """The exact clone's row is two unmasked pieces: its loads and stores are masked by the rows alone."""
    src = kernel("softmax", "auto").compile(torch.randn(2, 8).half()).triton_source
    for clone in ("exact", "overlap"):
        body = src[src.index(f"def _softmax_kernel_chunked_{clone}("):]
        body = body[:body.index("\n\n\n")]
        accesses = [line for line in body.splitlines() if "tl.load(" in line or "tl.store(" in line]
        assert len(accesses) == 4 and all(line.rstrip(")").endswith(("mask_0[:, None], other=0.0", "mask_0[:, None]"))
                                          for line in accesses), (clone, accesses)


@pytest.mark.parametrize("n", (9344, 5000))
def test_an_overlapping_tail_along_dim_0_and_across_strides(n):
    """The reduced dim first (a column softmax, its tail's select placed along dim 0), and rows 3 elements apart."""
    k = kopt.kernel(K.column_softmax)
    x = (torch.randn(n, 3) * 3).half()
    with Launches(k.compile(x)) as seen:
        got = k(x)
    assert seen.names == ["_column_softmax_kernel_chunked_overlap"]
    torch.testing.assert_close(got, _half(lambda t: torch.softmax(t, 0), x), **TOL[x.dtype])
    sm = kernel("softmax", "auto")
    with Launches(sm.compile(x.t())) as seen:
        got = sm(x.t())  # rows with a stride of 3 elements along them
    assert seen.names == ["_softmax_kernel_chunked_overlap"]
    torch.testing.assert_close(got, _half(lambda t: torch.softmax(t, 1), x.t()), **TOL[x.dtype])


def test_an_overlapping_tail_reads_everything_before_it_stores():
    """Two threads read a shared element and both write it: a barrier between the last load and the first store keeps
    a row stored in place of one the kernel reads from being read half-written (the interpreter runs a program's
    threads as one, so the order is checked in the source); a kernel with a load after a store keeps the masked tail."""
    src = kernel("softmax", "auto").compile(torch.randn(2, 8).half()).triton_source
    body = src[src.index("def _softmax_kernel_chunked_overlap("):]
    lines = body[:body.index("\n\n\n")].splitlines()
    at = [i for i, line in enumerate(lines) if "tl.debug_barrier()" in line]
    loads = [i for i, line in enumerate(lines) if "tl.load(" in line]
    stores = [i for i, line in enumerate(lines) if "tl.store(" in line]
    assert len(at) == 1 and max(loads) < at[0] < min(stores), lines
    assert "debug_barrier" not in src[src.index("def _softmax_kernel_chunked_exact("):src.index("def _softmax_kernel_chunked_overlap(")]
    k = kopt.kernel(K.store_then_read_another)
    x, y = torch.randn(2, 9344).half(), torch.rand(2, 9344).half() + 0.5
    with Launches(k.compile(x, y)) as seen:
        centred, share = k(x, y)
    assert seen.names == ["_store_then_read_another_kernel_chunked"]
    torch.testing.assert_close(centred, _half(lambda t: t - t.amax(1, keepdim=True), x), **TOL[x.dtype])
    torch.testing.assert_close(share, _half(lambda t: t / t.sum(1, keepdim=True), y), **TOL[x.dtype])
    z = torch.randn(3, 9344).half()
    want = _half(lambda t: torch.softmax(t, 1), z)
    inplace = kopt.kernel(K.softmax_in_place)
    with Launches(inplace.compile(z)) as seen:
        inplace(z)
    assert seen.names == ["_softmax_in_place_kernel_chunked_overlap"]
    torch.testing.assert_close(z, want, **TOL[z.dtype])


def test_an_overlapping_tail_leaves_the_shared_lanes_out_of_its_reductions():
    """The tail block starts at N - tail (inside the first piece); its max and its sum skip the lanes below the first
    piece's end (the first piece counts them), and the row's values are torch's whichever piece wrote them last."""
    src = kernel("softmax", "auto").compile(torch.randn(2, 8).half()).triton_source
    body = src[src.index("def _softmax_kernel_chunked_overlap("):]
    body = body[:body.index("\n\n\n")]
    assert "indices_2 = (_m - _RDIM_SIZE_2) + tl.arange(0, _RDIM_SIZE_2)" in body
    assert body.count("indices_2 >= _RDIM_SIZE_1") == 1 and body.count("tl.where(") == 2  # one mask, two selects
    assert "float('-inf'))" in body and ", 0.0)" in body
    x = torch.full((2, 9344), -30.0).half()
    x[0, 8192 - 5] = 30  # the row's max in the shared lanes [9344 - 2048, 8192): counted once
    x[1, :] = torch.linspace(-3, 3, 9344).half()  # a sum counted twice there would show in every value
    torch.testing.assert_close(kernel("softmax", "auto")(x), _half(lambda t: torch.softmax(t, 1), x), **TOL[x.dtype])


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
from kopt.dialects import tile as T
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
    chunked = [line for line in built if "_kernel_chunked_overlap " in line]
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
    assert k.tune_bucket([chunked], compiled) == ((64, 16384), ("launches", "_softmax_kernel_chunked_overlap"))
    assert k.tune_bucket([padded], compiled) == ((64, 16384), ("launches", "_softmax_kernel"))
    warps = {c.num_warps for c in k.tune_candidates([chunked], compiled)}
    assert 4 not in warps and 8 in warps
    from tests.runtime import kernels as plain  # a kernel without size variants keeps the plain bucket

    add = kopt.kernel(plain.add_one)
    x = torch.randn(100)
    assert add.tune_bucket([x, x], add.compile(x, x)) == ((128,), (128,))


def test_a_row_op_that_reads_a_lane_position_keeps_the_masked_tail():
    """`overlap_safe`: a tail overlapping the first piece recomputes the shared lanes, which is only the first piece's
    result where every row op is lane-local; a lane's index (or an access through a view) makes it unsafe."""
    from kopt.ir.extents import extent_classes
    from kopt.ir.row_plan import looped_extent, plan
    from kopt.passes.reduction_pieces import overlap_safe

    captured = []
    kernel("softmax", "auto").lower(torch.randn(2, 8).half(), hook=lambda prev, module, nxt: captured.append(
        module.clone()) if prev is not None and prev.name == "reduction-variants" else None)
    k = next(op for op in captured[0].walk() if isinstance(op, T.KernelOp) and "variant_of" not in op.attributes)
    canon = extent_classes(k)
    p = plan(k, looped_extent(k, canon), [], canon)
    assert overlap_safe(p)
    rows = next(op.result for op in k.walk() if isinstance(op, T.ProgramRangeOp))
    p.row_ops.add(T.TileAttrOp(rows, "index"))  # (a lane's index in the row plan: any range's will do here)
    assert not overlap_safe(p)
