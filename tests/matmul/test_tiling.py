"""Multi-dim tiling: hl.grid, 3-D grids, grouped program ids (l2_groupings), the dot launch
heuristics, and the tile IR of contractions printing and parsing back."""

from __future__ import annotations

import pytest
import torch

import kopt
from kopt.launch.dot_tiles import dot_tiles, multi_dot_shared
from kopt.frontend.builder import build_module
from kopt.frontend.infer import infer_specs
from kopt.frontend.source import from_module_text
from kopt.passes.pipeline import Pipeline
from kopt.runtime.compiler import run_pipeline
from kopt.dialects.parse import parse_tile
from tests.helpers import EXAMPLES, load_example
from tests.matmul import grid_kernels as G
from tests.matmul import kernels as K


@pytest.mark.parametrize("m,n", [(1, 1), (7, 33), (100, 129)])
def test_hl_grid_scalar_indices(m, n):
    x, s, y = torch.randn(m, n), torch.randn(m), torch.randn(n)
    torch.testing.assert_close(G.scale_rows(x, s), x * s[:, None])
    torch.testing.assert_close(G.row_dot(x, y), x @ y, atol=1e-4, rtol=1e-4)
    rows, cols = torch.arange(m)[:, None], torch.arange(n)[None, :]
    torch.testing.assert_close(G.grid_2d(x), x + 2 * rows + cols)
    torch.testing.assert_close(G.grid_range(x, m // 2), torch.cat([0 * x[: m // 2], -x[m // 2:]]))


def test_hl_grid_programs_are_indices():
    """One program per row: the launch grid is the extent and the loop index is the program id."""
    x, s = torch.randn(5, 8), torch.randn(5)
    src = G.scale_rows.compile(x, s).triton_source
    assert "_scale_rows_kernel[(m,)]" in src
    assert "tl.program_id(0)" in src and "s_stride_0))" in src
    assert "tl.arange(0, 1)" not in src  # a grid index has no lanes
    assert "for j in tl.range(0, n, 1):" in G.row_dot.compile(x, x[0]).triton_source


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 17, 129), (2, 100, 1)])
def test_3d_grids(shape):
    x, y, s = torch.randn(shape), torch.randn(shape), torch.randn(shape[0])
    torch.testing.assert_close(G.add3(x, y), x + y)
    torch.testing.assert_close(G.batch_scale(x, s), x * s[:, None, None])


@pytest.mark.parametrize("group", [1, 2, 3, 8])
def test_grouped_program_ids_cover_every_tile(group):
    """Small blocks make many tiles (9 x 8 here, a last group of fewer rows): every output tile is
    written exactly once, whatever the group size."""
    mm = kopt.kernel(load_example("matmul").matmul.fn,
                     config=kopt.Config(block_sizes=[16, 16, 16], l2_groupings=[group]))
    x, y = torch.randn(129, 33), torch.randn(33, 127)
    torch.testing.assert_close(mm(x, y), x @ y, atol=1e-4, rtol=1e-4)
    src = mm.compile(x, y).triton_source
    assert ("group_id" in src) == (group > 1)
    bmm = kopt.kernel(load_example("bmm").bmm.fn,
                      config=kopt.Config(block_sizes=[1, 16, 16, 16], l2_groupings=[group]))
    xb, yb = torch.randn(3, 40, 20), torch.randn(3, 20, 50)
    torch.testing.assert_close(bmm(xb, yb), torch.bmm(xb, yb), atol=1e-4, rtol=1e-4)


def test_l2_grouping_is_a_tiling_pass_option():
    mm = kopt.kernel(load_example("matmul").matmul.fn,
                     pipeline=Pipeline.default().replace("tiling", Pipeline.parse("tiling{l2-grouping=2}").passes[0]))
    x, y = torch.randn(70, 20), torch.randn(20, 90)
    torch.testing.assert_close(mm(x, y), x @ y, atol=1e-4, rtol=1e-4)
    assert "pid // (2*tl.cdiv(n, _BLOCK_SIZE_1))" in mm.compile(x, y).triton_source
    with pytest.raises(kopt.KoptError, match="l2_groupings"):
        kopt.kernel(mm.fn, config=kopt.Config(l2_groupings=[0]))(x, y)


def test_elementwise_2d_grids_stay_flat_by_default():
    x = torch.randn(3, 4)
    src = load_example("add").add.compile(x, x).triton_source
    assert "group_id" not in src and "dot_tiles" not in src


