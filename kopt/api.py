"""kopt as a library: the stable surface for compilers that build tile IR themselves.

    from kopt import api
    module = ...                                  # tile IR built with xDSL builders (api.tile, api.types)
    result = api.compile_module(module)           # default pipeline -> Triton source
    softmax = api.load_kernel(result, "softmax")  # the generated host function, ready to launch

Nothing here imports torch or triton except `load_kernel`, which loads the
generated module (and that module imports both). What this module exports is
kopt's promise: names elsewhere may move between versions. docs/embedding.md
describes each item.
"""

from __future__ import annotations

import sys

from kopt.dialects import make_context, tile, tt, types
from kopt.dialects.dtypes import bf16, f16, f32, i1, i32, i64
from kopt.dialects.types import PointerType, RangeType, TensorType, TileType
from kopt.errors import KoptError, SourceLoc
from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
from kopt.passes.registry import available_passes, load_plugin, register_pass
from kopt.runtime.compiler import CompileResult, compile_module, verify_after


def parse_module(text: str, name: str = "<string>"):
    """Parse tile IR text (what `kopt --emit=tile` prints); errors are located KoptErrors."""
    from kopt.dialects.parse import parse_tile

    return parse_tile(text, name)


def verify(module) -> None:
    """Check a module you built; a KoptError names the first op that does not verify."""
    verify_after("builder", module)


def _choose_triton_mode(device: str | None) -> None:
    # Triton's interpreter must be picked before triton is first imported (kopt/runtime/mode.py says why).
    from kopt.runtime import mode

    if device is None:
        if "triton" in sys.modules:
            return
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    mode.prepare(device)


def load_kernel(result: CompileResult, host_function_name: str, *, device: str | None = None):
    """Write `result.triton_source` to kopt's cache directory, import it, and return the launcher.

    The launcher is the generated host function `host_function_name` (the `@sym`
    of your `tile.host_func`): call it with torch tensors. `device` ("cuda" or
    "cpu") picks Triton's GPU or interpreter mode if triton is not imported yet;
    by default, the GPU when there is one.
    """
    from kopt.runtime.kernel import _load_source

    if f"def {host_function_name}(" not in result.triton_source:
        raise KoptError(f"the compiled module has no host function {host_function_name!r}",
                        notes=["use the name of a tile.host_func in the module"])
    _choose_triton_mode(device)
    launcher, _path = _load_source(host_function_name, result.triton_source)
    return launcher


__all__ = [
    # dialects and types: build IR with these (xDSL builders)
    "tile", "tt", "types", "TensorType", "TileType", "RangeType", "PointerType",
    "f32", "f16", "bf16", "i1", "i32", "i64", "make_context",
    # passes
    "available_passes", "register_pass", "load_plugin", "Pipeline", "DEFAULT_PIPELINE",
    # compiling and running
    "compile_module", "CompileResult", "load_kernel", "parse_module", "verify",
    # errors
    "KoptError", "SourceLoc",
]
