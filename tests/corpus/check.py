"""Run one corpus case on given sizes, dtype and layout, and compare with torch (CPU tests, fuzzing, GPU sweep)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

from tests.corpus.cases import BY_NAME, Case

ROOT = Path(__file__).resolve().parents[2]


def example_path(case: Case) -> Path:
    return ROOT / "examples" / f"{case.module}.py"


def kernel_of(case: Case):
    """The `@kopt.kernel` object of a case (examples are scripts, imported once by path)."""
    key = f"kopt_example_{case.module}"
    module = sys.modules.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location(key, example_path(case))
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return getattr(module, case.name, None) or getattr(module, case.module)  # a variant case calls the module's


def call_arguments(case: Case, args: tuple) -> tuple[tuple, dict]:
    """The positional and keyword arguments the case passes to its kernel (its `call`, else the made ones)."""
    if case.call is None:
        return tuple(args), {}
    seen = []
    case.call(lambda *a, **kw: seen.append((a, kw)), *args)
    return seen[0]


def run_case(case: Case | str, sizes: dict, dtype: torch.dtype, layout: str = "contiguous", seed: int = 0,
             device: str = "cpu") -> str | None:
    """None when the kernel matches torch; else a one-line description of the mismatch."""
    case = BY_NAME[case] if isinstance(case, str) else case
    gen = torch.Generator().manual_seed(seed)
    args = case.make(sizes, dtype, layout, gen, device)
    want = case.expected(args)
    kernel = kernel_of(case)
    call_args, call_kwargs = call_arguments(case, args)
    got = case.out(args, kernel(*call_args, **call_kwargs))
    if tuple(got.shape) != tuple(want.shape):
        return f"{case.name}{sizes} {dtype} {layout}: shape {tuple(got.shape)}, torch gives {tuple(want.shape)}"
    try:
        torch.testing.assert_close(got, want.to(got.dtype), equal_nan=True,
                                   **case.tolerance(dtype, sizes, device))
    except AssertionError as e:
        detail = " ".join(line.strip() for line in str(e).splitlines() if line.strip())[:300]
        return f"{case.name}{sizes} {dtype} {layout} seed={seed}: {detail}"
    return None