# ------------------------------------------------------------------ launch heuristics


def test_dot_tiles_large_problems_get_h100_tiles():
    assert dot_tiles((4096, 4096, 4096), ("a", "b", "c"), elem_bytes=2) == (128, 256, 64, 8, 3)
    assert dot_tiles((4096, 4096, 4096), ("a", "b", "c"), elem_bytes=4) == (128, 256, 32, 8, 3)
    assert dot_tiles((2048, 2048, 2048), ("a", "b", "c"), elem_bytes=2)[:3] == (128, 256, 64)  # 128 tiles
    # fewer tiles than SMs: smaller tiles until (nearly) every SM has a program
    assert dot_tiles((1024, 1024, 1024), ("a", "b", "c"), elem_bytes=2)[:3] == (64, 128, 64)
    assert dot_tiles((512, 512, 512), ("a", "b", "c"), elem_bytes=2)[:3] == (64, 64, 64)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (17, 5, 3), (1, 4096, 9), (129, 100, 1)])
def test_dot_tiles_never_below_16_and_capped_by_the_sizes(m, n, k):
    for gpu in (True, False):
        bm, bn, bk, warps, stages = dot_tiles((m, n, k), ("a", "b", "c"), elem_bytes=2, gpu=gpu)
        for block, size in ((bm, m), (bn, n), (bk, k)):
            assert 16 <= block <= max(16, 1 << (size - 1).bit_length())
        assert warps in (4, 8) and stages >= 2


def test_dot_tiles_keep_fixed_choices_and_reject_small_dot_blocks():
    names = ("_BLOCK_SIZE_0", "_BLOCK_SIZE_1", "_BLOCK_SIZE_2", "_BLOCK_SIZE_3")
    got = dot_tiles((512, 512, 512, 4), names, elem_bytes=2,
                    fixed={"_BLOCK_SIZE_2": 32, "num_warps": 2, "_BLOCK_SIZE_3": 2})
    assert got[2] == 32 and got[3] == 2 and got[4] == 2
    with pytest.raises(kopt.KoptError, match=r"block_sizes\[1\] = 8 \(_BLOCK_SIZE_1, the n dim of a tl.dot\)"):
        dot_tiles((512, 512, 512), names[:3], elem_bytes=2, fixed={"_BLOCK_SIZE_1": 8})


@pytest.mark.parametrize("inner", [16, 64, 128, 256])
@pytest.mark.parametrize("elem_bytes", [2, 4])
@pytest.mark.parametrize("limit", [232448, 166912, 101376])  # sm_90, sm_80, sm_86/89
def test_multi_dot_tiles_fit_shared_memory_3d(inner, elem_bytes, limit):
    """Attention's tiles with its head dim (`inner`) fit the device's shared memory by the estimate, which
    kopt.build_for_target checked against Triton's builds (tests/corpus/test_target_build.py builds head
    dims 128 and 256 for sm_90); head dim 128 in fp16 once asked 288 KB of an H100's 227."""
    names = ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, "_BLOCK_SIZE_0")
    bm, bn, _, batch, _, stages = dot_tiles((4096, 4096, None, 16), names, elem_bytes=elem_bytes, dots=2,
                                            inner=inner, shared_limit=limit)
    assert multi_dot_shared(bm, bn, inner, elem_bytes, stages, batch=1) <= limit
    assert bm >= 16 and bn >= 16 and stages >= 2 and batch == 1
    if (inner, elem_bytes, limit) == (128, 2, 232448):
        assert (bm, bn, stages) == (128, 64, 3)  # Triton built the 3-D form with 196608 B
    if inner <= 64 and elem_bytes == 2 and limit == 232448:
        assert (bm, bn, stages) == (128, 64, 3)  # the head-dim-64 cap; unchanged by the fit


@pytest.mark.parametrize("inner", [16, 64, 128, 256])
@pytest.mark.parametrize("elem_bytes", [2, 4])
@pytest.mark.parametrize("limit", [232448, 166912, 101376])
def test_multi_dot_tiles_fit_shared_memory_2d(inner, elem_bytes, limit):
    """The same, for the 2-D form batch-to-grid makes (no batch block to choose: the batch's name is None)."""
    names = ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, None)
    bm, bn, _, _, _, stages = dot_tiles((4096, 4096, None, 16), names, elem_bytes=elem_bytes, dots=2, inner=inner,
                                        shared_limit=limit)
    assert multi_dot_shared(bm, bn, inner, elem_bytes, stages) <= limit and bm >= 16 and bn >= 16
    if (inner, elem_bytes, limit) == (128, 2, 232448):
        assert (bm, bn, stages) == (128, 128, 3)  # Triton built it with 229376 B, as estimated


