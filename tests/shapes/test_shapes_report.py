"""`kopt FILE --emit=shapes`: per kernel, the facts, every value's shape, and each mask decision with its reason."""

from __future__ import annotations

from tests.helpers import EXAMPLES
from tests.shapes.util import run_cli

SOFTMAX = str(EXAMPLES / "softmax.py")


def section(report: str, kernel: str) -> list[str]:
    """The lines of one kernel's part of the report."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"kernel @{kernel} "))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("kernel @")), len(lines))
    return lines[start:end]


def squeeze(line: str) -> str:
    return " ".join(line.split())


def test_dynamic_softmax_keeps_every_mask_and_says_why():
    code, out, err = run_cli(SOFTMAX, "--emit=shapes")
    assert code == 0, err
    part = [squeeze(line) for line in section(out, "_softmax_kernel")]
    assert part[0] == f"kernel @_softmax_kernel ({SOFTMAX}:16)"
    assert part[1:4] == ["facts (2):", "_BLOCK_SIZE_0 is a power of 2",
                         "_RDIM_SIZE_1 = next_power_of_2(_m) (=> _m <= _RDIM_SIZE_1 < 2*_m)"]
    for row in ["%x argument tensor [n, _m] f32, strides [x_stride_0, x_stride_1]",
                "%tile_n tile.program_range range over n by _BLOCK_SIZE_0",
                "%rdim.1 tile.whole_range range over _m by _RDIM_SIZE_1",
                "%0 tile.load [_BLOCK_SIZE_0, _RDIM_SIZE_1] f32",
                "%amax tile.reduce [_BLOCK_SIZE_0, 1] f32",
                "%sum_exp tile.reduce [_BLOCK_SIZE_0, 1] f32"]:
        assert row in part, row
    masks = part[part.index("masks (4 kept, 0 elided):"):]  # no fill: the row reads -inf past its end
    assert masks[1:4] == ["load %x[%tile_n, %rdim.1], masked lanes read -inf (line 17)",
                          "%tile_n: kept: n mod _BLOCK_SIZE_0 unknown",
                          "%rdim.1: kept: _RDIM_SIZE_1 = next_power_of_2(_m) may exceed _m: _m - _RDIM_SIZE_1 unknown"]
    assert not any("mask_fill" in line for line in masks)
    assert "store %out[%tile_n, %rdim.1] (line 17)" in masks


def test_known_sizes_elide_every_mask_and_the_fills_are_reported_on_their_reductions():
    # layer_norm: the variance's sum needs a fill (x - mean is not 0 past the row's end); softmax's need none
    code, out, err = run_cli(str(EXAMPLES / "layer_norm.py"), "--emit=shapes", "--assume", "m == 4096",
                             "--assume", "n == 1024", "--assume", "_BLOCK_SIZE_0 == 8")
    assert code == 0, err
    part = [squeeze(line) for line in section(out, "_layer_norm_kernel")]
    assert part[1:5] == ["facts (7):", "_BLOCK_SIZE_0 = 8", "bias_size_0 = n", "m = 4096"]
    assert not any("tile.mask_fill" in line for line in part)
    masks = part[part.index("masks (0 kept, 7 elided):"):]
    assert masks[1:4] == ["load %x[%tile_m, %rdim.1] (line 18)",
                          "%tile_m: elided: _BLOCK_SIZE_0 = 8 divides m = 4096",
                          "%rdim.1: elided: n = 1024 and _RDIM_SIZE_1 = next_power_of_2(n) = 1024"]
    assert masks[4:6] == ["reduce sum %2 dim 1 (the neutral fill before it) (line 21)",
                          "elided: n = 1024 and _RDIM_SIZE_1 = next_power_of_2(n) = 1024"]


def test_every_kernel_of_the_file_has_a_section():
    code, out, _ = run_cli(SOFTMAX, "--emit=shapes")
    assert code == 0
    for kernel in ("_softmax_kernel", "_softmax_decomposed_kernel"):
        assert section(out, kernel)


def test_a_tile_file_is_reported_too(tmp_path):
    code, tile, _ = run_cli(SOFTMAX, "--emit=tile")
    assert code == 0
    path = tmp_path / "softmax.tile"
    path.write_text(tile)
    code, out, err = run_cli(str(path), "--emit=shapes", "--assume", "_m == 64")
    assert code == 0, err
    assert "%rdim.1: elided: _m = 64 and _RDIM_SIZE_1 = next_power_of_2(_m) = 64" in [
        squeeze(line) for line in section(out, "_softmax_kernel")]
