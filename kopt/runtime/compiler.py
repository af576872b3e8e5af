"""The compile driver: kernel source -> tile IR -> pass pipeline -> Triton source.

Imports neither torch nor triton, so the CLI and embedders can use it cheaply.
The JIT path builds IR directly (never print-and-reparse) and verifies only
when asked (`verify=True`, or KOPT_VERIFY=1 for the runtime).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException

from kopt.backends.triton_codegen import LaunchConfig, emit_module
from kopt.dialects import make_context
from kopt.errors import KoptError
from kopt.frontend.builder import build_module
from kopt.frontend.signature import ArgSpec
from kopt.frontend.source import KernelSource
from kopt.passes.pipeline import Hook, Pipeline


@dataclass
class CompileResult:
    """What one compile produced, with the time each stage took (seconds)."""

    name: str
    tile_ir: ModuleOp | None
    triton_source: str
    timings: dict[str, float] = field(default_factory=dict)


def verify_after(pass_name: str, module: ModuleOp) -> None:
    try:
        module.verify()
    except DiagnosticException as e:
        raise KoptError(f"IR does not verify after pass {pass_name!r}: {str(e).splitlines()[0] if str(e) else e}",
                        notes=["the failing IR:\n" + str(module)]) from None


def run_pipeline(module: ModuleOp, pipeline: Pipeline, *, verify: bool = False, hook: Hook | None = None,
                 timings: dict[str, float] | None = None) -> ModuleOp:
    """Run a pipeline over a tile module in place, optionally verifying after every pass."""
    ctx = make_context()
    last = [time.perf_counter()]

    def combined(prev, mod, nxt):
        now = time.perf_counter()
        if prev is not None:
            if timings is not None:
                timings[prev.name] = timings.get(prev.name, 0.0) + now - last[0]
            if verify:
                verify_after(prev.name, mod)
        if hook:
            hook(prev, mod, nxt)
        last[0] = time.perf_counter()

    pipeline.run(ctx, module, combined)
    return module


def compile_module(module: ModuleOp, pipeline: Pipeline | None = None, *, config: LaunchConfig = LaunchConfig(),
                   verify: bool = False, hook: Hook | None = None, name: str = "kernel") -> CompileResult:
    """Compile tile IR (from the frontend or built by hand) to Triton source."""
    timings: dict[str, float] = {}
    run_pipeline(module, pipeline or Pipeline.default(), verify=verify, hook=hook, timings=timings)
    t0 = time.perf_counter()
    source = emit_module(module, config)
    timings["backend"] = time.perf_counter() - t0
    return CompileResult(name, module, source, timings)


def compile_kernel(src: KernelSource, specs: dict[str, ArgSpec], pipeline: Pipeline | None = None, *,
                   config: LaunchConfig = LaunchConfig(), verify: bool = False, hook: Hook | None = None,
                   facts: tuple[str, ...] = ()) -> CompileResult:
    """Python kernel source + argument types -> Triton source."""
    t0 = time.perf_counter()
    module = build_module(src, specs)
    if facts:
        add_facts(module, facts)
    t1 = time.perf_counter()
    if verify:
        verify_after("frontend", module)
    result = compile_module(module, pipeline, config=config, verify=verify, hook=hook, name=src.fn.name)
    result.timings = {"frontend": t1 - t0, **result.timings}
    return result


def add_facts(module: ModuleOp, facts: tuple[str, ...]) -> None:
    """State shape facts (`n == 4096`, `_m % 16 == 0`) on every kernel of a module."""
    from xdsl.dialects.builtin import ArrayAttr, StringAttr

    from kopt.dialects.tile import KernelOp

    for op in module.ops:
        if isinstance(op, KernelOp):
            old = list(op.attributes.get("facts", ArrayAttr([])).data)
            op.attributes["facts"] = ArrayAttr(old + [StringAttr(f) for f in facts])
