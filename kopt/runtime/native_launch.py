"""The C half of kopt's repeat launch (native_launch.c, with the whole-call memo of native_memo.c appended): built
on first use, and the Plans it launches.

Built with Triton's own helper for its launchers (`triton.runtime.build.compile_module_from_src`: the
system C compiler, cached in Triton's cache by the source's hash), so a machine that can run Triton
kernels can build it; it links nothing of CUDA (the driver is opened at the first launch), so it also
builds on a machine without a GPU, where the tests drive it through `set_test_launch`.
`KOPT_NATIVE_LAUNCH=0` keeps kopt on the Python launch cache (fast_launch.FastJIT) instead.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import sys
import sysconfig
import warnings
from pathlib import Path

_SOURCES = [Path(__file__).with_name(n) for n in ("native_launch.c", "native_memo.c")]  # built as one file


def _source() -> str:
    return "\n".join(p.read_text() for p in _SOURCES)
_module = None
_failed = False

# Triton's signature types kopt's launch passes itself, by the Python type of the argument
_INT_CODES = {0: "i", 1: "l", 2: "u"}  # fast_launch._int_class's width: i32, i64, u64
_INT_TYPES = {"i32": 0, "i64": 1, "u64": 2}
_FLOAT_CODES = {"fp32": "f", "fp64": "d"}
MAX_ARGS = 128  # native_launch.c's MAX_ARGS: a kernel with more arguments keeps Triton's launcher


def launchable_grid(grid) -> bool:
    """A grid the C launch takes: a tuple of 1-3 ints, none of them 0 (Triton's path skips empty launches)."""
    return (type(grid) is tuple and 1 <= len(grid) <= 3
            and all(type(g) is int and 0 < g < 1 << 31 for g in grid))


def enabled() -> bool:
    return os.environ.get("KOPT_NATIVE_LAUNCH", "1") not in ("0", "")


def built_name() -> str:
    """The file name of the built extension in kopt's cache (`native/`): the source's and the platform's hash, so
    a bundle made on one kind of machine (Python version, ABI, architecture) is only used on that kind."""
    tag = "|".join([_source(), sys.version, platform.machine(), platform.system(),
                    sysconfig.get_config_var("EXT_SUFFIX") or ""])
    return f"kopt_launch-{hashlib.sha256(tag.encode()).hexdigest()[:20]}{sysconfig.get_config_var('EXT_SUFFIX')}"


def _load(path: Path):
    loader = importlib.machinery.ExtensionFileLoader("kopt_launch", str(path))
    spec = importlib.util.spec_from_file_location("kopt_launch", path, loader=loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def _kept(root: Path) -> Path:
    """Where kopt's cache under `root` keeps this machine kind's build (bundles carry that folder)."""
    from kopt.runtime.bundle import NATIVE_DIR

    return root / NATIVE_DIR / built_name()


def _keep(mod, root: Path) -> None:
    from kopt.runtime.cache import write_atomic

    write_atomic(_kept(root), Path(mod.__file__).read_bytes())  # (over a damaged copy too)


def _build():
    """Load the extension from kopt's cache (put there by an earlier build or a bundle), else build it with
    Triton's helper and keep a copy there: a process that starts from a bundle compiles nothing, not even this."""
    from kopt.runtime.cache import cache_dir

    kept = _kept(cache_dir())
    if kept.exists():
        try:
            return _load(kept)
        except ImportError:
            pass  # a damaged copy: built again below
    from triton.runtime.build import compile_module_from_src

    mod = compile_module_from_src(src=_source(), name="kopt_launch", library_dirs=[], include_dirs=[],
                                  libraries=["dl"])
    try:
        _keep(mod, cache_dir())
    except OSError:
        pass
    return mod


def keep_in(root: Path) -> bool:
    """Put this machine's build of the extension in the cache under `root` (for a bundle made from there)."""
    mod = module()
    if mod is None:
        return False
    _keep(mod, root)
    return True


def module():
    """The built extension, or None where it cannot be built here (said once, as a warning)."""
    global _module, _failed
    if _module is None and not _failed:
        try:
            _module = _build()
        except Exception as e:  # no C compiler, no Python headers: the Python launch cache still works
            _failed = True
            warnings.warn(f"kopt: the C launch path could not be built ({type(e).__name__}: {str(e)[:200]}); "
                          "launching through the Python launch cache", RuntimeWarning, stacklevel=2)
    return _module


def plan_codes(jit_params, signature: dict, args: tuple, int_class) -> tuple[bytes, tuple] | None:
    """Per argument of a launch, the code and guard the Plan checks (native_launch.c lists the codes), from the
    kernel Triton built for these arguments (`signature`: its parameter name -> type); None where an argument is
    one the C launch does not pass (tensor descriptors, bools, None, tuples): those calls keep Triton's path."""
    codes, guards = [], []
    for param, arg in zip(jit_params, args):
        ty = signature.get(param.name)
        if param.is_constexpr:
            codes.append("c")
            guards.append(arg)
            continue
        t = type(arg)
        if t is int:
            cls = int_class(arg)
            if cls is None:
                return None
            one, div16, width = cls
            if ty == "constexpr" and one:
                codes.append("1")
            elif _INT_TYPES.get(ty) == width and not one:
                code = _INT_CODES[width]
                codes.append(code.upper() if div16 else code)
            else:
                return None
            guards.append(None)
        elif t is float and ty in _FLOAT_CODES:
            codes.append(_FLOAT_CODES[ty])
            guards.append(None)
        elif isinstance(ty, str) and ty.startswith("*") and hasattr(arg, "data_ptr") and hasattr(arg, "dtype"):
            codes.append("P" if arg.data_ptr() % 16 == 0 else "p")
            guards.append(arg.dtype)
        else:
            return None
    return "".join(codes).encode(), tuple(guards)


def launchable(kernel, function=None) -> bool:
    """A kernel the C launch can start with cuLaunchKernel: one CTA per program, no scratch buffers, no
    cooperative or programmatic-dependent launch, no tensor descriptors (those keep Triton's launcher)."""
    m = kernel.metadata
    return (getattr(m, "num_ctas", 1) == 1 and not getattr(m, "global_scratch_size", 0)
            and not getattr(m, "profile_scratch_size", 0) and not getattr(m, "launch_cooperative_grid", False)
            and not getattr(m, "launch_pdl", False) and not getattr(m, "tensordesc_meta", None)
            and (function or getattr(kernel, "function", None)) is not None)


def load_hooked(runtime) -> bool:
    """Kernel-load hooks installed (a profiler): Triton must load the kernel itself, so that they run."""
    hooks = (getattr(runtime, h, None) for h in ("kernel_load_start_hook", "kernel_load_end_hook"))
    return any(getattr(h, "calls", h) for h in hooks)  # Triton 3.6 holds hook chains (`.calls`), older a callable


def load(native, name: str, binary: bytes, shared: int, num_warps: int, device: int):
    """Load a kernel's binary into the current context with the C module's loader, as Triton's CompiledKernel
    loads it on its first launch but without Triton's C launcher or driver; the CUfunction handle, or None where
    the kernel cannot run here as built (over the device's shared memory or thread limit) or the load fails:
    Triton's own path then builds or loads it, and says what is wrong."""
    try:
        function, _regs, _spills, max_threads, shared_limit = native.load_binary(name, binary, shared, device)
    except (RuntimeError, TypeError, ValueError, OverflowError):
        return None
    if shared > shared_limit or num_warps * 32 > max_threads:
        return None  # (the module stays loaded, as Triton's own do: a kernel over the limit is an error case)
    return function


def load_function(native, kernel, device: int):
    """`load` for a kernel Triton compiled (or found in its cache), or None where the C launch does not start it,
    Triton loaded it already (its handles are Triton's, and so is its launcher) or it holds no cubin."""
    binary = getattr(kernel, "kernel", None)  # (the cubin's bytes, in the Tritons kopt supports)
    if not launchable(kernel, function=1) or getattr(kernel, "module", None) is not None or type(binary) is not bytes:
        return None
    m = kernel.metadata
    return load(native, kernel.name, binary, m.shared, m.num_warps, device)


def make_plan(native, kernel, jit, args: tuple, options: dict, device: int, tensor_type, int_class,
              function=None):
    """The Plan that relaunches `kernel` (built by Triton for `args` and `options`; `function`: its CUfunction
    where this process loaded it, else the one Triton loaded), or None."""
    if not launchable(kernel, function):
        return None
    signature = getattr(getattr(kernel, "src", None), "signature", None)
    if not isinstance(signature, dict):
        return None
    coded = plan_codes(jit.params, signature, args, int_class)
    if coded is None:
        return None
    codes, guards = coded
    if len(codes) > MAX_ARGS:
        return None
    m = kernel.metadata
    return native.Plan(kernel, int(function or kernel.function), 32 * m.num_warps, m.shared, device, codes, guards,
                       dict(options), tensor_type)
