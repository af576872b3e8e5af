"""Build a kernel call's Triton kernels for a CUDA GPU on a machine without one.

`build_for_target(kernel, *args, arch=90)` runs the kernel's launcher on CPU tensors as far as
its launches, and hands each launch to Triton's own compiler for the target (TTIR -> TTGIR ->
LLVM IR -> PTX -> cubin, with ptxas), with the launch choices a GPU run makes. Nothing runs:
the point is the parts of the GPU path the CPU interpreter never exercises — Triton's GPU
passes (a layout-conversion assertion crashed fp16 attention on an H100 while every CPU test
passed), PTX assembly, and the shared memory a launch needs against the device's limit.

How: Triton's `JITFunction.warmup` specializes and compiles exactly as a launch would
(integer `== 1` and `% 16` specialization, pointer alignment, constexprs), for the target of
the *active driver*; a stand-in driver names the target. Hand-written here: only that
stand-in (Triton has no "compile for this target" entry point that takes launch arguments).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field

from kopt.errors import KoptError
from kopt.runtime import mode
from kopt.runtime.fast_launch import warmup_plain_where_failing

# Largest dynamic shared memory one block may opt into, bytes, by compute capability (CUDA C++
# Programming Guide, "Technical Specifications per Compute Capability": 163 KB on 8.0, 99 KB on
# 8.6/8.9, 227 KB on 9.0). Triton's own check happens at load time, which needs the GPU.
MAX_SHARED = {80: 166912, 86: 101376, 87: 166912, 89: 101376, 90: 232448}


@dataclass
class TargetBuild:
    """One launch of a generated kernel, built for the target (or not)."""

    kernel: str  # the Triton kernel's name
    constexprs: dict  # its constexpr arguments at this launch (block sizes, _DOT_2D, ...)
    options: dict  # num_warps, num_stages
    shared: int | None = None  # bytes of shared memory the build needs
    error: str | None = None  # why it could not be built or would not load; None: it builds and fits
    stages: list[str] = field(default_factory=list)  # what Triton produced (ttir, ttgir, llir, ptx, cubin)
    # constexprs whose form Triton's compiler failed on, built plain instead as a launch would (`_WARP_SPEC`,
    # `_DOT_2D`: kopt/runtime/fast_launch.py's FALLBACKS)
    given_up: list[str] = field(default_factory=list)
    registers: int | None = None  # registers a thread (at most 255), as the cubin says; None where not read
    stack: int | None = None  # bytes of stack a thread: > 0 where ptxas spilled registers to local memory

    @property
    def ok(self) -> bool:
        return self.error is None


_USAGE = re.compile(r"REG:(\d+) STACK:(\d+)")


def resource_usage(cubin: bytes) -> tuple[int, int] | None:
    """(registers a thread, stack bytes) of the kernel in `cubin`, read by the `cuobjdump` Triton's NVIDIA backend
    ships (`--dump-resource-usage`); None where it is missing or says nothing. Hand-written: Triton reads these only
    when it loads the binary on a GPU."""
    import triton.backends.nvidia as nv

    tool = os.path.join(os.path.dirname(nv.__file__), "bin", "cuobjdump")
    if not os.path.exists(tool):
        return None
    try:
        with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
            f.write(cubin)
            f.flush()
            out = subprocess.run([tool, "--dump-resource-usage", f.name], capture_output=True, text=True,
                                 timeout=60).stdout
    except (OSError, subprocess.SubprocessError):  # a tool that cannot run: the build stands, its usage unknown
        return None
    m = _USAGE.search(out)
    return (int(m.group(1)), int(m.group(2))) if m else None


class _TargetDriver:
    """Stands in for Triton's CUDA driver where there is no GPU: it names the target; a launch
    never reaches it (only `warmup` runs)."""

    def __init__(self, target):
        self.target = target

    def get_current_target(self):
        return self.target

    def get_current_device(self):
        return 0

    def get_current_stream(self, device=None):
        return 0


class _Builder:
    """Stands in for a generated kernel in its module: `kernel[grid](*args, **options)` builds for the target."""

    def __init__(self, jit, arch: int, builds: list[TargetBuild]):
        self.jit, self.arch, self.builds = jit, arch, builds

    def __getitem__(self, grid):
        return functools.partial(self.build, grid)

    def build(self, grid, *args, **options):
        names = self.jit.arg_names
        consts = {n: a for n, a, p in zip(names, args, self.jit.params) if p.is_constexpr}
        record = TargetBuild(self.jit.__name__, consts, dict(options))
        self.builds.append(record)
        try:  # as a launch does: the plain form of a constexpr's form Triton's compiler fails on
            compiled, record.given_up = warmup_plain_where_failing(self.jit, grid, args, options)
        except Exception as e:  # noqa: BLE001 - Triton's compile errors are of many kinds; each one is reported
            first = next((line for line in str(e).splitlines() if line.strip()), "")
            record.error = f"{type(e).__name__}: {first[:300]}"
            return None
        record.stages = list(compiled.asm)
        record.shared = int(getattr(compiled.metadata, "shared", 0))
        usage = resource_usage(compiled.asm["cubin"]) if "cubin" in compiled.asm else None
        if usage is not None:
            record.registers, record.stack = usage
        limit = MAX_SHARED[self.arch]
        if record.shared > limit:
            record.error = f"needs {record.shared} bytes of shared memory; sm_{self.arch} allows {limit}"
        return None


def build_for_target(kernel, *args, arch: int = 90, config=None, **kwargs) -> list[TargetBuild]:
    """Build every Triton kernel `kernel(*args)` would launch on a CUDA GPU of compute capability
    `arch` (90: H100), without a GPU. Arguments are CPU tensors with the call's shapes, strides and
    dtypes; nothing is computed. `config` (a kopt.Config, e.g. a tuned one): build the launch that config
    asks for, as a tuned call makes it (its reduction strategy compiled in, its block sizes, warps and stages
    passed at launch). Returns one TargetBuild per launch."""
    if arch not in MAX_SHARED:
        raise KoptError(f"build_for_target: no shared-memory limit known for sm_{arch}",
                        notes=[f"known: {', '.join(f'sm_{a}' for a in sorted(MAX_SHARED))}; add the arch's limit "
                               "to kopt.runtime.target_build.MAX_SHARED"])
    if mode.interpreting():
        raise KoptError("build_for_target compiles for a GPU; the Triton interpreter is on (TRITON_INTERPRET=1)",
                        notes=["run it in a process without TRITON_INTERPRET"])
    from triton.backends.compiler import GPUTarget
    from triton.runtime import driver

    from kopt.runtime.config import Config

    values = kernel._bind(args, kwargs)
    items, _device = kernel._key(values)
    items = gpu_items(items)  # the key a call with CUDA tensors has: the CPU tensors only stand in for them
    compiled = kernel._variant(items, "cuda", kernel.config)  # the source a GPU run compiles
    overrides = {}
    if config is not None:
        if config.compile_part() != Config():
            compiled = kernel._variant(items, "cuda", config.compile_part(), count=False)
        overrides = config.launch_overrides()
    builds: list[TargetBuild] = []
    with _launching_builds(compiled.launcher.__globals__, arch, builds):
        saved = driver._active  # not `.active`: that makes the real driver, which fails without a GPU
        driver.set_active(_TargetDriver(GPUTarget("cuda", arch, 32)))
        try:
            compiled.launcher(*values, _config=overrides) if overrides else compiled.launcher(*values)
        finally:
            driver.set_active(saved)
    return builds


def gpu_items(items: tuple) -> tuple:
    """A specialization key with every tensor's device type made "cuda"."""
    return tuple((*it[:5], "cuda", *it[6:]) if isinstance(it, tuple) and it[:1] == ("tensor",) else it for it in items)


@contextlib.contextmanager
def _launching_builds(namespace: dict, arch: int, builds: list[TargetBuild]):
    """In the generated module: each launched kernel a _Builder, and dot tile sizes chosen as on a GPU of
    this arch (the launcher asks `tensor.is_cuda`, false for the CPU tensors standing in, and the device's
    shared memory, which there is none to ask)."""
    from triton.runtime.jit import JITFunction

    from kopt.runtime.fast_launch import launched_kernels

    source = open(namespace["__file__"]).read()
    saved = dict(namespace)
    for name in launched_kernels(source):
        jit = namespace.get(name)
        jit = getattr(jit, "jit", jit)  # a FastJIT wraps the JITFunction
        if isinstance(jit, JITFunction):
            namespace[name] = _Builder(jit, arch, builds)
    if "dot_tiles" in namespace:
        namespace["dot_tiles"] = functools.partial(_gpu_dot_tiles, namespace["dot_tiles"], MAX_SHARED[arch])
    try:
        yield
    finally:
        namespace.clear()
        namespace.update(saved)


def _gpu_dot_tiles(dot_tiles, shared_limit, *args, **kwargs):
    return dot_tiles(*args, **{**kwargs, "gpu": True, "shared_limit": shared_limit})
