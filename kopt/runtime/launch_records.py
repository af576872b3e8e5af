"""Launch records: what launching a kernel Triton built takes, kept so that a later process launches it without Triton.

Why: a kernel's first launch in a process goes through Triton's JIT, which computes its cache key (hashing
Triton's own installation: 0.4 s, once per process), finds or compiles the kernel, and loads it through its driver
utility module (built with gcc on first use in a fresh Triton cache: 0.3 s). Measured on an H200, that made the
first kernel of a process that starts from a bundle take 1.07 s (benchmarks/results/h200_2026-12-01_tune_bundle).
Where kopt launched, built for a target (`build_for_target`) or precompiled for tuning the same specialization
before, it already knew all a launch needs. A record keeps it, as a kopt cache entry (`launch/`):

    key    kopt's fingerprint; the generated module (its source digest) and the kernel's name; the call's
           specialization key (fast_launch.specialization_key: constexpr values, tensor dtypes and 16-byte
           alignment, int classes, the launch options); the target arch; the Triton version; Triton's environment
           and knobs (debug, instrumentation, ptxas options, ...: what else decides the binary, its source hash
           aside). While a hook that sees compiles is installed, records are neither written nor served;
    value  Triton's cache entry (its directory name) and the binary's file name, the kernel's name, the signature
           Triton gave it (parameter -> type), the argument codes of its Plan, warps and shared memory.

At the first call of a specialization, NativeJIT (fast_launch.py) looks the record up, reads the binary (kopt's
copy from a bundle, else Triton's cache), loads it with native_launch.c's `load_binary` and launches it through a
Plan. A record that does not apply (no binary, a signature the call does not match, a kernel over the device's
limits) is passed over: Triton's path then runs as before. Bundles carry records with the binaries (bundle.py).
Only kernels the C launch starts get records (one CTA, no scratch, no tensor descriptors: native_launch.launchable).
"""

from __future__ import annotations

import base64
from pathlib import Path

KIND = "launch"
served = 0  # first launches of this process a record served (benchmarks and tests read it)
_REQUIRED = ("entry", "binary", "name", "signature", "codes", "num_warps", "shared")


def target_arch(target) -> int | None:
    """The compute capability (90) in a compiled kernel's metadata `target`: a GPUTarget, a dict or a list."""
    if isinstance(target, dict):
        arch = target.get("arch")
    elif isinstance(target, (list, tuple)) and not hasattr(target, "arch"):
        arch = target[1] if len(target) > 1 else None
    else:
        arch = getattr(target, "arch", None)
    return arch if isinstance(arch, int) else None


def module_digest(jit) -> str | None:
    """The source digest in a generated kernel's module name (`<name>_<20 hex digits>`: kernel._load_source)."""
    module = getattr(getattr(jit, "fn", None), "__module__", "") or ""
    digest = module.rsplit("_", 1)[-1]
    return digest if len(digest) == 20 else None


# Triton's environment that says where things are, not how a kernel is built
_LOCATIONS = {"TRITON_CACHE_DIR", "TRITON_HOME", "TRITON_CACHE_MANAGER", "TRITON_DUMP_DIR", "TRITON_OVERRIDE_DIR",
              "TRITON_INTERPRET", "TRITON_PRINT_AUTOTUNING"}
_HOOKS = ("jit_cache_hook", "jit_post_compile_hook", "add_stages_inspection_hook")  # knobs.runtime's


def _triton_state() -> list | None:
    """What else decides the binary Triton builds for a call, beyond its key in Triton's cache: the environment
    Triton and its compilers read (debug and sanitizer modes, ptxas options, ...) and the knobs set in the process;
    None where a hook is installed that sees or changes compiles (records are then neither written nor served)."""
    import os

    from triton import knobs
    from triton._C.libtriton import get_cache_invalidating_env_vars

    if any(getattr(knobs.runtime, h, None) for h in _HOOKS):
        return None
    env = {k: v for k, v in os.environ.items()
           if k.startswith(("TRITON_", "PTXAS", "NVPTX", "MLIR_", "LLVM_")) and k not in _LOCATIONS}
    env.update(get_cache_invalidating_env_vars())
    knobs_set = [repr(getattr(knobs.runtime, "debug", None)),
                 repr(getattr(knobs.compilation, "instrumentation_mode", None))]
    return sorted(env.items()) + knobs_set


def _key(jit, call_key: tuple, arch: int, digest: str) -> dict | None:
    from kopt.runtime.bundle import triton_version
    from kopt.runtime.cache import compiler_fingerprint

    state = _triton_state()
    if state is None:
        return None
    return {"kopt": compiler_fingerprint(), "module": digest, "kernel": jit.__name__, "arch": arch,
            "triton": triton_version(), "env": state, "call": repr(call_key)}


def remember(jit, call_key: tuple | None, args: tuple, kernel) -> bool:
    """Keep the record of `kernel` (a CompiledKernel Triton built or found for a call of `jit` with `args`, whose
    specialization key is `call_key`), where the C launch could start it; True where one was written."""
    from kopt.runtime import native_launch
    from kopt.runtime.cache import DiskCache
    from kopt.runtime.fast_launch import _int_class

    digest = module_digest(jit)
    signature = getattr(getattr(kernel, "src", None), "signature", None)
    m = getattr(kernel, "metadata", None)
    arch = target_arch(getattr(m, "target", None))
    if (call_key is None or digest is None or arch is None or not isinstance(signature, dict)
            or not isinstance(getattr(kernel, "hash", None), str) or not native_launch.launchable(kernel, 1)):
        return False
    coded = native_launch.plan_codes(jit.params, signature, args, _int_class)
    if coded is None or len(coded[0]) > native_launch.MAX_ARGS:
        return False
    name = kernel.name
    value = {"entry": base64.b32encode(bytes.fromhex(kernel.hash)).decode().rstrip("="), "binary": f"{name}.cubin",
             "name": name, "signature": {k: str(v) for k, v in signature.items()}, "codes": coded[0].decode(),
             "num_warps": int(m.num_warps), "shared": int(m.shared)}
    key = _key(jit, call_key, arch, digest)
    return key is not None and DiskCache(KIND).store(key, value) is not None


def find(jit, call_key: tuple, arch: int) -> dict | None:
    """The record of this call's specialization on a device of compute capability `arch`, if kopt kept one."""
    from kopt.runtime.cache import DiskCache

    digest = module_digest(jit)
    key = None if digest is None else _key(jit, call_key, arch, digest)
    return None if key is None else DiskCache(KIND).load(key, _REQUIRED)


def binary(record: dict, arch: int) -> bytes | None:
    """The record's binary: kopt's copy (a bundle's, or a tuning job's) else Triton's cache; None if neither has it."""
    from kopt.runtime.bundle import TRITON_DIR, triton_cache_dir, triton_version
    from kopt.runtime.cache import cache_dir

    entry, name = Path(record["entry"]).name, Path(record["binary"]).name  # (names only: never a path out)
    places = [cache_dir() / TRITON_DIR / triton_version() / f"sm_{arch}" / entry / name]
    triton_cache = triton_cache_dir()
    if triton_cache is not None:
        places.append(triton_cache / entry / name)
    for path in places:
        try:
            return path.read_bytes()
        except OSError:
            continue
    return None