@pytest.mark.parametrize("batch", [1, 2, 4])
def test_multi_dot_tiles_of_a_config_batch_block_fit_with_every_batch(batch):
    """A config's batch block of 4 holds 4 batches in every tile: the fit counts them (Triton built
    393216 B at 128 x 64 with 4 batches before, far past an H100's 232448)."""
    names = ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, "_BLOCK_SIZE_0")
    bm, bn, _, got, _, stages = dot_tiles((4096, 4096, None, 16), names, elem_bytes=2, dots=2, inner=64,
                                          fixed={"_BLOCK_SIZE_0": batch}, shared_limit=232448)
    assert got == batch and multi_dot_shared(bm, bn, 64, 2, stages, batch=batch) <= 232448


def test_multi_dot_tiles_keep_fixed_choices_and_ignore_shared_memory_on_the_cpu():
    names = ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, "_BLOCK_SIZE_0")
    fixed = {"_BLOCK_SIZE_2": 128, "num_stages": 4}
    bm, bn, _, _, _, stages = dot_tiles((4096, 4096, None, 16), names, elem_bytes=2, dots=2, inner=256,
                                        fixed=fixed, shared_limit=232448)
    assert (bn, stages) == (128, 4) and bm == 16  # only m could give way: to its smallest, as nothing fits
    assert dot_tiles((4096, 4096, None, 16), names, elem_bytes=2, dots=2, inner=256, gpu=False) == \
        dot_tiles((4096, 4096, None, 16), names, elem_bytes=2, dots=2, gpu=False)


# ------------------------------------------------------------------ IR


@pytest.mark.parametrize("path,function", [
    (EXAMPLES / "matmul.py", None), (EXAMPLES / "bmm.py", None), (EXAMPLES / "linear_gelu.py", None),
    (K.__file__, "transposed_operand"), (K.__file__, "bmm_transposed"), (G.__file__, "grid_2d"),
    (G.__file__, "row_dot"),
])
def test_contraction_ir_prints_and_parses_back_after_every_pass(path, function):
    text = open(path).read()
    for src in from_module_text(text, str(path)):
        if function and src.fn.name != function:
            continue
        module = build_module(src, infer_specs(src, None))

        def hook(prev, mod, nxt):
            assert str(parse_tile(str(mod), "<roundtrip>")) == str(mod)

        run_pipeline(module, Pipeline.default(), verify=True, hook=hook)


def test_autotuner_space_of_a_dot_kernel_keeps_tensor_core_tiles():
    """The autotuner tries only configs tl.dot accepts whose pipeline fits in shared memory."""
    from kopt.runtime.space import config_space, launch_plan

    path = EXAMPLES / "matmul.py"
    src = from_module_text(path.read_text(), str(path))[0]
    module = build_module(src, infer_specs(src, None))
    run_pipeline(module, Pipeline.default())
    space = config_space(launch_plan(module), {"m": 4096, "n": 4096, "k": 4096, "k2": 4096})
    candidates = [c for c in space.candidates() if c.block_sizes]
    assert candidates and all(min(c.block_sizes) >= 16 for c in candidates)
    assert all(c.num_stages * (c.block_sizes[0] + c.block_sizes[1]) * c.block_sizes[2] * 4 <= 220 * 1024
               for c in candidates)  # fp32 operands: the pipeline's buffers fit in shared memory
    # and beside them the default tiles as persistent programs (512 tiles of 128 x 256 outnumber the SMs), and with
    # the k-loop warp-specialized, and through tensor descriptors
    assert [c.key() for c in space.candidates() if not c.block_sizes] == [
        kopt.Config(pid_type="persistent_interleaved").key(), kopt.Config(range_warp_specializes=[True]).key(),
        kopt.Config(indexing="tensor_descriptor").key()]


def test_autotuning_a_dot_kernel_picks_a_correct_config():
    mm = kopt.kernel(load_example("bmm").bmm.fn, autotune=True)
    x, y = torch.randn(2, 40, 20), torch.randn(2, 20, 50)
    torch.testing.assert_close(mm(x, y), torch.bmm(x, y), atol=1e-4, rtol=1e-4)
