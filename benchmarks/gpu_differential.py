"""The differential op test (tests/differential/test_ops.py) on a GPU: every supported elementwise op, binary op
and reduction over {f32, f16, bf16}, with NaN, ±inf, ±0 and denormals, against torch eager on the same device.
The CPU test covers the integers and bool; bf16 and denormals are only meaningful here (the interpreter's bf16
arithmetic is not the device's, and its denormals are numpy's).

    python benchmarks/gpu_differential.py            # prints one line per mismatch and a summary; exit 1 on any
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from kopt.errors import KoptError  # noqa: E402
from tests.differential.test_ops import (  # noqa: E402
    BINARY, FLOATS, REDUCTIONS, UNARY, _binary_src, _name, _reduction_src, _torch_unary, _unary_src)
from tests.shapes.util import import_file, kernel_file  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
DENORMAL = {"f32": 1e-40, "f16": 1e-6, "bf16": 1e-39}  # below each type's smallest normal
TOL = {torch.float32: 2e-6, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}  # the rounding of torch's result


def values(dtype: str) -> torch.Tensor:
    d = DENORMAL[dtype]
    return torch.tensor(FLOATS + [d, -d, 3 * d, 0.0], device="cuda").to(DTYPES[dtype])  # 16 values


def compare(got: torch.Tensor | None, err: Exception | None, want_fn, dt) -> str | None:
    try:
        want = want_fn()
    except (RuntimeError, TypeError) as e:
        return None if err is not None else f"torch raises ({str(e).splitlines()[0][:60]}), kopt gives a value"
    if err is not None:
        return f"kopt raised, torch gives a value: {str(err).splitlines()[0][:100]}"
    tol = TOL.get(want.dtype, 1e-9)
    want = want.to(torch.float64)
    close = torch.isclose(got, want, rtol=tol, atol=tol, equal_nan=True) | (torch.isinf(got) & (got == want))
    if bool(close.all()):
        return None
    bad = (~close).nonzero().flatten().tolist()[:3]
    return f"at {bad}: kopt {[got[i].item() for i in bad]}, torch {[want[i].item() for i in bad]}"


def run(fn, *args):
    try:
        return fn(*args), None
    except KoptError as e:
        return None, e


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu_differential: no CUDA device")
        return 1
    src = "".join(_unary_src(o) for o in UNARY) + "".join(_binary_src(o) for o in BINARY) \
        + "".join(_reduction_src(o) for o in REDUCTIONS)
    k = import_file(kernel_file(Path(tempfile.mkdtemp()), "ops_gpu", src))
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    cases = mismatches = 0
    for dtype, dt in DTYPES.items():
        x = values(dtype)
        y = x.flip(0)
        rows = torch.cat([x.reshape(4, 4), y.reshape(4, 4)])
        for op in UNARY:
            cases += 1
            got, err = run(getattr(k, f"u_{_name(op)}"), x)
            problem = compare(got, err, lambda: _torch_unary(op)(x), dt)
            if problem:
                mismatches += 1
                print(f"MISMATCH {op:<28} {dtype:<5} {problem}")
        for op in BINARY:
            cases += 1
            got, err = run(getattr(k, f"b_{_name(op)}"), x, y)
            ref = (lambda: _torch_unary(op)(x, y)) if op.startswith("torch.") else \
                (lambda: eval(f"x {op} y", {"x": x, "y": y}))  # noqa: S307 - the op table above
            problem = compare(got, err, ref, dt)
            if problem:
                mismatches += 1
                print(f"MISMATCH {op:<28} {dtype:<5} {problem}")
        for op in REDUCTIONS:
            cases += 1
            got, err = run(getattr(k, f"r_{op}"), rows)
            ref = (lambda: getattr(torch, op)(rows, -1)) if op in ("logsumexp", "softmax", "log_softmax") else \
                (lambda: getattr(rows, op)(-1))
            problem = compare(got, err, ref, dt)
            if problem:
                mismatches += 1
                print(f"MISMATCH {op:<28} {dtype:<5} {problem}")
    print(f"summary: {cases} cases, {mismatches} mismatches (f32/f16/bf16 with NaN, ±inf, ±0, denormals)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
