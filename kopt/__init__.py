"""kopt: a compiler for GPU kernels, written the MLIR way on xDSL, emitting Triton.

    import kopt
    import kopt.language as hl

    @kopt.kernel
    def softmax(x):
        n, _m = x.size()
        out = torch.empty_like(x)
        for tile_n in hl.tile(n):
            out[tile_n, :] = torch.softmax(x[tile_n, :], dim=1)
        return out

Importing kopt does not import torch or triton; the first kernel call does.
"""

from __future__ import annotations

from kopt._version import __version__
from kopt.errors import KoptError


def __getattr__(name: str):
    # Lazy: the CLI imports kopt to emit source and must not pay for torch/triton.
    if name in ("kernel", "Kernel"):
        from kopt.runtime import kernel as _k

        return getattr(_k, name)
    if name == "Config":
        from kopt.runtime.config import Config

        return Config
    if name in ("Pipeline", "register_pass"):
        from kopt import passes

        return getattr(passes, name)
    if name == "build_for_target":
        from kopt.runtime.target_build import build_for_target

        return build_for_target
    if name == "compile_module":
        from kopt.runtime.compiler import compile_module

        return compile_module
    raise AttributeError(f"module 'kopt' has no attribute {name!r}")


__all__ = ["KoptError", "kernel", "Kernel", "Config", "Pipeline", "register_pass", "compile_module", "build_for_target",
           "__version__"]
