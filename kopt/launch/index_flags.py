"""KOPT_CHECK_INDICES's flag buffer, in the generated launchers (kopt/passes/bounds_checks.py).

A kernel compiled with the mode writes, on any lane whose index read from a tensor lies outside its dim,
that check's number into a one-element int32 buffer (`tl.atomic_max`) and masks the access off. The
launcher allocates the buffer before the launch and reads it after: a recorded check becomes the
located KoptError of the access. Not `tl.device_assert`: that needs TRITON_DEBUG and leaves the CUDA
context unusable after it fires; this keeps the process alive and says where.
"""

from __future__ import annotations

import torch

from kopt.errors import KoptError, SourceLoc


def new_flags(like: torch.Tensor) -> torch.Tensor:
    return torch.zeros(1, dtype=torch.int32, device=like.device)


def raise_on_flag(flags: torch.Tensor, checks: list[tuple]) -> None:
    """`checks[k - 1]` = (tensor name, subscript position, dim, file, line, col) of check number k."""
    hit = int(flags.item())  # synchronises with the launch: the price of the mode
    if hit == 0:
        return
    tensor, position, dim, *where = checks[hit - 1]
    loc = SourceLoc(where[0], int(where[1]), int(where[2])) if where else None
    raise KoptError(f"an index read from a tensor is outside dim {position} of `{tensor}` (size `{dim}`)", loc,
                    notes=["KOPT_CHECK_INDICES=1 found it: the kernel masked that access off, and torch would raise an "
                           "IndexError; check the values of the index tensor"])
