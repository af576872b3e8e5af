"""Shape fuzzing of every corpus kernel on the CPU: sizes 1..1100 (primes, 2^k-1, 2^k, 2^k+1 favoured),
every CPU dtype (fp32, fp16, bf16 where the interpreter computes it right), contiguous, transposed,
sliced and offset inputs. Zero wrong results allowed.

One run's work is capped (the Triton interpreter is slow): the largest size is halved until the
case's work estimate fits, so big sizes still appear, next to small ones.

CI draws a few examples per kernel with a fixed seed; the full run draws more, at random:
    KOPT_FUZZ_EXAMPLES=100 python -m pytest -q tests/gauntlet/test_fuzz_corpus.py
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.corpus.cases import CASES, LAYOUTS
from tests.corpus.check import example_path, run_case

EXAMPLES = int(os.environ.get("KOPT_FUZZ_EXAMPLES", "3"))
FULL_RUN = "KOPT_FUZZ_EXAMPLES" in os.environ
MAX_WORK = 1 << 17
AWKWARD = sorted({1, 2, 3, 5, 7, 11, 13, 31, 37, 97, 127, 251, 257, 509, 769, 1021, 1031, 1091}
                 | {2**k + d for k in range(1, 11) for d in (-1, 0, 1)})


def _size(cap: int):
    return st.one_of(st.sampled_from([a for a in AWKWARD if a <= cap]), st.integers(1, cap))


@st.composite
def draws(draw, case):
    sizes = {n: draw(st.sampled_from(case.choices[n])) if n in case.choices else draw(_size(case.caps.get(n, 1100)))
             for n in case.sizes}
    free = [n for n in case.sizes if n not in case.choices]
    while case.work([sizes[n] for n in case.sizes]) > MAX_WORK and free:
        biggest = max(free, key=lambda n: sizes[n])
        if sizes[biggest] == 1:
            break
        sizes[biggest] = max(1, sizes[biggest] // 2)
    dtype = draw(st.sampled_from(case.cpu_dtypes))
    layout = draw(st.sampled_from(LAYOUTS))
    return sizes, dtype, layout, draw(st.integers(0, 2**31 - 1))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not FULL_RUN, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_fuzz_matches_torch(case, data):
    if not example_path(case).exists():
        pytest.skip(f"examples/{case.module}.py is not written yet")
    sizes, dtype, layout, seed = data.draw(draws(case))
    problem = run_case(case, sizes, dtype, layout, seed)
    assert problem is None, problem
