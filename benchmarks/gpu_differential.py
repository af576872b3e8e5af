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

from tests.differential.test_ops import (  # noqa: E402
    BINARY, FLOATS, REDUCTIONS, UNARY, _binary_src, _compare, _name, _reduction_src, _torch_unary, _unary_src)
from tests.shapes.util import import_file, kernel_file  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
DENORMAL = {"f32": 1e-40, "f16": 1e-6, "bf16": 1e-39}  # below each type's smallest normal


def values(dtype: str) -> torch.Tensor:
    d = DENORMAL[dtype]
    return torch.tensor(FLOATS + [d, -d, 3 * d, 0.0], device="cuda").to(DTYPES[dtype])  # 16 values


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
        cases_here = [(op, lambda op=op: getattr(k, f"u_{_name(op)}")(x), lambda op=op: _torch_unary(op)(x))
                      for op in UNARY]
        cases_here += [(op, lambda op=op: getattr(k, f"b_{_name(op)}")(x, y),
                        (lambda op=op: _torch_unary(op)(x, y)) if op.startswith("torch.") else
                        (lambda op=op: eval(f"x {op} y", {"x": x, "y": y})))  # noqa: S307 - the op table
                       for op in BINARY]
        cases_here += [(op, lambda op=op: getattr(k, f"r_{op}")(rows),
                        (lambda op=op: getattr(torch, op)(rows, -1)) if op in ("logsumexp", "softmax", "log_softmax")
                        else (lambda op=op: getattr(rows, op)(-1)))
                       for op in REDUCTIONS]
        for op, kernel_call, torch_call in cases_here:
            cases += 1
            problem = _compare(op, dtype, kernel_call, torch_call)
            if problem:
                mismatches += 1
                print(f"MISMATCH {op:<28} {dtype:<5} {problem}")
    print(f"summary: {cases} cases, {mismatches} mismatches (f32/f16/bf16 with NaN, ±inf, ±0, denormals)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
