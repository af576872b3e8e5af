"""loop-peeling (kopt/passes/loop_peeling.py): a loop whose last block may be partial runs its whole blocks unmasked,
then the rest (at most one block) masked; checked against torch where the whole blocks are none, some or all of the
loop, and in the IR: which loops are split, which masks go."""

from __future__ import annotations

import re

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.dialects import tile as T
from tests.helpers import load_example

MATMUL = load_example("matmul").matmul.fn
ATTENTION = load_example("attention").attention.fn


def _loops_after(kernel, *args, after: str = "mask-elision") -> list[T.ForOp]:
    loops: list[T.ForOp] = []

    def grab(prev, module, nxt):
        if prev is not None and prev.name == after:  # (a copy: later passes move the loops' ops)
            body = next(op for op in module.clone().ops if isinstance(op, T.KernelOp))
            loops.extend(op for op in body.walk() if isinstance(op, T.ForOp))
    kernel.lower(*args, hook=grab)
    return loops


@pytest.mark.parametrize("k", [1, 15, 16, 17, 48, 61])
def test_matmul_over_k_none_some_or_all_whole_blocks(k):
    mm = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[16, 16, 16]))
    a, b = torch.randn(19, k), torch.randn(k, 23)
    torch.testing.assert_close(mm(a, b), a @ b, atol=1e-4, rtol=1e-4)


def test_the_whole_blocks_lose_the_k_mask_and_the_rest_keeps_it():
    a, b = torch.randn(19, 40), torch.randn(40, 23)
    whole, rest = _loops_after(kopt.kernel(MATMUL), a, b)
    assert (whole.attributes["peel"].data, rest.attributes["peel"].data) == ("whole", "rest")
    assert rest.iter_args[0] is whole.res[0]  # the accumulator goes on from the whole blocks
    notes = lambda loop: [n.data for op in loop.body.walk() if isinstance(op, T.LoadOp)  # noqa: E731
                          for n in op.attributes["mask_notes"].data]
    assert any(n.startswith("elided: _BLOCK_SIZE_2 is a factor") for n in notes(whole))
    assert not any(n.startswith("elided") for n in notes(rest))
    src = kopt.kernel(MATMUL).compile(a, b).triton_source
    first, second = src.split("for offset_2_1 in")[0], src.split("for offset_2_1 in")[1]
    assert "mask_2" not in first.split("for offset_2 in")[1] and "mask_2 = indices_2_1 < k" in second


@pytest.mark.parametrize("n", [1, 16, 17, 40])
def test_attention_keys_whole_and_rest(n):
    attention = kopt.kernel(ATTENTION, config=kopt.Config(block_sizes=[2, 16, 16]))
    q, k, v = torch.randn(3, 21, 32), torch.randn(3, n, 32), torch.randn(3, n, 32)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(attention(q, k, v), ref, atol=1e-4, rtol=1e-4)
    whole, rest = _loops_after(attention, q, k, v)
    fills = lambda loop: [op for op in loop.body.walk() if isinstance(op, T.MaskFillOp)]  # noqa: E731
    assert fills(whole) == [] and len(fills(rest)) >= 2  # the scores' -inf and the probabilities' 0


@kopt.kernel
def nested_sum(x: torch.Tensor) -> torch.Tensor:
    m, n, p = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        acc = hl.zeros([tm], dtype=torch.float32)
        for tn in hl.tile(n):
            for tp in hl.tile(p):
                acc = acc + torch.sum(torch.sum(x[tm, tn, tp], dim=2), dim=1)
        out[tm] = acc.to(out.dtype)
    return out


def test_only_innermost_loops_are_split():
    x = torch.randn(5, 19, 37)
    torch.testing.assert_close(nested_sum(x), x.sum((1, 2)), atol=1e-4, rtol=1e-4)
    loops = _loops_after(nested_sum, x, after="loop-peeling")
    peel = [lp.attributes.get("peel") for lp in loops]
    assert peel.count(None) == 1 and len(loops) == 3  # the outer loop, and its inner one split in two


def test_the_rest_takes_no_range_knobs():
    mm = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[16, 16, 16], range_num_stages=[3]))
    a, b = torch.randn(33, 40), torch.randn(40, 17)
    torch.testing.assert_close(mm(a, b), a @ b, atol=1e-4, rtol=1e-4)
    src = mm.compile(a, b).triton_source
    base = src[src.index("def _matmul_kernel("):src.index("\n\n\n", src.index("def _matmul_kernel("))]
    ranges = re.findall(r"tl\.range\(((?:[^()]|\([^()]*\))*)\)", base)
    assert ranges == ["0, _BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), _BLOCK_SIZE_2, num_stages=3",
                      "_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), k, _BLOCK_SIZE_2"]


def test_whole_loops_are_not_split():
    a, b = torch.randn(19, 64), torch.randn(64, 23)
    mm = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[16, 16, 16]))
    assert len(_loops_after(mm, a, b)) == 2
    static = kopt.kernel(MATMUL, config=kopt.Config(block_sizes=[16, 16, 16]), static_shapes=True)
    assert [lp.attributes.get("peel") for lp in _loops_after(static, a, b)] == [None]  # 16 divides k = 64: one loop


@kopt.kernel
def block_ids(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.zeros([m, n], dtype=torch.int32, device=x.device)
    for tm in hl.tile(m, block_size=4):
        for tn in hl.tile(n, block_size=4):
            out[tm, tn] = torch.ones_like(x[tm, tn]).to(torch.int32) * tn.id
    return out


def test_a_loop_that_numbers_its_blocks_is_not_split():
    """`tile.id` counts blocks from the range's begin: the rest's block would be number 0 again (a review found it)."""
    x = torch.randn(2, 10)
    want = (torch.arange(10) // 4).to(torch.int32).expand(2, 10)
    assert torch.equal(block_ids(x), want)
    assert [lp.attributes.get("peel") for lp in _loops_after(block_ids, x, after="loop-peeling")] == [None]
