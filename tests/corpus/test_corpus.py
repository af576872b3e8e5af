"""Every corpus kernel against torch on the CPU: size 1, awkward sizes, every CPU dtype, a strided layout."""

from __future__ import annotations

import sys

import pytest

from tests.corpus.cases import CASES
from tests.corpus.check import example_path, kernel_of, run_case

AWKWARD = (37, 97, 13, 65, 5, 129)  # primes and 2^k + 1, cycled over a case's sizes


def sizes_for(case, variant: str) -> dict:
    out = {}
    for i, name in enumerate(case.sizes):
        if name in case.choices:
            out[name] = case.choices[name][0 if variant == "ones" else -1]
        else:
            value = 1 if variant == "ones" else AWKWARD[i % len(AWKWARD)]
            out[name] = min(value, case.caps.get(name, 1100))
    return out


PARAMS = [pytest.param(c, v, dt, id=f"{c.name}-{v}-{str(dt).removeprefix('torch.')}")
          for c in CASES for v in ("ones", "awkward") for dt in c.cpu_dtypes]


@pytest.mark.parametrize("case,variant,dtype", PARAMS)
def test_matches_torch(case, variant, dtype):
    if not example_path(case).exists():
        pytest.skip(f"examples/{case.module}.py is not written yet")
    layout = "contiguous" if variant == "ones" else "transposed"
    problem = run_case(case, sizes_for(case, variant), dtype, layout, seed=1)
    assert problem is None, problem


def test_corpus_is_large_enough():
    """The issue's bar: at least 20 kernels, each in its own example file."""
    present = [c for c in CASES if example_path(c).exists()]
    assert len(present) >= 20, [c.name for c in present]


# The examples this corpus added (the others' families run their own scripts in their tests).
SCRIPTS = ("exp", "relu", "silu", "gelu", "swiglu", "geglu", "residual_add", "polyval", "transpose", "concat_dim0",
           "concat_dim1", "embedding", "jagged_sum", "histogram", "attention", "causal_attention", "jagged_mean",
           "jagged_softmax", "jagged_layer_norm", "jagged_dense_add", "segment_reduction", "grouped_gemm", "moe_matmul",
           "rope", "cumsum", "matmul_epilogue", "concat_slices", "layer_norm_optional", "kl_div", "fp8_gemm")


@pytest.mark.parametrize("module", SCRIPTS)
def test_example_runs_as_a_script(module, capsys):
    """`python examples/<module>.py` checks itself against torch and says so."""
    case = next(c for c in CASES if c.module == module)
    kernel_of(case)  # imports the example
    sys.modules[f"kopt_example_{module}"].main()
    assert "matches" in capsys.readouterr().out
