"""kopt's own implementations for ``kopt bench``: the example kernels, compiled by kopt.

Each factory receives the kernel's input tuple (see ``kopt.tools.bench.specs``) and
returns a zero-argument callable; compilation happens on its first call, which the
harness counts as first-call time. A kernel kopt has no example for is ``Unavailable``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Callable

from kopt.tools.bench.peers import Unavailable

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
# bench kernel -> (example file, function)
_KERNELS = {
    "softmax": ("softmax", "softmax"),
    "layer_norm": ("layer_norm", "layer_norm"),
    "rms_norm": ("rms_norm", "rms_norm"),
    "cross_entropy": ("cross_entropy", "cross_entropy"),
    "matmul": ("matmul", "matmul"),
    "attention": ("attention", "attention"),
    "causal_attention": ("causal_attention", "causal_attention"),
}


def _example(file: str):
    key = f"kopt_bench_example_{file}"
    if key not in sys.modules:
        path = EXAMPLES / f"{file}.py"
        if not path.exists():
            raise Unavailable(f"no kopt example {path.name} yet")
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def kopt_impls(kernel: str, pipeline: str | None = None, label: str = "kopt") -> dict[str, Callable]:
    """kopt implementations of ``kernel`` (name -> factory): the example as written, or (``pipeline``) its function
    compiled with that pipeline, named ``label``."""
    if kernel not in _KERNELS:
        return {}
    file, fn_name = _KERNELS[kernel]

    def factory(inputs):
        fn = getattr(_example(file), fn_name, None)
        if fn is None:
            raise Unavailable(f"examples/{file}.py has no {fn_name}()")
        if pipeline is not None:
            import kopt

            fn = kopt.kernel(fn.fn, pipeline=pipeline)
        return lambda: fn(*inputs)

    return {label: factory}
