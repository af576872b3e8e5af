"""Shape fuzzing of the example kernels against torch: random sizes (1, primes, 2^k±1, up to 1100),
random layouts (transposed, sliced, offset, expanded with stride 0), static and dynamic compiles,
with and without fixed block sizes. Zero mismatches allowed.

Static compiles state every size as a fact (`n == 37`) and fixed block sizes as facts
(`_BLOCK_SIZE_0 == 8`), so mask-elision removes whatever those prove: a wrong elision would
read or write out of bounds and show up here as a mismatch.

The CI run draws 40 examples; for the full run set KOPT_FUZZ_EXAMPLES (e.g. 600):
    KOPT_FUZZ_EXAMPLES=600 python -m pytest -q -s tests/shapes/test_fuzz_examples.py
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kopt
from tests.helpers import load_example
from tests.shapes.views import LAYOUTS_1D, LAYOUTS_2D, view_1d, view_2d

EXAMPLES = int(os.environ.get("KOPT_FUZZ_EXAMPLES", "40"))
FULL_RUN = "KOPT_FUZZ_EXAMPLES" in os.environ
AWKWARD = sorted({1, 2, 3, 5, 7, 11, 13, 31, 37, 97, 127, 251, 257, 509, 769, 1021}
                 | {2**k + d for k in range(1, 11) for d in (-1, 0, 1)})
MAX_ELEMENTS = 1 << 16  # the Triton interpreter is slow: keep one launch well under a second
MAX_PROGRAMS = 128


@dataclass(frozen=True)
class Example:
    module: str
    name: str
    ranks: tuple[int, ...]
    inputs: int
    reference: object

    def blocks(self, rank: int) -> int:
        """How many `_BLOCK_SIZE_k` a Config gives: one per grid dim (+ the chunk loop of long_sum)."""
        return rank if self.name == "add" else (2 if self.name == "long_sum" else 1)


KERNELS = {
    "softmax": Example("softmax", "softmax", (2,), 1, lambda x: torch.softmax(x, dim=1)),
    "softmax_decomposed": Example("softmax", "softmax_decomposed", (2,), 1, lambda x: torch.softmax(x, dim=1)),
    "row_sum": Example("row_sum", "row_sum", (2,), 1, lambda x: x.sum(-1)),
    "long_sum": Example("long_sum", "long_sum", (2,), 1, lambda x: x.sum(-1)),
    "add": Example("add", "add", (1, 2), 2, lambda x, y: x + y),
}


@dataclass(frozen=True)
class Case:
    kernel: str
    shape: tuple[int, ...]
    layouts: tuple[str, ...]
    static: bool
    block_sizes: tuple[int, ...] | None
    seed: int


def _npow2(v: int) -> int:
    return 1 << (v - 1).bit_length()


def _fit_blocks(ex: Example, shape: tuple[int, ...], wanted: list[int]) -> tuple[int, ...]:
    """Clamp drawn block sizes so one launch stays small: at most MAX_PROGRAMS programs, tiles of
    at most 16384 elements (the row kernels hold next_power_of_2(m) lanes per row)."""
    if ex.name == "add":
        out = [max(b, _npow2(-(-s // MAX_PROGRAMS))) for b, s in zip(wanted, shape)]
        while len(out) == 2 and out[0] * out[1] > 16384:
            out[0 if out[0] >= out[1] else 1] //= 2
        return tuple(out)
    rows, cols = shape
    row_block = max(wanted[0], _npow2(-(-rows // MAX_PROGRAMS)))
    lanes = wanted[1] if ex.name == "long_sum" else _npow2(cols)
    row_block = min(row_block, max(1, 16384 // lanes))
    return (row_block, wanted[1]) if ex.name == "long_sum" else (row_block,)


@st.composite
def cases(draw) -> Case:
    name = draw(st.sampled_from(sorted(KERNELS)))
    ex = KERNELS[name]
    rank = draw(st.sampled_from(ex.ranks))
    size = st.one_of(st.sampled_from(AWKWARD), st.integers(1, 1100))
    shape = tuple(draw(size) for _ in range(rank))
    if rank == 2 and shape[0] * shape[1] > MAX_ELEMENTS:
        shape = (max(1, MAX_ELEMENTS // shape[1]), shape[1])
    layouts = tuple(draw(st.sampled_from(LAYOUTS_2D if rank == 2 else LAYOUTS_1D)) for _ in range(ex.inputs))
    blocks = None
    if draw(st.booleans()):
        wanted = [draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128])) for _ in range(ex.blocks(rank))]
        blocks = _fit_blocks(ex, shape, wanted)
    return Case(name, shape, layouts, draw(st.booleans()), blocks, draw(st.integers(0, 2**31 - 1)))


_KERNEL_OBJECTS: dict[tuple, kopt.Kernel] = {}


def kernel_for(case: Case):
    """The example itself for plain dynamic calls (one compile for every size), else a kernel
    object per (static, block sizes), kept for the whole run so dynamic ones compile once."""
    ex = KERNELS[case.kernel]
    fn = getattr(load_example(ex.module), ex.name)
    if not case.static and case.block_sizes is None:
        return fn
    key = (case.kernel, case.static, case.block_sizes)
    if key not in _KERNEL_OBJECTS:
        options = {"static_shapes": case.static}
        if case.block_sizes is not None:
            options["config"] = kopt.Config(block_sizes=list(case.block_sizes))
        _KERNEL_OBJECTS[key] = kopt.kernel(**options)(fn.fn)
    return _KERNEL_OBJECTS[key]


def inputs(case: Case) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(case.seed)
    if len(case.shape) == 2:
        return [view_2d(*case.shape, layout, gen) for layout in case.layouts]
    return [view_1d(case.shape[0], layout, gen) for layout in case.layouts]


def masks_in(source: str) -> int:
    return len(re.findall(r"\bmask_\d+ = ", source))


def check(case: Case, stats: Counter) -> None:
    fn = kernel_for(case)
    args = inputs(case)
    want = KERNELS[case.kernel].reference(*args)
    got = fn(*args)
    terms = case.shape[-1]
    tol = dict(atol=1e-5 + 1e-4 * terms / 256, rtol=1e-4)
    torch.testing.assert_close(got, want, **tol, msg=lambda s: f"{case}: {s}")
    mode = "static" if case.static else "dynamic"
    stats[(case.kernel, mode)] += 1
    if case.static:  # count the examples that ran with some mask elided
        dynamic_masks = masks_in(dynamic_source(case, args))
        if masks_in(fn.compile(*args).triton_source) < dynamic_masks:
            stats[("elided", mode)] += 1


def dynamic_source(case: Case, args) -> str:
    """The example's one dynamic compile, as the baseline of mask counts."""
    ex = KERNELS[case.kernel]
    return getattr(load_example(ex.module), ex.name).compile(*args).triton_source


def test_fuzz_examples_against_torch():
    stats: Counter = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not FULL_RUN,
              suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def run(case: Case) -> None:
        check(case, stats)

    run()
    ran = sum(v for k, v in stats.items() if k[0] != "elided")
    print(f"\nfuzz: {ran} examples, 0 mismatches; static examples with elided masks: "
          f"{stats[('elided', 'static')]}; by kernel and mode: "
          + ", ".join(f"{k}/{m}={v}" for (k, m), v in sorted(stats.items()) if k != "elided"))
    assert ran >= EXAMPLES * 0.9  # hypothesis may stop a little early once it has seen enough
