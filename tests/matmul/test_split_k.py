"""Split-K (kopt/passes/split_k.py): a product with few output tiles and a long k runs as a partial kernel per run
of k and a kernel that sums the runs in order, then the epilogue. Checked against torch where it is taken (and where
it is not), for determinism, in the IR and the launcher, and built for sm_90."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.dialects import tile as T
from kopt.launch import hostmath
from tests.helpers import built_for_sm90, Launches, load_example

MATMUL = load_example("matmul").matmul.fn
BIAS_RELU = load_example("matmul_bias_relu").matmul_bias_relu.fn


@pytest.mark.parametrize("m,k,n", [(19, 1100, 33), (1, 2049, 5), (3, 4000, 2), (16, 1031, 64)])
def test_split_products_match_torch(m, k, n):
    mm = kopt.kernel(MATMUL)
    a, b = torch.randn(m, k), torch.randn(n, k).t()  # b not contiguous
    assert hostmath.split_k_wanted(m, n, k, 4)
    with Launches(mm.compile(a, b)) as seen:
        got = mm(a, b)
    assert seen.names == ["_matmul_kernel_splitk", "_matmul_kernel_splitk_sum"]
    torch.testing.assert_close(got, a @ b, atol=1e-3, rtol=1e-3)
    again = mm(a, b)
    assert torch.equal(got, again)  # the runs are summed in one order: the same bits every time


def test_the_epilogue_runs_on_the_sum():
    k = kopt.kernel(BIAS_RELU)
    x, w, bias = torch.randn(7, 2000), torch.randn(2000, 45), torch.randn(45)
    with Launches(k.compile(x, w, bias)) as seen:
        got = k(x, w, bias)
    assert seen.names[-1].endswith("_splitk_sum")
    torch.testing.assert_close(got, torch.relu(x @ w + bias), atol=1e-3, rtol=1e-3)
    h = (torch.randn(5, 3000) / 8).half(), (torch.randn(3000, 24) / 8).half(), torch.randn(24).half()
    torch.testing.assert_close(k(*h), torch.relu(h[0].float() @ h[1].float() + h[2].float()).half(),
                               atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("m,k,n", [(64, 64, 64), (300, 1100, 300), (2, 100, 3)])
def test_others_launch_one_kernel(m, k, n):
    mm = kopt.kernel(MATMUL)
    a, b = torch.randn(m, k), torch.randn(k, n)
    assert not hostmath.split_k_wanted(m, n, k, 4)
    with Launches(mm.compile(a, b)) as seen:
        torch.testing.assert_close(mm(a, b), a @ b, atol=1e-3, rtol=1e-3)
    assert seen.names == ["_matmul_kernel"]


def test_the_rule_and_the_factor():
    assert hostmath.split_k_wanted(16, 4096, 4096, 2)  # a decode step: 64 tiles of 64 x 64 on 132 SMs
    assert hostmath.split_k_wanted(128, 4096, 14336, 2)  # 64 tiles of 64 x 128, a long k
    assert not hostmath.split_k_wanted(1024, 1024, 16384, 2)  # 128 tiles of 64 x 128 fill the SMs already
    assert not hostmath.split_k_wanted(1024, 1024, 1024, 2)  # the partial sums would outweigh the operands
    assert not hostmath.split_k_wanted(2048, 2048, 2048, 2)
    assert hostmath.split_k_factor(16, 4096, 4096, 132) == 2 and hostmath.split_k_factor(128, 4096, 4096, 132) == 2
    assert hostmath.split_k_factor(16, 4096, 4096, 4) == 1 and hostmath.split_k_factor(19, 33, 1100, 4) == 2
    assert hostmath.split_k_factor(16, 4096, 4096, 132, 128, 128) == 4  # the tiles a config fixes count instead


def test_the_split_tiles():
    from kopt.launch.dot_tiles import dot_tiles
    assert dot_tiles((16, 4096, 4096), ("m", "n", "k"), elem_bytes=2, split=True) == (64, 64, 128, 4, 5)
    assert dot_tiles((128, 4096, 4096), ("m", "n", "k"), elem_bytes=2, split=True) == (64, 128, 128, 4, 4)
    assert dot_tiles((16, 4096, 4096), ("m", "n", "k"), elem_bytes=4, split=True, gpu=False) == (16, 64, 64, 4, 5)


def _kernels_after_split(fn, *args) -> dict[str, T.KernelOp]:
    out: dict[str, T.KernelOp] = {}

    def grab(prev, module, nxt):
        if prev is not None and prev.name == "split-k":
            out.update({op.sym_name.data: op for op in module.clone().ops if isinstance(op, T.KernelOp)})
    kopt.kernel(fn).lower(*args, hook=grab)
    return out


def test_the_ir_of_the_pair():
    ks = _kernels_after_split(MATMUL, torch.randn(4, 4), torch.randn(4, 4))
    partial, total = ks["_matmul_kernel_splitk"], ks["_matmul_kernel_splitk_sum"]
    assert partial.attributes["launch_if"].data == "split_k_wanted(m, n, k, 4)"
    assert [g.data for g in partial.plan.grid_sizes][0] == "_SPLIT_K"
    stores = [op for op in partial.walk() if isinstance(op, T.StoreOp)]
    assert len(stores) == 1 and stores[0].tensor.name_hint == "_splitk_ws"  # no epilogue in the partial kernel
    loops = [op for op in total.walk() if isinstance(op, T.ForOp)]
    assert [lp.ranges[0].type.extent.data for lp in loops] == ["_SPLIT_K"] and "dot_dims" not in total.attributes
    assert not any(isinstance(op, T.DotOp) for op in total.walk())


def test_kernels_that_are_not_a_plain_product_keep_one_launch():
    q = torch.randn(2, 8, 16)
    ks = _kernels_after_split(load_example("attention").attention.fn, q, q, q)  # a max and a sum carried
    assert not any(name.endswith("_splitk") for name in ks)
    a = torch.randn(2, 8, 16)
    ks = _kernels_after_split(load_example("bmm").bmm.fn, a, a.transpose(1, 2))  # a batch
    assert not any(name.endswith("_splitk") for name in ks)


BUILD = """
import torch, kopt
from tests.helpers import Launches, load_example
for fn in (load_example("matmul").matmul.fn, load_example("matmul_bias_relu").matmul_bias_relu.fn):
    k = kopt.kernel(fn)
    a, b = torch.randn(16, 4096, dtype=torch.float16), torch.randn(4096, 4096, dtype=torch.float16)
    args = (a, b) if fn.__name__ == "matmul" else (a, b, torch.randn(4096, dtype=torch.float16))
    for built in kopt.build_for_target(k, *args, arch=90):
        print("BUILT", built.kernel, built.stages[-1], built.error, built.constexprs)
