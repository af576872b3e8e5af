"""Helpers of the reduction tests: an example kernel recompiled under each reduction mode."""

from __future__ import annotations

import kopt
from tests.helpers import load_example

MODES = ("auto", "persistent", "looped", "online", "chunked")


def config(mode: str, block: int | None = None) -> kopt.Config | None:
    if mode == "auto":
        return kopt.Config(reduction_block=block) if block else None
    return kopt.Config(reduction=mode, reduction_block=block)


_KERNELS: dict[tuple, kopt.Kernel] = {}


def kernel(example: str, mode: str, block: int | None = None, name: str | None = None) -> kopt.Kernel:
    """examples/<example>.py's kernel (`name`, default the file's name) compiled with `mode`."""
    key = (example, mode, block, name)
    if key not in _KERNELS:
        fn = getattr(load_example(example), name or example)
        _KERNELS[key] = kopt.kernel(fn.fn, config=config(mode, block))
    return _KERNELS[key]
