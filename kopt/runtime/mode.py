"""Picking Triton's mode: the GPU, or the CPU interpreter for CPU tensors.

The interpreter is chosen once per process, by TRITON_INTERPRET=1 being set
before triton is first imported (set after it, a kernel using tl.sum or tl.max fails
with "Cannot call @triton.jit'd outside of the scope of a kernel"). kopt sets it
when the first kernel runs on CPU tensors and triton is not imported yet.
"""

from __future__ import annotations

import os
import sys

from kopt.errors import KoptError


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def prepare(device_type: str) -> None:
    """Make sure Triton can run kernels on tensors of this device type."""
    if device_type == "cpu":
        if "triton" not in sys.modules:
            os.environ.setdefault("TRITON_INTERPRET", "1")
        if not interpreting():
            raise KoptError("CPU tensors run through the Triton interpreter, which must be chosen before triton "
                            "is imported", notes=["set TRITON_INTERPRET=1 in the environment, or pass CUDA tensors"])
    elif device_type == "cuda":
        if interpreting():
            raise KoptError("CUDA tensors were passed while the Triton interpreter is on (TRITON_INTERPRET=1)",
                            notes=["unset TRITON_INTERPRET to run on the GPU, or pass CPU tensors"])
    else:
        raise KoptError(f"kopt runs kernels on CUDA or CPU tensors, not on {device_type!r}")
