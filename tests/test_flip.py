"""torch.flip of a tile (the shape-changing op docs/adding-an-op.md adds): against torch on partial blocks,
awkward shapes, several and negative dims, the method form, a flip feeding a reduction; and the located error
for a computed tile whose last block may be partial."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl


@kopt.kernel
def flip_rows(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.flip(x[tile_m, :], [1])
    return out


@kopt.kernel(config=kopt.Config(block_sizes=[8, 16]))
def flip_both(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = x[tile_m, tile_n].flip([-1, 0]) * 2.0
    return out


@kopt.kernel
def flip_then_cumulative_weight(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        row = torch.flip(x[tile_m, :], [1])
        out[tile_m] = (row * row).sum(1) + row.amax(1)
    return out


@kopt.kernel
def flip_computed(x: torch.Tensor) -> torch.Tensor:
    (n,) = x.size()
    out = torch.empty_like(x)
    for tile in hl.tile(n):
        out[tile] = torch.flip(x[tile] + 1.0, [0])
    return out


@kopt.kernel(config=kopt.Config(block_sizes=[16]))
def flip_blocks(x: torch.Tensor) -> torch.Tensor:
    """Flips each block of 16 (the whole-tile flip Triton's tl.flip is, where every block is whole)."""
    (n,) = x.size()
    out = torch.empty_like(x)
    for tile in hl.tile(n):
        out[tile] = torch.flip(x[tile], [0])
    return out


@kopt.kernel
def flip_16(x: torch.Tensor) -> torch.Tensor:
    """One whole block of 16: nothing past the end, so tl.flip is torch's flip."""
    out = torch.empty_like(x)
    for tile in hl.tile(16, block_size=16):
        out[tile] = torch.flip(x[tile], [0]) + 0.5
    return out


def _blockwise(x: torch.Tensor, b: int) -> torch.Tensor:
    return torch.cat([c.flip(0) for c in x.split(b)])


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 97), (2, 257), (17, 1)])
def test_flip_rows_matches_torch(shape):
    x = torch.randn(*shape)
    torch.testing.assert_close(flip_rows(x), torch.flip(x, [1]))
    torch.testing.assert_close(flip_then_cumulative_weight(x), (x * x).sum(1) + x.amax(1))


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (33, 65), (70, 5)])
def test_flip_of_tiles_is_per_tile_as_in_torch(shape):
    # a tile's flip reverses the elements of that tile: per 8 x 16 block, partial ones at the ends included
    x = torch.randn(*shape)
    want = torch.cat([torch.cat([blk.flip([0, 1]) for blk in row.split(16, 1)], 1) for row in x.split(8, 0)]) * 2.0
    torch.testing.assert_close(flip_both(x), want)
    assert "tl.flip" not in flip_both.compile(x).triton_source  # partial blocks: read backwards at the load


def test_partial_blocks_are_read_backwards_and_whole_ones_use_tl_flip():
    x = torch.randn(64)
    src = flip_blocks.compile(x).triton_source
    torch.testing.assert_close(flip_blocks(x), _blockwise(x, 16))
    y = torch.randn(41)  # the last block holds 9 of 16: its flip is of those 9
    torch.testing.assert_close(flip_blocks(y), _blockwise(y, 16))
    assert "tl.flip" not in src  # n is not known to be a multiple of 16: read backwards at the load
    z = torch.randn(16)
    torch.testing.assert_close(flip_16(z), z.flip(0) + 0.5)
    assert "tl.flip(" in flip_16.compile(z).triton_source


def test_flip_of_a_computed_partial_tile_is_a_located_error():
    with pytest.raises(kopt.KoptError, match=r"test_flip.py:\d+:\d+: error: torch.flip along dim 0 of a computed tile"):
        flip_computed(torch.randn(10))


def test_flip_needs_constant_dims():
    @kopt.kernel
    def bad(x: torch.Tensor, d: int) -> torch.Tensor:
        (n,) = x.size()
        out = torch.empty_like(x)
        for tile in hl.tile(n):
            out[tile] = torch.flip(x[tile], [d])
        return out

    with pytest.raises(kopt.KoptError, match="dims must be integer constants"):
        bad(torch.randn(4), 0)
