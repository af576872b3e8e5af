"""What the facts let mask-elision remove, and that an unproven mask always stays."""

from __future__ import annotations

import re

import pytest
import torch

from kopt.frontend.signature import TensorSpec
from tests.helpers import EXAMPLES, load_example
from tests.shapes.test_shapes_report import section, squeeze
from tests.shapes.util import compile_with_facts, run_cli

SOFTMAX = str(EXAMPLES / "softmax.py")
ADD = str(EXAMPLES / "add.py")
ADD_2D = ("--signature", "x: f32[n, _m], y: f32[n, _m]")


def mask_lines(report: str, kernel: str) -> list[str]:
    part = [squeeze(line) for line in section(report, kernel)]
    return [line for line in part if ": kept:" in line or ": elided:" in line]


def report(path: str, *args: str) -> str:
    code, out, err = run_cli(path, "--emit=shapes", *args)
    assert code == 0, err
    return out


def test_divisible_extent_and_bounded_block_elide_that_grid_dim():
    out = report(ADD, *ADD_2D, "--assume", "_m % 128 == 0", "--assume", "_BLOCK_SIZE_1 <= 128")
    lines = mask_lines(out, "_add_kernel")
    assert lines.count("%tile.0: kept: n mod _BLOCK_SIZE_0 unknown") == 3  # x, y, out: dim 0
    assert lines.count("%tile.1: elided: _BLOCK_SIZE_1 is a power of 2 <= 128, and 128 divides _m") == 3
    out = report(SOFTMAX, "--assume", "n % 128 == 0", "--assume", "_BLOCK_SIZE_0 <= 64")
    assert "%tile_n: elided: _BLOCK_SIZE_0 is a power of 2 <= 64, and 64 divides n" in mask_lines(out, "_softmax_kernel")


@pytest.mark.parametrize("facts", [
    ("_m % 128 == 0",),  # the block may be larger than 128
    ("_m % 128 == 0", "_BLOCK_SIZE_1 <= 256"),
    ("_m % 96 == 0", "_BLOCK_SIZE_1 <= 64"),  # 64 does not divide 96
    ("_m >= 4096",),
])
def test_facts_short_of_coverage_keep_the_grid_mask(facts):
    out = report(ADD, *ADD_2D, *(a for f in facts for a in ("--assume", f)))
    lines = mask_lines(out, "_add_kernel")
    assert lines.count("%tile.1: kept: _m mod _BLOCK_SIZE_1 unknown") == 3, lines


def test_whole_dim_mask_goes_only_when_the_extent_is_its_power_of_two():
    lines = mask_lines(report(SOFTMAX, "--assume", "_m == 1024"), "_softmax_kernel")
    assert "%rdim.1: elided: _m = 1024 and _RDIM_SIZE_1 = next_power_of_2(_m) = 1024" in lines
    lines = mask_lines(report(SOFTMAX, "--assume", "_m == 1000"), "_softmax_kernel")
    assert "%rdim.1: kept: _m = 1000 but _RDIM_SIZE_1 = next_power_of_2(_m) = 1024" in lines
    lines = mask_lines(report(SOFTMAX, "--assume", "_m % 128 == 0"), "_softmax_kernel")
    assert any(line.startswith("%rdim.1: kept: _RDIM_SIZE_1 = next_power_of_2(_m) may exceed _m") for line in lines)


def _masks_in(source: str) -> set[str]:
    return set(re.findall(r"\bmask_\d+ = ", source))


# Facts that are true of the shapes below but do not imply that any block covers its extent.
WEAK_FACTS = ("_m % 16 == 0", "n % 2 == 0", "_BLOCK_SIZE_0 <= 16", "_m >= 16")


@pytest.mark.parametrize("name", ["softmax", "softmax_decomposed"])
def test_weak_facts_keep_every_mask_and_stay_correct_where_coverage_fails(name):
    kernel = getattr(load_example("softmax"), name)
    launch, source = compile_with_facts(kernel, {"x": TensorSpec("f32", 2)}, WEAK_FACTS, block_sizes=(16,))
    assert _masks_in(source) == {"mask_0 = ", "mask_1 = "}, source
    # no fill before max and sum: the row reads -inf past its end (kopt/ir/padding.py), which both need (the online
    # variant's one `tl.where` is its shift while the running max is -inf, on a per-row value, not a fill)
    assert "other=float('-inf')" in source and "tl.where(mask" not in source
    # true: m % 16 == 0, n even, m >= 16; false: 16 | n, next_power_of_2(m) == m
    for n, m in [(2, 48), (6, 80), (34, 272), (98, 1008)]:
        x = torch.randn(n, m)
        torch.testing.assert_close(launch(x), torch.softmax(x, dim=1), atol=1e-5, rtol=1e-5)


def test_unknown_is_never_an_elision_even_under_a_tiny_budget(monkeypatch):
    """A query that runs out of steps answers UNKNOWN, and UNKNOWN keeps the mask."""
    from kopt.analysis import facts as facts_module

    monkeypatch.setattr(facts_module, "DEFAULT_BUDGET", 1)
    for method in ("divides", "eq"):
        original = getattr(facts_module.FactBase, method)
        monkeypatch.setattr(facts_module.FactBase, method,
                            lambda self, a, b, budget=1, _o=original: _o(self, a, b, budget=1))
    out = report(SOFTMAX, "--assume", "_m == 1024", "--assume", "n % 4096 == 0", "--assume", "_BLOCK_SIZE_0 <= 8")
    lines = mask_lines(out, "_softmax_kernel")
    assert lines and all(": kept:" in line for line in lines), lines
    assert any("budget exhausted" in line for line in lines), lines
