"""hl.reduce and hl.associative_scan with a user's combine function (`tile.reduce_fn` / `tile.scan_fn`): against
torch on awkward shapes (1, primes, 2^k +- 1) and non-contiguous inputs; combine functions as lambdas, module
`def`s, defs in the kernel's host code, function arguments and torch functions; tuple inputs (an argmax of
(value, index) pairs, both parameter forms); keep_dims and dim=None; f16 and int inputs; reverse scans over
partial blocks; the persistent lowering a looped reduction mode keeps; located errors in the combine function."""

from __future__ import annotations

import inspect

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.errors import KoptError
from kopt.frontend.source import from_function

SHAPES = [(1, 1), (5, 13), (3, 17), (7, 64), (2, 65), (9, 127), (4, 1000)]


def _lay(x: torch.Tensor, transposed: bool) -> torch.Tensor:
    return x.t().contiguous().t() if transposed else x


def add_combine(a, b):
    return a + b


def max_combine(a, b):
    """A max written with torch.where (a NaN-free input here)."""
    bigger = a > b
    return torch.where(bigger, a, b)


def argmax_pairs(left, right):
    lv, li = left
    rv, ri = right
    take = (lv > rv) | ((lv == rv) & (li < ri))
    return torch.where(take, lv, rv), torch.where(take, li, ri)


def argmax_unpacked(av, ai, bv, bi):
    take = (av > bv) | ((av == bv) & (ai < bi))
    return torch.where(take, av, bv), torch.where(take, ai, bi)


def sum_and_max(left, right):
    return left[0] + right[0], torch.maximum(left[1], right[1])


@kopt.kernel
def sum_lambda(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = hl.reduce(lambda a, b: a + b, x[tm, :], dim=1)
    return out


@kopt.kernel
def sum_def_keep(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m, 1], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm, :] = hl.reduce(add_combine, x[tm, :], dim=1, keep_dims=True)
    return out


