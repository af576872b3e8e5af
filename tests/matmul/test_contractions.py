"""Every spelling of a product (`@`, torch.matmul/mm/bmm/addmm/baddbmm, methods, hl.dot), transposed
operands, epilogues and block-size choices, on the CPU against torch; and the errors for misuse."""

from __future__ import annotations

import textwrap

import pytest
import torch

import kopt
from tests.matmul import kernels as K

SIZES = [(1, 1, 1), (17, 100, 129), (100, 17, 33)]  # (m, k, n)
TOL = dict(atol=1e-3, rtol=1e-4)


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape).to(dtype)


@pytest.mark.parametrize("m,k,n", SIZES)
@pytest.mark.parametrize("fn", [K.aug_matmul, K.hl_dot_acc], ids=["aug_assign", "hl_dot_acc"])
def test_accumulating_forms(fn, m, k, n):
    x, y = randn(m, k), randn(k, n)
    torch.testing.assert_close(fn(x, y), x @ y, **TOL)


def test_accumulating_forms_fold_into_one_tl_dot():
    """`acc += a @ b` with fp16 tiles is `acc + cast(dot)` in the frontend; canonicalization makes it
    tl.dot(a, b, acc), accumulating in fp32 without rounding the product to fp16 first."""
    x, y = randn(33, 40, dtype=torch.float16), randn(40, 20, dtype=torch.float16)
    for fn in (K.aug_matmul, K.hl_dot_acc):
        src = fn.compile(x, y).triton_source
        assert "acc = tl.dot(load, load_1, acc)" in src, src
        loop = [line for line in src.splitlines() if line.startswith(" " * 8)]
        assert loop and not any(".to(tl.float16)" in line for line in loop), loop
        torch.testing.assert_close(fn(x, y), (x.float() @ y.float()).half(), atol=1e-2, rtol=2e-3)


def test_product_widened_back_to_fp32_keeps_the_fp32_scores():
    """attention's `torch.bmm(q, k^T).to(torch.float32)` on fp16 tiles: canonicalization drops the rounding to fp16
    (no `.to(tl.float16)` of the scores), so kopt's error against an fp32 reference is no larger than fp16 SDPA's
    (it was about 5x larger with the rounding kept), on a prime sequence length."""
    from tests.helpers import load_example

    attention = load_example("attention").attention
    torch.manual_seed(0)
    q, k, v = (2 * torch.randn(2, 131, 64).half() for _ in range(3))
    src = attention.compile(q, k, v).triton_source
    assert "tl.dot(q_blk, trans)" in src and "tl.dot(q_blk, trans).to(tl.float16)" not in src, src
    ref = torch.nn.functional.scaled_dot_product_attention(q.float(), k.float(), v.float())
    err = (attention(q, k, v).float() - ref).abs().max().item()
    sdpa = (torch.nn.functional.scaled_dot_product_attention(q, k, v).float() - ref).abs().max().item()
    assert err <= 1.5 * sdpa, (err, sdpa)


@pytest.mark.parametrize("m,k,n", SIZES)
def test_every_spelling_of_a_product(m, k, n):
    x, y = randn(m, k), randn(k, n)
    torch.testing.assert_close(K.spelled_products(x, y), 7 * (x @ y), atol=1e-3 * 7, rtol=1e-4)


@pytest.mark.parametrize("m,k,n", SIZES)
def test_transposed_loaded_tiles(m, k, n):
    x, yt = randn(m, k), randn(n, k)
    torch.testing.assert_close(K.transposed_operand(x, yt), 4 * (x @ yt.T), atol=4e-3, rtol=1e-4)
    src = K.transposed_operand.compile(x, yt).triton_source
    assert "tl.trans(" in src


@pytest.mark.parametrize("b,m,k,n", [(1, 1, 1, 1), (3, 17, 40, 33)])
def test_batched_transposes(b, m, k, n):
    x, yt = randn(b, m, k), randn(b, n, k)
    torch.testing.assert_close(K.bmm_transposed(x, yt), 2 * (x @ yt.mT), atol=2e-3, rtol=1e-4)
    kernel = K.bmm_transposed.compile(x, yt).triton_source.split("def bmm_transposed(")[0]
    assert "tl.trans(" in kernel and "tl.permute(" not in kernel  # one batch per program: a 2-D transpose


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (17, 100, 33)])
def test_whole_k_without_a_loop(m, k, n):
    x, y = randn(m, k), randn(k, n)
    torch.testing.assert_close(K.whole_k(x, y), x @ y, **TOL)


@pytest.mark.parametrize("m,k,n", SIZES)
def test_scaling_activation_and_cast_epilogue(m, k, n):
    x, y = randn(m, k), randn(k, n)
    want = torch.nn.functional.silu(0.5 * (x @ y)).half()
    torch.testing.assert_close(K.scaled_epilogue(x, y, 0.5), want, atol=1e-2, rtol=2e-3)


