"""The compile driver: kernel source -> tile IR -> pass pipeline -> Triton source.

Imports neither torch nor triton, so the CLI and embedders can use it cheaply.
The JIT path builds IR directly (never print-and-reparse) and verifies only
when asked (`verify=True`, or KOPT_VERIFY=1 for the runtime).
"""

from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import dataclass, field

from xdsl.dialects.builtin import FileLineColLoc, ModuleOp, StringAttr
from xdsl.ir import Operation

from kopt.backends.triton_codegen import LaunchConfig, emit_module
from kopt.dialects import ir_text, make_context
from kopt.errors import KoptError, SourceLoc
from kopt.frontend.builder import build_module
from kopt.frontend.signature import ArgSpec
from kopt.frontend.source import KernelSource
from kopt.passes.pipeline import DEFAULT_PIPELINE, Hook, Pipeline


@dataclass
class CompileResult:
    """What one compile produced, with the time each stage took (seconds)."""

    name: str
    tile_ir: ModuleOp | None
    triton_source: str
    timings: dict[str, float] = field(default_factory=dict)


def _first_failing_op(module: ModuleOp) -> tuple[Operation, Exception] | None:
    """The outermost op whose own checks fail (its nested ops are checked on their own turn)."""
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except Exception as e:  # VerifyException, or a ValueError for an erased operand
            return op, e
    return None


def _op_text(op: Operation, max_lines: int = 12) -> str:
    """The op as IR text, cut short when it holds a large region."""
    try:
        text = ir_text(op)
    except Exception:  # noqa: BLE001 - IR too broken to print even generically: name the op
        text = op.name
    lines = text.splitlines()
    return "\n".join(lines[:max_lines] + (["  ..."] if len(lines) > max_lines else []))


def _stage_words(pass_name: str) -> str:
    stages = {"frontend": "after the frontend", "parser": "as parsed", "builder": "as built"}
    return stages.get(pass_name, f"after pass {pass_name!r}")


def verify_after(pass_name: str, module: ModuleOp) -> None:
    """Verify a module; on failure, a KoptError naming the failing op and the pass that left it.

    `pass_name` is a pass name, or "frontend" / "parser" / "builder" for IR as the
    frontend built it, as read from text, or as an embedding compiler built it.
    The error sits at the op's location when it has one (the user's .py or .tile
    line) and prints the op, not the whole module.
    """
    try:
        module.verify()
        return
    except Exception as e:  # DiagnosticException, or ValueError for dangling references
        whole = e
    op, err = _first_failing_op(module) or (module, whole)
    reason = " ".join(line.strip() for line in str(err).strip().splitlines() if line.strip()) or type(err).__name__
    reason = reason.removeprefix(f"{op.name}: ")  # kopt's verifiers already name their op
    loc = op.location
    where = SourceLoc(loc.filename.data, loc.line.data, loc.column.data) if isinstance(loc, FileLineColLoc) else None
    raise KoptError(f"IR does not verify {_stage_words(pass_name)}: '{op.name}' op: {reason}", where,
                    notes=[f"the failing op:\n{_op_text(op)}"]) from None


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
                if timings is not None:
                    timings["verifier"] = timings.get("verifier", 0.0) + time.perf_counter() - now
        if hook:
            hook(prev, mod, nxt)
        last[0] = time.perf_counter()

    with gc_paused():
        pipeline.run(ctx, module, combined)
    return module


def compile_module(module: ModuleOp, pipeline: Pipeline | str | None = None, *,
                   config: LaunchConfig = LaunchConfig(), verify: bool = False, hook: Hook | None = None,
                   name: str = "kernel") -> CompileResult:
    """Compile tile IR (from the frontend or built by hand) to Triton source, in place.

    `pipeline` is a Pipeline, a pipeline string, or None for the default one;
    `verify=True` checks the IR after every pass (a KoptError names the pass).
    """
    timings: dict[str, float] = {}
    if isinstance(pipeline, str):
        pipeline = parsed_pipeline(pipeline)
    run_pipeline(module, pipeline or parsed_pipeline(DEFAULT_PIPELINE), verify=verify, hook=hook, timings=timings)
    t0 = time.perf_counter()
    source = emit_module(module, config)
    timings["backend"] = time.perf_counter() - t0
    return CompileResult(name, module, source, timings)


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while IR is built and rewritten: xDSL IR is made of cycles
    (parents <-> children), and collections that rescan it every few hundred allocations make a
    compile grow faster than the kernel (measured: 400 ops, 463 -> 302 ms; softmax -5..10 %)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compile_kernel(src: KernelSource, specs: dict[str, ArgSpec], pipeline: Pipeline | None = None, *,
                   config: LaunchConfig = LaunchConfig(), verify: bool = False, hook: Hook | None = None,
                   facts: tuple[str, ...] = (), arg_facts: tuple = (),
                   f32_dot_precision: str | None = None, tunables: dict | None = None) -> CompileResult:
    """Python kernel source + argument types -> Triton source.

    `facts` are shape facts as text (`_BLOCK_SIZE_0 == 8`); `arg_facts` are
    `kopt.runtime.specialize.ArgFact`s about parameter sizes and strides by position,
    named after the symbols the frontend chose (`n == 4096`).
    """
    with gc_paused():
        t0 = time.perf_counter()
        module = build_module(src, specs, tunables)  # tunables: config values of hl.register_tunable
        if arg_facts:
            from kopt.runtime.specialize import resolve

            facts = tuple(facts) + resolve(module, arg_facts)
        if facts:
            add_facts(module, facts)
        if f32_dot_precision is not None:  # "ieee" or "tf32": how fp32 tl.dot multiplies
            for op in module.ops:
                if op.name == "tile.kernel":
                    op.attributes["f32_dot_precision"] = StringAttr(f32_dot_precision)
        t1 = time.perf_counter()
        if verify:
            verify_after("frontend", module)
        result = compile_module(module, pipeline, config=config, verify=verify, hook=hook, name=src.fn.name)
    result.timings = {"frontend": t1 - t0, **result.timings}
    return result


_PARSED: dict[tuple, list] = {}


def parsed_pipeline(spec: str) -> Pipeline:
    """`Pipeline.parse(spec)`, parsed once per process (pass instances are frozen, so the list is
    shared; the Pipeline is new and may be edited). Keyed by the registry too: a plugin may add passes."""
    from kopt.passes.pipeline import pass_names
    from kopt.passes.registry import passes_named

    key = (spec, tuple(sorted((n, id(c)) for n, c in passes_named(pass_names(spec)).items())))
    if key not in _PARSED:
        _PARSED[key] = Pipeline.parse(spec).passes
    return Pipeline(_PARSED[key])


def add_facts(module: ModuleOp, facts: tuple[str, ...]) -> None:
    """State shape facts (`n == 4096`, `_m % 16 == 0`) on every kernel of a module."""
    from kopt.dialects.tile import KernelOp

    for op in module.ops:
        if isinstance(op, KernelOp):
            op.add_facts(facts)
