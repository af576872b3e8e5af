"""Every corpus kernel, for every dtype: the compile finishes within a bound, the IR verifies after
the frontend and after every pass, and prints and parses back to identical text after every pass."""

from __future__ import annotations

import pytest
import torch

from kopt.passes.pipeline import Pipeline
from kopt.dialects.parse import parse_tile
from tests.corpus.cases import CASES
from tests.corpus.check import call_arguments, example_path, kernel_of
from tests.gauntlet.bounded import bounded


def compile_verified(case, dtype):
    """Compile with the verifier after every pass and a print -> parse -> print check after each."""
    sizes = {n: case.choices[n][0] if n in case.choices else 3 for n in case.sizes}
    args = case.make(sizes, dtype, "contiguous", torch.Generator().manual_seed(0), "cpu")
    call_args, call_kwargs = call_arguments(case, args)
    passes_seen = []

    def round_trip(prev, module, nxt):
        if prev is None:
            return
        text = str(module)
        again = str(parse_tile(text, f"<{case.name} after {prev.name}>"))
        assert again == text, f"{case.name}: the IR after {prev.name} does not print back identically"
        passes_seen.append(prev.name)

    # the runtime's own argument key: defaults, None and function arguments, hl.specialize'd sizes
    result = kernel_of(case).lower(*call_args, verify=True, hook=round_trip, **call_kwargs)
    return result, passes_seen


PARAMS = [pytest.param(c, dt, id=f"{c.name}-{str(dt).removeprefix('torch.')}") for c in CASES for dt in c.dtypes]


@pytest.mark.parametrize("case,dtype", PARAMS)
def test_compile_is_bounded_and_verifies_after_every_pass(case, dtype):
    if not example_path(case).exists():
        pytest.skip(f"examples/{case.module}.py is not written yet")
    result, seen = bounded(compile_verified, case, dtype)
    assert "@triton.jit" in result.triton_source
    assert set(Pipeline.default().names()) <= set(seen), (seen, Pipeline.default().names())


def _surface():
    from tests.corpus import surface_kernels as K

    x, y = torch.randn(5, 7), torch.randn(5, 7)
    return [("views", K.views, (x,)), ("like_ops", K.like_ops, (x,)), ("unary_zoo", K.unary_zoo, (x,)),
            ("operators", K.operators, (x, y)), ("gather_2d", K.gather_2d, (x, torch.randint(0, 5, (3, 4)))),
            ("scatter_store", K.scatter_store, (torch.randn(9),)), ("tile_attrs", K.tile_attrs, (torch.randn(9),)),
            ("arange_rows", K.arange_rows, (torch.randn(4, 16),)), ("powers", K.powers, (x, y)),
            ("concat_equal_blocks", K.concat_equal_blocks, (x, y))]


@pytest.mark.parametrize("index", range(10), ids=[n for n, _, _ in _surface()])
def test_surface_kernels_verify_and_round_trip(index):
    """The ops the corpus does not use (reshape, broadcast_to, full_like, ...) print and parse back too."""
    _, kernel, args = _surface()[index]

    def round_trip(prev, module, nxt):
        if prev is not None:
            text = str(module)
            assert str(parse_tile(text, "<surface>")) == text, f"after {prev.name}"

    result = bounded(kernel.lower, *args, verify=True, hook=round_trip)
    assert "@triton.jit" in result.triton_source