"""


def test_the_pair_builds_for_sm90(tmp_path):
    """Triton's GPU compiler and ptxas take both kernels of a decode-sized product (no GPU needed), in the tiles a
    CUDA call launches: 64 x 64 with a 128-element k-step for 16 rows (hostmath.split_k_tile)."""
    built, stdout = built_for_sm90(BUILD, tmp_path)
    names = [line.split()[1] for line in built]
    assert names == ["_matmul_kernel_splitk", "_matmul_kernel_splitk_sum", "_matmul_bias_relu_kernel_splitk",
                     "_matmul_bias_relu_kernel_splitk_sum"], stdout
    assert all(" cubin None " in line for line in built), stdout
    partial = [line for line in built if line.split()[1].endswith("_splitk")]
    assert all("'_BLOCK_SIZE_0': 64, '_BLOCK_SIZE_1': 64, '_BLOCK_SIZE_2': 128" in line for line in partial), partial


def test_hl_dot_with_acc_and_fp8_operands():
    from tests.matmul import kernels as K

    x, y = torch.randn(6, 1500), torch.randn(1500, 40)
    with Launches(K.hl_dot_acc.compile(x, y)) as seen:
        torch.testing.assert_close(K.hl_dot_acc(x, y), x @ y, atol=1e-3, rtol=1e-3)
    assert seen.names[-1] == "_hl_dot_acc_kernel_splitk_sum"
    fp8 = load_example("fp8_gemm")
    a = (torch.randn(4, 2048) / 4).to(torch.float8_e4m3fn)
    b = (torch.randn(2048, 48) / 4).to(torch.float8_e4m3fn)
    sa, sb = torch.tensor([0.5]), torch.tensor([2.0])
    with Launches(fp8.fp8_gemm.compile(a, b, sa, sb)) as seen:
        got = fp8.fp8_gemm(a, b, sa, sb)
    assert seen.names[-1].endswith("_splitk_sum")
    torch.testing.assert_close(got.float(), fp8.reference(a, b, sa, sb).float(), atol=0.1, rtol=2e-2)


@kopt.kernel
def block_scaled(x: torch.Tensor, y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """One scale per k-block, read by the block's number (`tk.id`)."""
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tm, tn in hl.tile([m, n]):
        acc = hl.zeros([tm, tn], dtype=torch.float32)
        for tk in hl.tile(k, block_size=32):
            acc = acc + (x[tm, tk] * s[tk.id]) @ y[tk, tn]
        out[tm, tn] = acc
    return out


@kopt.kernel
def half_acc(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tm, tn in hl.tile([m, n]):
        acc = hl.zeros([tm, tn], dtype=torch.float16)
        for tk in hl.tile(k):
            acc = acc + x[tm, tk] @ y[tk, tn]
        out[tm, tn] = acc
    return out


@kopt.kernel
def prefix_product(x: torch.Tensor, y: torch.Tensor, klen: torch.Tensor) -> torch.Tensor:
    """x[:, :L] @ y[:L, :] with L read on the device: a k the launcher cannot split."""
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tm, tn in hl.tile([m, n]):
        length = klen[0]
        acc = hl.zeros([tm, tn], dtype=torch.float32)
        for tk in hl.tile(0, length):
            acc = acc + x[tm, tk] @ y[tk, tn]
        out[tm, tn] = acc
    return out


def test_products_split_k_must_not_take_keep_one_launch():
    """Three a review found: blocks numbered by `tk.id` (a split's would restart at 0), an fp16 accumulator (the fp32
    workspace's sum would change its type: Triton refuses the loop), a k computed on the device."""
    x, y = torch.randn(4, 2048), torch.randn(2048, 16)
    s = torch.rand(64)
    want = (x.view(4, 64, 32) * s[None, :, None]).reshape(4, 2048) @ y
    torch.testing.assert_close(block_scaled(x, y, s), want, atol=1e-3, rtol=1e-3)
    length = torch.tensor([1500])
    torch.testing.assert_close(prefix_product(x, y, length), x[:, :1500] @ y[:1500], atol=1e-3, rtol=1e-3)
    xh, yh = (torch.randn(16, 1024) / 8).half(), (torch.randn(1024, 64) / 8).half()
    torch.testing.assert_close(half_acc(xh, yh).float(), xh.float() @ yh.float(), atol=3e-2, rtol=3e-2)
    for fn, args in ((block_scaled, (x, y, s)), (prefix_product, (x, y, length)), (half_acc, (xh, yh))):
        assert not any(n.endswith("_splitk") for n in _kernels_after_split(fn.fn, *args))
