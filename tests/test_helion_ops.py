"""The Helion ops this round added, beyond matching torch (tests/corpus covers that): random numbers' distribution,
reproducibility and independence from block sizes; function arguments' cache keys; scans in low precision."""

from __future__ import annotations

import math

import pytest
import torch

import kopt
from kopt.errors import KoptError
from tests.helpers import load_example


def test_hl_rand_is_uniform_reproducible_and_block_size_independent():
    dropout = load_example("dropout").dropout
    x = torch.ones(257, 129)
    y = dropout(x, 0.3, 7)
    kept = (y != 0).float().mean().item()
    sigma = math.sqrt(0.3 * 0.7 / x.numel())
    assert abs(kept - 0.7) < 5 * sigma, kept  # a binomial count, five standard deviations
    assert torch.equal(y, dropout(x, 0.3, 7)) and not torch.equal(y, dropout(x, 0.3, 8))
    small_blocks = kopt.kernel(dropout.fn, config=kopt.Config(block_sizes=[16, 32]))
    assert torch.equal(small_blocks(x, 0.3, 7), y)
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.7))


def test_rand_like_draws_a_fresh_seed_per_call_from_torchs_generator():
    import kopt.language as hl

    @kopt.kernel
    def noise(x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        out = torch.empty_like(x)
        for t in hl.tile(n):
            out[t] = torch.rand_like(x[t])
        return out

    z = torch.zeros(20000)
    a, b = noise(z), noise(z)
    assert not torch.equal(a, b) and 0 <= a.min() and a.max() < 1 and abs(a.mean().item() - 0.5) < 0.01
    torch.manual_seed(3)
    c = noise(z)
    torch.manual_seed(3)
    assert torch.equal(c, noise(z))


def test_an_epilogue_is_keyed_by_its_code_not_its_identity():
    mm = load_example("matmul_epilogue").matmul_epilogue
    mm.cache_clear()
    x, y = torch.randn(17, 9), torch.randn(9, 11)
    for scale in (0.5, 0.5):
        torch.testing.assert_close(mm(x, y, lambda acc, tile: acc * 2.0), x @ y * 2, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(mm(x, y, lambda acc, tile: acc * 3.0), x @ y * 3, atol=1e-4, rtol=1e-4)
    info = mm.cache_info()
    assert info.misses + info.disk_hits == 2, info  # *2.0 (twice, two lambda objects) and *3.0


def test_an_epilogue_closing_over_something_else_is_a_located_error():
    mm = load_example("matmul_epilogue").matmul_epilogue
    table = {"k": 1}
    with pytest.raises(KoptError, match="closes over `table`, a dict") as e:
        mm(torch.randn(4, 4), torch.randn(4, 4), lambda acc, tile: acc * table["k"])
    assert e.value.loc is not None  # at the `epilogue` parameter


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32])
def test_cumsum_accumulates_as_torch_does(dtype):
    cumsum = load_example("cumsum").cumsum
    x = (torch.randn(5, 300) * 10).to(dtype)
    want = torch.cumsum(x.double() if dtype.is_floating_point else x.long(), 1).to(dtype)
    tol = dict(atol=0.1, rtol=1e-2) if dtype == torch.float16 else dict(atol=0, rtol=0)
    torch.testing.assert_close(cumsum(x), want, **tol)


def test_hl_randint_is_uniform_in_range_reproducible_and_block_size_independent():
    import kopt.language as hl

    def draw(x: torch.Tensor, seed: int) -> torch.Tensor:
        out = torch.zeros(x.shape, dtype=torch.int32, device=x.device)
        for tm, tn in hl.tile(x.shape):
            out[tm, tn] = hl.randint([tm, tn], -3, 7, seed)
        return out

    k = kopt.kernel(draw)
    x = torch.zeros(131, 257)
    r = k(x, 11)
    assert r.dtype == torch.int32 and int(r.min()) == -3 and int(r.max()) == 6
    counts = torch.bincount((r + 3).flatten(), minlength=10).double()
    expected = x.numel() / 10
    chi2 = (((counts - expected) ** 2) / expected).sum().item()
    assert chi2 < 40, chi2  # 9 degrees of freedom: 40 is far in the tail (p < 1e-5)
    assert torch.equal(r, k(x, 11)) and not torch.equal(r, k(x, 12))
    assert torch.equal(kopt.kernel(draw, config=kopt.Config(block_sizes=[8, 64]))(x, 11), r)


@pytest.mark.parametrize("low,high", [(5, 5), (2**31, 2**31 + 2)])
def test_hl_randint_bounds_are_checked(tmp_path, low, high):
    from tests.shapes.util import import_file, kernel_file

    path = kernel_file(tmp_path, "bad_randint", f"""@kopt.kernel
def bad(x):
    out = torch.zeros(x.shape, dtype=torch.int32, device=x.device)
    for t in hl.tile(x.size(0)):
        out[t] = hl.randint([t], {low}, {high}, 1)
    return out
""")
    with pytest.raises(KoptError) as info:
        import_file(path).bad(torch.zeros(4))
    line = path.read_text().splitlines().index(f"        out[t] = hl.randint([t], {low}, {high}, 1)") + 1
    assert info.value.loc is not None and info.value.loc.line == line, info.value.format()
    assert "low < high" in info.value.message


