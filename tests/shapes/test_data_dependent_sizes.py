"""Sizes the kernel computes: fresh nonnegative symbols (never the positive size symbols), only the facts that
hold, and `--emit=shapes` listing them with the mask decisions that depend on them."""

from __future__ import annotations

from kopt.analysis import FactBase, parse_expr
from tests.shapes.util import run_cli

GROUPED_GEMM_SIG = "a_packed: f16[total_m, k], b: f16[k, n], group_offsets: i64[g1]"


def test_grouped_gemm_report_lists_its_data_dependent_extent_and_masks():
    code, out, err = run_cli("examples/grouped_gemm.py", "--signature", GROUPED_GEMM_SIG, "--emit=shapes")
    assert code == 0, err
    assert "sizes the kernel computes (1: nonnegative symbols, unknown to the host):" in out
    assert "_dyn_extent_0 = %m_g" in out
    # the rows of a group are gathered at start + tile_m.index: masked past the group's extent, never elided
    # (three: the k-loop is peeled, loop-peeling, and the gather is read in both loops)
    assert out.count("kept: a gather, masked past the end of the range over _dyn_extent_0") == 3
    assert "masks (8 kept, 2 elided):" in out  # the whole k-blocks' masks are elided


def test_a_computed_size_is_nonnegative_but_may_be_zero():
    facts = FactBase()
    ext = parse_expr("_dyn_extent_0")
    assert facts.le(parse_expr("0"), ext).is_true
    assert not facts.le(parse_expr("1"), ext).is_true  # an empty group: no positive-size assumption
    assert not facts.le(parse_expr("1"), ext).is_false


def test_a_tiles_end_bounds_the_loop_it_starts():
    code, out, err = run_cli("examples/causal_attention.py", "--signature",
                             "q: f16[bh, m, d], k: f16[bh, m, d], v: f16[bh, m, d]", "--emit=shapes")
    assert code == 0, err
    assert "_dyn_extent_0 = %" in out and "at most m" in out  # hl.tile(0, tile_m.begin): begin <= m