@pytest.mark.parametrize("m,k,n", [(17, 100, 129), (129, 1, 17)])
def test_registered_and_explicit_block_sizes(m, k, n):
    x, y = randn(m, k), randn(k, n)
    torch.testing.assert_close(K.shared_block_size(x, y), x @ y, **TOL)
    src = K.shared_block_size.compile(x, y).triton_source
    kernel = src.split("def shared_block_size")[0]
    assert "tl.arange(0, _BLOCK_SIZE_0)" in kernel and "_BLOCK_SIZE_1" not in kernel  # m and n share a block
    assert "tl.range(0, 32*(k // 32), 32)" in kernel  # the explicit k block is a literal (whole blocks, then the rest)


# ------------------------------------------------------------------ errors


def compile_source(tmp_path, body: str, *args):
    """Compile a kernel written into a file (errors point at its lines)."""
    path = tmp_path / "k.py"
    path.write_text("import torch\nimport kopt\nimport kopt.language as hl\n\n" + textwrap.dedent(body))
    ns: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)  # noqa: S102 - the test's own kernel
    fn = next(v for v in ns.values() if isinstance(v, kopt.runtime.kernel.Kernel))
    return fn.compile(*args)


MM_HEAD = """
@kopt.kernel
def k(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, kk = x.size()
    k2, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
"""


@pytest.mark.parametrize("loop,message", [
    ("for tile_k in hl.tile(kk):\n    acc = acc + x[tile_m, tile_k] @ y[tile_k, tile_n][None, :, :]",
     "both must be 2-D, or both 3-D"),
    ("for tile_k in hl.tile(kk):\n    acc = acc + x[tile_m, tile_k].to(torch.int32) @ y[tile_k, tile_n].to(torch.int32)",
     "tl.dot here takes floating-point operands"),
    ("for tile_k in hl.tile(kk):\n    acc = acc + x[tile_m, tile_k] @ y[tile_m, tile_n]",
     "contraction dims differ"),
    ("for tile_k in hl.tile(kk, block_size=8):\n    acc = acc + x[tile_m, tile_k] @ y[tile_k, tile_n]",
     "matmul block dim k is 8: tl.dot needs every block dim of its operands to be at least 16"),
    ("for tile_k in hl.tile(kk):\n    acc = torch.addmm(acc, x[tile_m, tile_k])",
     "needs input, mat1, mat2"),
])
def test_misuse_is_a_located_error(tmp_path, loop, message):
    body = MM_HEAD + textwrap.indent(loop, " " * 8) + "\n        out[tile_m, tile_n] = acc\n    return out\n"
    with pytest.raises(kopt.KoptError) as e:
        compile_source(tmp_path, body, randn(4, 5), randn(5, 6))
    text = str(e.value)
    assert message in text, text
    assert text.startswith(str(tmp_path / "k.py") + ":"), text  # file:line:col: error: ...


def test_config_block_below_16_names_the_block():
    x, y = randn(20, 30), randn(30, 40)
    bad = kopt.kernel(K.aug_matmul.fn, config=kopt.Config(block_sizes=[8, 64, 32]))
    with pytest.raises(kopt.KoptError) as e:
        bad(x, y)
    msg = str(e.value).splitlines()[0]
    assert "block_sizes[0] = 8 (_BLOCK_SIZE_0, the m dim of a tl.dot) is below 16" in msg, msg
    ok = kopt.kernel(K.aug_matmul.fn, config=kopt.Config(block_sizes=[16, 64, 32], num_warps=2, num_stages=2))
    torch.testing.assert_close(ok(x, y), x @ y, **TOL)


@pytest.mark.parametrize("m,k,n", [(17, 100, 33), (5, 1, 3)])
def test_operands_past_k_are_zero_whatever_computed_them(m, k, n):
    x, y = randn(m, k), randn(k, n).abs() + 0.5
    torch.testing.assert_close(K.transformed_operands(x, y), x.exp() @ (1.0 / y), atol=1e-3, rtol=1e-4)
    src = K.transformed_operands.compile(x, y).triton_source
    base = src[src.index("def _transformed_operands_kernel("):src.index("\n\n\n", src.index("def _transformed_operands_kernel("))]
    # both operands: the k-lanes past k's end are 0 (in the rest of the k-loop; its whole blocks have none)
    assert base.count("tl.where(mask_2") == 2


def test_fp32_dot_precision_follows_torch():
    """fp32 matmuls multiply in full fp32 as torch.matmul does by default; TF32 only when torch allows it."""
    from tests.helpers import load_example

    mm = load_example("matmul").matmul
    x, y = torch.randn(32, 32), torch.randn(32, 32)
    assert 'input_precision="ieee"' in mm.compile(x, y).triton_source
    old = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("high")
        assert 'input_precision="tf32"' in mm.compile(x, y).triton_source
    finally:
        torch.set_float32_matmul_precision(old)
    half = mm.compile(x.half(), y.half()).triton_source
    assert "input_precision" not in half