@kopt.kernel
def max_lambda(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = hl.reduce(lambda a, b: torch.maximum(a, b), x[tm, :], 1, float("-inf"))
    return out


@kopt.kernel
def max_def_columns(x: torch.Tensor) -> torch.Tensor:
    """A max down each column: the reduced dim is the whole dim 0, the tile loop runs over columns."""
    m, n = x.size()
    out = torch.empty([n], dtype=x.dtype, device=x.device)
    for tn in hl.tile(n):
        out[tn] = hl.reduce(max_combine, x[:, tn], dim=0, other=float("-inf"))
    return out


@kopt.kernel
def max_torch_fn_tiles(x: torch.Tensor) -> torch.Tensor:
    """torch.maximum as the combine function, over a 2-D tile loop's partial blocks (masked lanes take -inf)."""
    m, n = x.size()
    out = torch.full([m], float("-inf"), dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        best = hl.full([tm], float("-inf"), dtype=x.dtype)
        for tn in hl.tile(n):
            best = torch.maximum(best, hl.reduce(torch.maximum, x[tm, tn], dim=1, other=float("-inf")))
        out[tm] = best
    return out


@kopt.kernel
def total_all_dims(x: torch.Tensor) -> torch.Tensor:
    """dim=None: every dim of a [m, n] slab folds, one per grid index."""
    b, m, n = x.size()
    out = torch.empty([b], dtype=x.dtype, device=x.device)
    for i in hl.grid(b):
        out[i] = hl.reduce(add_combine, x[i, :, :])
    return out


@kopt.kernel
def argmax_whole_rows(x: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """A tuple reduce of (value, index) over a whole row; the row of indices broadcasts to the values."""
    m, n = x.size()
    out = torch.empty([m], dtype=torch.int64, device=x.device)
    for tm in hl.tile(m):
        _, index = hl.reduce(argmax_pairs, (x[tm, :], cols[:]), dim=1, other=(float("-inf"), 0))
        out[tm] = index
    return out


@kopt.kernel
def argmax_unpacked_rows(x: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=torch.int64, device=x.device)
    for tm in hl.tile(m):
        pair = hl.reduce(argmax_unpacked, (x[tm, :], cols[:]), dim=1, other=(float("-inf"), 0))
        out[tm] = pair[1]
    return out


@kopt.kernel
def cumsum_scan(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = hl.associative_scan(add_combine, x[tm, :], dim=1)
    return out


@kopt.kernel
def cumsum_reverse_scan(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = hl.associative_scan(lambda a, b: a + b, x[tm, :], dim=1, reverse=True)
    return out


@kopt.kernel
def cummax_scan(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = hl.associative_scan(torch.maximum, x[tm, :], 1)
    return out


@kopt.kernel
def cummax_reverse_scan(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = hl.associative_scan(max_combine, x[tm, :], 1, True)
    return out


@kopt.kernel
def column_cumsum_reverse(x: torch.Tensor) -> torch.Tensor:
    """A reverse scan down the whole dim 0 (the partial block is along the scanned dim, not the last one)."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tn in hl.tile(n):
        out[:, tn] = hl.associative_scan(add_combine, x[:, tn], dim=0, reverse=True)
    return out


@kopt.kernel
def tuple_scan(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    m, n = x.size()
    s = torch.empty_like(x)
    mx = torch.empty_like(y)
    for tm in hl.tile(m):
        a, b = hl.associative_scan(sum_and_max, (x[tm, :], y[tm, :]), dim=1, reverse=True)
        s[tm, :] = a
        mx[tm, :] = b
    return s, mx


@kopt.kernel
def with_host_def(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)

    def smaller(a, b):
        return torch.minimum(a, b)

    for tm in hl.tile(m):
        out[tm] = hl.reduce(smaller, x[tm, :], dim=1, other=float("inf"))
    return out


@kopt.kernel
def with_function_argument(x: torch.Tensor, combine) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = hl.associative_scan(combine, x[tm, :], dim=1)
    return out


def _rev(f, x):
    return torch.flip(f(torch.flip(x, [1])), [1])


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{m}x{n}" for m, n in SHAPES])
def test_reduce_sum_and_max(shape, transposed):
    x = _lay(torch.randn(*shape), transposed)
    torch.testing.assert_close(sum_lambda(x), x.sum(1), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(sum_def_keep(x), x.sum(1, keepdim=True), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(max_lambda(-x.abs() - 1), (-x.abs() - 1).amax(1))  # all negative: 0 would win
    torch.testing.assert_close(max_def_columns(x), x.amax(0))
    torch.testing.assert_close(max_torch_fn_tiles(x - 5.0), (x - 5.0).amax(1))


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5, 13), (2, 17, 33)], ids=["1x1x1", "3x5x13", "2x17x33"])
def test_reduce_every_dim(shape):
    x = torch.randn(*shape)
    torch.testing.assert_close(total_all_dims(x), x.sum((1, 2)), atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{m}x{n}" for m, n in SHAPES])
def test_argmax_as_a_tuple_reduce(shape):
    x = _lay(torch.randn(*shape), True)
    x[:, shape[1] // 2] = x[:, 0]  # ties: the first index wins, as in torch
    cols = torch.arange(shape[1])
    torch.testing.assert_close(argmax_whole_rows(x, cols), x.argmax(1))
    torch.testing.assert_close(argmax_unpacked_rows(x, cols), x.argmax(1))


def test_argmax_example_chunk_by_chunk():
    from tests.helpers import load_example

    example = load_example("reduce_scan")
    for m, n in [(1, 1), (5, 13), (3, 65), (2, 257)]:
        x = torch.randn(m, n)
        torch.testing.assert_close(example.row_argmax_combine(x), x.argmax(1))
        torch.testing.assert_close(example.suffix_max(x), _rev(lambda t: torch.cummax(t, 1).values, x))


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{m}x{n}" for m, n in SHAPES])
def test_scans_forward_and_reverse(shape, transposed):
    x = _lay(torch.randn(*shape), transposed)
    torch.testing.assert_close(cumsum_scan(x), torch.cumsum(x, 1), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(cumsum_reverse_scan(x), _rev(lambda t: torch.cumsum(t, 1), x), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(cummax_scan(x), torch.cummax(x, 1).values)
    # all negative: a padding lane's 0 would win a reverse max if it took part
    neg = -x.abs() - 1
    torch.testing.assert_close(cummax_reverse_scan(neg), _rev(lambda t: torch.cummax(t, 1).values, neg))
    torch.testing.assert_close(column_cumsum_reverse(x), torch.flip(torch.cumsum(torch.flip(x, [0]), 0), [0]),
                               atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("shape", [(1, 1), (3, 17), (4, 65)], ids=["1x1", "3x17", "4x65"])
def test_tuple_scan_reverse(shape):
    x, y = torch.randn(*shape), -torch.rand(*shape) - 1
    s, mx = tuple_scan(x, y)
    torch.testing.assert_close(s, _rev(lambda t: torch.cumsum(t, 1), x), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(mx, _rev(lambda t: torch.cummax(t, 1).values, y))


def test_half_and_integer_inputs():
    x = torch.randn(5, 37).to(torch.float16)
    got = max_lambda(x)
    assert got.dtype == torch.float16
    torch.testing.assert_close(got, x.amax(1))
    torch.testing.assert_close(sum_lambda(x), x.float().sum(1).half(), atol=2e-2, rtol=1e-2)  # f16 partial sums
    torch.testing.assert_close(cummax_reverse_scan(x), _rev(lambda t: torch.cummax(t, 1).values, x))
    torch.testing.assert_close(cumsum_scan(x), torch.cumsum(x.float(), 1).half(), atol=2e-2, rtol=1e-2)
    i = torch.randint(-50, 50, (4, 33), dtype=torch.int32)
    got = sum_lambda(i)
    assert got.dtype == torch.int32  # the combine keeps its input's dtype (Helion's and Triton's rule)
    torch.testing.assert_close(got, i.sum(1).to(torch.int32))
    torch.testing.assert_close(cummax_scan(i), torch.cummax(i, 1).values)


def test_combine_functions_from_host_code_and_arguments():
    x = torch.randn(6, 29)
    torch.testing.assert_close(with_host_def(x), x.amin(1))
    torch.testing.assert_close(with_function_argument(x, lambda a, b: a + b), torch.cumsum(x, 1), atol=1e-4,
                               rtol=1e-4)
    torch.testing.assert_close(with_function_argument(x, lambda a, b: torch.maximum(a, b)), torch.cummax(x, 1).values)


def test_a_looped_reduction_mode_keeps_the_combine_persistent():
    """A combine function cannot be split into chunks kopt knows how to merge: the row stays whole."""
    k = kopt.kernel(sum_lambda.fn, config=kopt.Config(reduction="looped"))
    x = torch.randn(3, 300)
    torch.testing.assert_close(k(x), x.sum(1), atol=1e-4, rtol=1e-5)
    source = k.lower(x).triton_source
    assert "tl.reduce(" in source and "tl.range(" not in source


def test_generated_triton():
    x = torch.randn(3, 20)
    source = cummax_reverse_scan.lower(x).triton_source
    assert "@triton.jit\ndef _kopt_combine_0(a, a_valid, b, b_valid):" in source
    assert "tl.associative_scan((" in source and "reverse=True)" in source
    source = argmax_unpacked_rows.lower(x, torch.arange(20)).triton_source
    assert "def _kopt_combine_0(av, ai, bv, bi):" in source
    assert "_, index = tl.reduce((" in source or ", _kopt_combine_0)" in source
    # Triton's tl.maximum of two bf16 scalars is fp32 on a GPU: the combine function rounds back to its input's type
    source = max_lambda.lower(x.to(torch.bfloat16)).triton_source
    assert "return v_0.to(tl.bfloat16)" in source


def test_an_edited_combine_function_is_a_new_cache_key():
    assert "def add_combine(a, b):" in from_function(sum_def_keep.fn).text


# ---------------------------------------------------------------- errors, located in the combine function


def looping_combine(a, b):
    out = a
    for _ in range(2):
        out = out + b
    return out


def unknown_call_combine(a, b):
    return max(a, b)


@kopt.kernel
def reduce_with_loop(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = hl.reduce(looping_combine, x[tm, :], dim=1)
    return out


@kopt.kernel
def reduce_with_unknown_call(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = hl.reduce(unknown_call_combine, x[tm, :], dim=1)
    return out


@kopt.kernel
def scan_with_three_parameters(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = hl.associative_scan(lambda a, b, c: a + b, x[tm, :], dim=1)
    return out


def _line_of(fn, text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("kernel,fn,text,message", [
    (reduce_with_loop, looping_combine, "for _ in", "a `for` loop is not supported in the combine function"),
    (reduce_with_unknown_call, unknown_call_combine, "return max", "call to `max` is not supported"),
    (scan_with_three_parameters, scan_with_three_parameters, "lambda a, b, c",
     "the combine function `<lambda>` takes 3 parameters"),
], ids=["loop", "unknown-call", "arity"])
def test_errors_are_located_in_the_combine_function(kernel, fn, text, message):
    with pytest.raises(KoptError) as e:
        kernel(torch.randn(3, 5))
    assert message in e.value.message
    assert e.value.loc.file == __file__ and e.value.loc.line == _line_of(fn, text), e.value