@pytest.mark.parametrize("n", [1, 13, 1000])
def test_atomic_max_min_against_scatter_reduce(n):
    import kopt.language as hl

    def seg_extremes(x: torch.Tensor, ids: torch.Tensor, groups: int) -> torch.Tensor:
        out = torch.empty([groups, 2], dtype=x.dtype, device=x.device)
        out[:, 0] = float("-inf")
        out[:, 1] = float("inf")
        for t in hl.tile(x.size(0)):
            hl.atomic_max(out, [ids[t], 0], x[t])
            hl.atomic_min(out, [ids[t], 1], x[t])
        return out

    k = kopt.kernel(seg_extremes)
    x, ids = torch.randn(n), torch.randint(0, 7, (n,))
    got = k(x, ids, 7)
    want = torch.stack([torch.full([7], -torch.inf).scatter_reduce(0, ids, x, "amax"),
                        torch.full([7], torch.inf).scatter_reduce(0, ids, x, "amin")], 1)
    torch.testing.assert_close(got, want)


def test_bitwise_atomics_and_exchange():
    import functools
    import operator

    import kopt.language as hl

    def bits(v: torch.Tensor, ids: torch.Tensor, groups: int) -> torch.Tensor:
        out = torch.zeros([groups, 4], dtype=torch.int32, device=v.device)
        out[:, 2] = -1
        for t in hl.tile(v.size(0)):
            hl.atomic_or(out, [ids[t], 0], v[t])
            hl.atomic_xor(out, [ids[t], 1], v[t])
            hl.atomic_and(out, [ids[t], 2], v[t])
            hl.atomic_xchg(out, [ids[t], 3], v[t] * 0 + 7)
        return out

    v = torch.randint(0, 1 << 20, (509,), dtype=torch.int32)
    ids = torch.randint(0, 5, (509,))
    got = kopt.kernel(bits)(v, ids, 5)
    for g in range(5):
        members = v[ids == g].tolist()
        want = [functools.reduce(operator.or_, members, 0), functools.reduce(operator.xor, members, 0),
                functools.reduce(operator.and_, members, -1), 7 if members else 0]
        assert got[g].tolist() == want, (g, got[g].tolist(), want)


def test_bitwise_atomic_on_floats_is_a_located_error():
    import kopt.language as hl

    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(x)
        for t in hl.tile(x.size(0)):
            hl.atomic_or(out, [t], x[t])
        return out

    with pytest.raises(KoptError, match="integer tensor") as info:
        kopt.kernel(bad)(torch.randn(4))
    assert info.value.loc is not None


def test_register_block_size_values_in_device_code():
    import kopt.language as hl

    def mm(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        m, k = x.size()
        _, n = y.size()
        block_n = hl.register_block_size(n)
        out = torch.empty([m, n], dtype=x.dtype, device=x.device)
        for tile_m, tile_n in hl.tile([m, n], block_size=[None, block_n]):
            acc = hl.zeros([tile_m, block_n], dtype=torch.float32)
            bias = x.new_zeros([tile_m, block_n])
            for tile_k in hl.tile(k):
                acc = acc + x[tile_m, tile_k] @ y[tile_k, tile_n]
            out[tile_m, tile_n] = acc + bias
        return out

    for m, k, n in [(1, 1, 1), (33, 17, 29), (64, 31, 65)]:
        x, y = torch.randn(m, k), torch.randn(k, n)
        torch.testing.assert_close(kopt.kernel(mm)(x, y), x @ y, rtol=1e-4, atol=1e-4)
    src = kopt.kernel(mm, config=kopt.Config(block_sizes=[16, 32])).compile(x, y).triton_source
    base = src[src.index("def _mm_kernel("):src.index("\n\n\n", src.index("def _mm_kernel("))]  # (not its split-K pair)
    assert base.count("tl.full([_BLOCK_SIZE_0, _BLOCK_SIZE_1]") == 2


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int32])
def test_new_zeros_on_a_kernel_tensor_in_a_loop(dtype):
    import kopt.language as hl

    def shifted(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x.new_zeros([t]) + x.new_ones([t]) + x[t]
        return out

    x = torch.arange(37).to(dtype)
    got = kopt.kernel(shifted)(x)
    assert got.dtype == dtype
    torch.testing.assert_close(got, x + 1)


def test_atomic_max_on_a_half_tensor_is_a_located_error():
    import kopt.language as hl

    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros([1], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            hl.atomic_max(out, [t.index * 0], x[t])
        return out

    with pytest.raises(KoptError, match="not supported") as info:
        kopt.kernel(bad)(torch.randn(4).half())
    assert info.value.loc is not None and "fp32" in " ".join(info.value.notes)
