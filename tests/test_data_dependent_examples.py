"""The examples with loops the kernel bounds from data (jagged tiles, group offsets, a tile's end) against torch,
on the layouts that break such kernels: empty groups, groups of one, one large group, no rows at all in
some groups and a single group holding everything; each compiles once for every layout and size."""

from __future__ import annotations

import pytest
import torch

from tests.corpus.cases import BY_NAME
from tests.helpers import load_example

LAYOUTS = {
    "mixed": [5, 0, 1, 130, 0, 7],
    "all_empty": [0, 0, 0],
    "one_of_one": [1],
    "one_large": [300],
    "many_small": [0, 1, 2, 3, 1, 0, 2, 1, 1, 3, 0, 2, 1, 1, 2, 3, 0, 1, 2, 1, 3],
    "leading_empty": [0, 0, 64, 65, 1],
}


def _offsets(lengths: list[int]) -> torch.Tensor:
    return torch.cat([torch.zeros(1, dtype=torch.int64), torch.tensor(lengths, dtype=torch.int64).cumsum(0)])


def _values(rows: int, d: int, gen, strided: bool) -> torch.Tensor:
    if not strided:
        return torch.randn(rows, d, generator=gen)
    return torch.randn(d, rows, generator=gen).t()  # the same sizes, column-major


def _jagged_args(name: str, lengths: list[int], d: int, gen, strided: bool) -> tuple:
    offsets = _offsets(lengths)
    total = int(offsets[-1])
    if name == "jagged_dense_add":
        return torch.randn(total, generator=gen), offsets, _values(len(lengths), d, gen, strided)
    if name == "grouped_gemm":
        return _values(total, 24, gen, strided), torch.randn(24, d, generator=gen), offsets
    if name == "moe_matmul":
        counts = torch.tensor(lengths, dtype=torch.int64)
        return _values(total, 24, gen, strided), torch.randn(len(lengths), 24, d, generator=gen) / 4, counts
    values = _values(total, d, gen, strided) - 3  # mostly negative: a 0 from a masked lane would win a max
    return (values, offsets, 1e-5) if name == "jagged_layer_norm" else (values, offsets)


NAMES = ["jagged_sum", "jagged_mean", "jagged_softmax", "jagged_layer_norm", "jagged_dense_add",
         "segment_reduction", "grouped_gemm", "moe_matmul"]


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_on_every_layout_with_one_compile(name):
    kernel = getattr(load_example(name), name)
    case = BY_NAME[name]
    kernel.cache_clear()
    gen = torch.Generator().manual_seed(0)
    calls = 0
    for i, (layout, lengths) in enumerate(LAYOUTS.items()):
        for d in (1, 37) if i % 2 else (17,):
            args = _jagged_args(name, lengths, d, gen, strided=bool(i % 3 == 1))
            got = kernel(*args)
            want = case.expected(args).to(got.dtype)
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4, msg=lambda m: f"{layout}, d={d}: {m}")
            calls += 1
    info = kernel.cache_info()  # the one compile may come from the disk cache
    assert info.misses + info.disk_hits == 1 and info.hits - info.disk_hits == calls - 1, info


def test_causal_attention_skips_blocks_and_compiles_once():
    kernel = load_example("causal_attention").causal_attention
    kernel.cache_clear()
    gen = torch.Generator().manual_seed(1)
    for bh, m, d in [(1, 1, 16), (2, 65, 32), (3, 130, 16), (1, 17, 64)]:
        q, k, v = (torch.randn(bh, m, d, generator=gen) for _ in range(3))
        want = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        torch.testing.assert_close(kernel(q, k, v), want, atol=1e-4, rtol=1e-4)
    info = kernel.cache_info()
    assert info.misses + info.disk_hits == 1, info
    source = kernel.compile(q, k, v).triton_source
    # below the diagonal: keys 0 .. the block's begin; on it: the block's begin .. its end
    # (each loop peeled: its whole blocks, then the rest)
    assert "tl.range(0, _BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2)," in source
    assert "tl.range(_dyn_begin_1, _BLOCK_SIZE_3*(_dyn_extent_1 // _BLOCK_SIZE_3) + _dyn_begin_1," in source
    assert "tl.range(_BLOCK_SIZE_3*(_dyn_extent_1 // _BLOCK_SIZE_3) + _dyn_begin_1, _dyn_begin_1 + _dyn_extent_1," in source
