"""A shorter launch path for the generated kernels on the GPU.

`kernel[grid](*args)` through Triton's `JITFunction.run` costs ~21 us of CPU per call on
the device machine's host, of which the compiled kernel's own launcher is ~7.6 us
(benchmarks/launch_profile.py, benchmarks/results/h100_2026-11-25b/launch_profile.txt): the
rest is argument binding, the specialization key's text, option handling and checks that a
generated kernel does not need on every call. Small kernels are bound by that time.

`FastJIT` stands in for a generated `@triton.jit` function in its module. The first call
with a new *specialization* goes through Triton as usual (compiling if needed) and keeps
the `CompiledKernel` Triton returns; later calls with the same specialization call its
launcher directly. The key is at least as fine as Triton's own specialization, so a kept
kernel is only reused where Triton would have picked the same one:

  - constexpr parameters: their values;
  - tensors: dtype and whether the data pointer is 16-byte aligned;
  - ints: == 1, divisible by 16, and which of i32 / i64 / u64 holds them;
  - floats: nothing (Triton does not specialize them);
  - the launch options (num_warps, num_stages, ...), the current device.

Anything else (keyword arguments for parameters, None, bools, a callable grid, launch hooks
or pre-run hooks installed, e.g. by a profiler) takes Triton's own path, unchanged. A kernel
Triton cannot build (compiler failure, out of shared memory) is a KoptError naming it.
Hand-written here: Triton's `CompiledKernel[grid](*args)` re-launches a compiled kernel but
looks up the device, stream and launch metadata on every call; choosing the kernel by
specialization is JITFunction.run's job, which this replaces. Not in the key: Triton's debug and
instrumentation knobs (changing them mid-process keeps the kernels already kept). `KOPT_FAST_LAUNCH=0` turns it off.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
import weakref

from kopt.launch.dot_tiles import DOT_2D, WARP_SPEC
from kopt.errors import KoptError

_I32 = 1 << 31
_I64 = 1 << 63


def is_pass_failure(e: Exception) -> bool:
    """Triton's MLIR pass pipeline failed (a compiler bug for this kernel, not a resource limit)."""
    return isinstance(e, RuntimeError) and "PassManager" in str(e)


def launched_kernels(source: str) -> set[str]:
    """Names a generated module launches (`name[(grid)](...)`); helpers such as a reduction's combine
    function are called from kernels and must stay Triton JIT functions."""
    return set(re.findall(r"\b(\w+)\[\(", source))


# Constexprs whose 1 asks Triton for a form its compiler may fail on, and whose 0 is the plain form, in the order
# they are given up: warp-specialized loops, then the 2-D form of batched dots (kopt/launch/dot_tiles.py)
FALLBACKS = {WARP_SPEC: "the warp-specialized loops", DOT_2D: "the 2-D form of the batched dots"}


def fallback_indexes(arg_names) -> dict[str, int]:
    """Where a kernel takes each of the FALLBACKS constexprs, if it does."""
    names = list(arg_names)
    return {c: names.index(c) for c in FALLBACKS if c in names}


def with_plain(args: tuple, index: int) -> tuple:
    return args if index >= len(args) else (*args[:index], 0, *args[index + 1:])


def fallback(e: Exception, args: tuple, indexes: dict[str, int]) -> tuple[str, tuple] | None:
    """(the constexpr given up, the same arguments with it 0) where Triton's compiler failed (`e`) on a form one of
    them asks for; None where that is not what happened (a resource limit, another error, nothing left to give up)."""
    if not is_pass_failure(e):
        return None
    for name, i in indexes.items():
        if i < len(args) and args[i] == 1:
            return name, with_plain(args, i)
    return None


def warmup_plain_where_failing(jit, grid, args: tuple, options: dict) -> tuple[object, list[str]]:
    """Triton's `warmup` (compile or load, no launch) of these arguments, building the plain form of each FALLBACKS
    constexpr Triton's compiler fails on, as a launch does: (the compiled kernel, the constexprs given up). Any other
    failure is raised."""
    indexes, given_up, call = fallback_indexes(jit.arg_names), [], args
    while True:
        try:
            kernel = jit.warmup(*args, grid=grid, **options)
        except Exception as e:
            plain = fallback(e, args, indexes)
            if plain is None:
                raise
            given_up.append(plain[0])
            args = plain[1]
            continue
        remember_launch(jit, call, options, kernel)
        return kernel, given_up


def remember_launch(jit, args: tuple, options: dict, kernel) -> None:
    """Keep the launch record of a kernel Triton built for a call of `jit` (launch_records.py), so that a process
    that makes this call later launches it without Triton; the key is the call's (`args` as called, before a
    FALLBACKS constexpr was given up)."""
    import torch

    from kopt.runtime import launch_records

    flags = tuple(p.is_constexpr for p in jit.params)
    if len(args) == len(flags) and set(jit.arg_names).isdisjoint(options):
        launch_records.remember(jit, specialization_key(flags, torch.Tensor, args, options), args, kernel)


def enabled() -> bool:
    return os.environ.get("KOPT_FAST_LAUNCH", "1") not in ("0", "")


def _int_class(v: int) -> tuple | None:
    """Triton's integer classes: i32, i64, u64; outside them Triton refuses the value (None: its path)."""
    if not -_I64 <= v < 2 * _I64:
        return None
    return (v == 1, v % 16 == 0, 0 if -_I32 <= v < _I32 else (1 if v < _I64 else 2))


def specialization_key(constexpr_flags, tensor_type, args: tuple, options: dict) -> tuple | None:
    """What Triton specializes a kernel on, for these arguments (one flag per parameter: constexpr or not), at
    least as finely as Triton does; None where only Triton's own path is right (an argument of another kind)."""
    key = [tuple(options.items())]
    for a, const in zip(args, constexpr_flags):
        t = type(a)
        if const:
            key.append((type(a), a))  # 1, True and 1.0 are equal in Python, not to Triton
        elif t is int:
            cls = _int_class(a)
            if cls is None:
                return None
            key.append(cls)
        elif t is float:
            key.append(float)
        elif isinstance(a, tensor_type):
            key.append((a.dtype, a.data_ptr() % 16 == 0))
        else:
            return None
    return tuple(key)


def device_getters(driver):
    """(current device, current stream, compute capability) getters as Triton's active driver gives them. Where
    that driver is not made yet and would be Triton's CUDA driver over torch, torch's own (which are the ones that
    driver takes), so that the driver is not made: making it builds Triton's utility module with gcc on first use
    in a fresh Triton cache (0.3 s), which a kernel launched from a launch record (launch_records.py) never needs."""
    import torch

    if (getattr(driver, "_active", False) is None and not os.environ.get("TRITON_DEFAULT_BACKEND")
            and torch.version.hip is None and torch.cuda.is_available()):
        stream = getattr(torch._C, "_cuda_getCurrentRawStream", None)
        return (torch._C._cuda_getDevice, stream or (lambda i: torch.cuda.current_stream(i).cuda_stream),
                torch.cuda.get_device_capability)
    active = driver.active
    get = active.get_current_device
    device = getattr(torch._C, "_cuda_getDevice", get) if get is getattr(torch.cuda, "current_device", None) else get
    return device, active.get_current_stream, getattr(active, "get_device_capability", None)


class FastJIT:
    """`fn[grid](*args, **options)` for a generated Triton kernel, with a per-specialization launch cache."""

    def __init__(self, jit, tensor_type, driver, knobs, compile_errors: tuple = ()):
        self.jit = jit
        self._compile_errors = compile_errors  # Triton's "could not build this kernel" exceptions
        self._constexpr = tuple(p.is_constexpr for p in jit.params)
        self._names = frozenset(jit.arg_names)
        self._fallbacks = fallback_indexes(jit.arg_names)
        self._tensor = tensor_type
        self._driver = driver
        self._device = self._stream = self._capability = None  # bound at the first launch: the driver needs a GPU
        self._runtime = knobs.runtime
        self._cache: dict[tuple, object] = {}
        self._given_up: set[str] = set()  # FALLBACKS Triton could not build for this kernel: 0 from then on
        self._python_launches = 0

    native_launches = 0  # NativeJIT's C launcher counts its own (a member of the C type, found first)

    @property
    def fast_launches(self) -> int:
        """For tests and benchmarks: how many calls skipped Triton's path."""
        return self._python_launches + self.native_launches

    def __getattr__(self, name):  # arg_names, params, warmup, ...: the wrapped JITFunction's
        return getattr(self.jit, name)

    def __getitem__(self, grid):
        return lambda *args, **options: self.launch(grid, args, options)

    def key(self, args: tuple, options: dict) -> tuple | None:
        """The specialization key of these arguments, or None where only Triton's path is right."""
        if len(args) != len(self._constexpr) or not self._names.isdisjoint(options):
            return None
        return specialization_key(self._constexpr, self._tensor, args, options)

    def _current_device(self):
        if self._device is None:  # bound at the first launch: the driver needs a GPU
            self._device, self._stream, self._capability = device_getters(self._driver)
        return self._device()

    def _hooked(self) -> bool:
        rt = self._runtime
        hooks = (rt.launch_enter_hook, rt.launch_exit_hook)
        return any(getattr(h, "calls", h) for h in hooks) or bool(self.jit.pre_run_hooks)

    @property
    def _dot_3d(self) -> bool:
        return DOT_2D in self._given_up

    def triton_launch(self, grid, args: tuple, options: dict, warmup: bool = False):
        """Triton's own path. Where Triton cannot build a form a FALLBACKS constexpr asks for (the 2-D form of a
        batched dot, `_DOT_2D`, kopt/backends/dot_codegen.py; warp-specialized loops, `_WARP_SPEC`) the plain
        form is built instead, from then on for this kernel. A
        kernel Triton cannot build at all (a compiler failure, too much shared memory) becomes a
        KoptError that names the kernel and the launch, the Triton message kept as its cause."""
        for name in self._given_up:
            args = with_plain(args, self._fallbacks[name])
        try:
            if warmup:  # compile or load, without launching (and without building Triton's launcher)
                kernel = self.jit.warmup(*args, grid=grid, **options)
                return kernel.result() if hasattr(kernel, "result") else kernel
            return self.jit[grid](*args, **options)
        except Exception as e:
            if not isinstance(e, self._compile_errors) and not is_pass_failure(e):
                raise
            plain = fallback(e, args, self._fallbacks)
            if plain is not None:
                # Triton's own compiler failed on a form a constexpr asks for (not a resource limit of this
                # launch): build the plain form; keep to it for this kernel once that has worked
                name, plain_args = plain
                kernel = self.triton_launch(grid, plain_args, options, warmup)
                self._given_up.add(name)
                warnings.warn(f"kopt: Triton could not build {FALLBACKS[name]} in "
                              f"`{getattr(self.jit, '__name__', 'kernel')}`; building it without",
                              RuntimeWarning, stacklevel=2)
                return kernel
            first = next((line for line in str(e).splitlines() if line.strip()), type(e).__name__)
            name = getattr(self.jit, "__name__", "kernel")
            raise KoptError(
                f"Triton could not build `{name}` for this launch ({type(e).__name__}: {first[:200]})",
                notes=[f"launch options {options}; the kernel's source: `.compile(...).triton_source`",
                       "a smaller block size or fewer stages may fit: kopt.Config(block_sizes=[...], "
                       "num_stages=...); this is a kopt bug if the default launch fails: please report it"],
            ) from e

    def launch(self, grid, args: tuple, options: dict):
        key = None if callable(grid) or self._hooked() else self.key(args, options)
        if key is None:
            return self.triton_launch(grid, args, options)
        device = self._current_device()
        kernel = self._cache.get((device, key))
        if kernel is None:
            kernel = self.triton_launch(grid, args, options)  # compiles if needed, and launches
            if kernel is not None:
                self._cache[(device, key)] = kernel
            return kernel
        n = len(grid)
        kernel.run(grid[0], grid[1] if n > 1 else 1, grid[2] if n > 2 else 1, self._stream(device),
                   kernel.function, kernel.packed_metadata, None, None, None, *args)
        self._python_launches += 1
        return kernel


_NATIVE_CLASSES: dict = {}
_LAUNCHERS: weakref.WeakSet = weakref.WeakSet()  # every C launcher (NativeJIT) made, for plans_snapshot
_LAUNCHERS_LOCK = threading.Lock()  # (a thread making a launcher while another iterates them)


def plans_snapshot() -> dict:
    """How many Plans each live C launcher keeps now (see forget_plans_since)."""
    with _LAUNCHERS_LOCK:
        return {launcher: len(launcher.plans) for launcher in list(_LAUNCHERS)}


def forget_plans_since(snapshot: dict) -> None:
    """Drop the Plans that launchers kept after `snapshot` (all of them for a launcher made since), and their
    specializations from the planned ones, so that each gets its Plan again at its next call. Autotuning launches
    up to two dozen specializations of one kernel, which would fill a launcher's Plans (`max_plans`) with
    candidates that lost and leave none for the winner (its calls then take the Python path: ~2x the host time).
    Only Plans are dropped, each with its own key (`_plan_keys`, in step with `plans`): another thread's tuning
    that forgot first, or launched since, leaves nothing planned without a Plan."""
    with _LAUNCHERS_LOCK:
        launchers = list(_LAUNCHERS)
    for launcher in launchers:
        with launcher._plans_lock:
            kept = snapshot.get(launcher, 0)
            dropped = launcher._plan_keys[kept:]
            del launcher.plans[kept:]
            del launcher._plan_keys[kept:]
            launcher._planned.difference_update(dropped)


def native_class(native):
    """FastJIT whose repeat launches run in C (kopt/runtime/native_launch.c): `kernel[grid](...)` goes to the C
    Launcher, which launches a kept Plan that matches the call or calls `slow` (FastJIT's path, Triton's on
    a miss) and keeps a Plan for what Triton built there."""
    cls = _NATIVE_CLASSES.get(native)
    if cls is None:
        from kopt.runtime import launch_records, native_launch

        class NativeJIT(native.Launcher, FastJIT):
            max_plans = 16  # past this many specializations of one kernel, the Python cache serves the rest

            def __init__(self, jit, tensor_type, driver, knobs, compile_errors: tuple = ()):
                FastJIT.__init__(self, jit, tensor_type, driver, knobs, compile_errors)
                # the device and stream getters are bound at the first call (the driver needs a GPU; a build for a
                # target without one makes these too): until then there is no Plan, so they are never called
                native.Launcher.__init__(self, self.slow, _unbound, _unbound, knobs.runtime, jit.pre_run_hooks)
                self._bound = False
                self._planned: set = set()
                self._plan_keys: list = []  # the (device, key) of each of `plans`, in step (forget_plans_since)
                self._plans_lock = threading.Lock()
                with _LAUNCHERS_LOCK:
                    _LAUNCHERS.add(self)

            def _keep(self, plan, key: tuple) -> None:
                """A new Plan, tried after the others, with the specialization it serves."""
                with self._plans_lock:
                    self.plans.append(plan)
                    self._plan_keys.append(key)

            def slow(self, grid, args: tuple, options: dict):
                """A call no Plan took: its first launch in C where Triton's launcher is not needed, else
                Triton's path (keeping a Plan for what Triton built there)."""
                if not self._bound:
                    self._current_device()
                    self.bind(self._device, self._stream)
                    self._bound = True
                kernel = self.first_launch_in_c(grid, args, options)
                if kernel is not None:
                    return kernel
                kernel = self.launch(grid, args, options)
                key = None if callable(grid) or self._hooked() else self.key(args, options)
                if key is not None and len(self.plans) < self.max_plans:
                    device = self._device()
                    if (device, key) not in self._planned and self._cache.get((device, key)) is kernel:
                        self._planned.add((device, key))
                        plan = native_launch.make_plan(native, kernel, self.jit, args, options, device,
                                                       self._tensor, _int_class)
                        if plan is not None:
                            self._keep(plan, (device, key))
                return kernel

            def first_launch_in_c(self, grid, args: tuple, options: dict):
                """The first call of a specialization: from its launch record where kopt kept one (no Triton at all),
                else Triton compiles or loads the kernel (`warmup`: no launch); the C module loads its binary here
                and the call launches through a new Plan, so Triton never builds its
                C launcher for it (a gcc run of ~0.3 s per kernel signature in a fresh process). None where that
                does not apply (hooks, an unusual call, a kernel the C launch does not start, over a limit)."""
                if not native_launch.launchable_grid(grid) or self._hooked() or native_launch.load_hooked(self._runtime):
                    return None
                key = self.key(args, options)
                if key is None or len(self.plans) >= self.max_plans:
                    return None
                device = self._current_device()
                if (device, key) in self._planned or (device, key) in self._cache:
                    return None
                plan = self.plan_from_record(key, args, options, device)
                if plan is not None:
                    self._planned.add((device, key))
                    self._keep(plan, (device, key))
                    launch_records.served += 1
                    return self[grid](*args, **options)
                kernel = self.triton_launch(grid, args, options, warmup=True)
                launch_records.remember(self.jit, key, args, kernel)
                signature = getattr(getattr(kernel, "src", None), "signature", None)
                if not isinstance(signature, dict) or native_launch.plan_codes(self.jit.params, signature, args,
                                                                               _int_class) is None:
                    return None  # arguments the C launch does not pass: not worth a load of the binary
                function = native_launch.load_function(native, kernel, device)
                plan = function and native_launch.make_plan(native, kernel, self.jit, args, options, device,
                                                            self._tensor, _int_class, function)
                if not plan:  # Triton's path launches it, and keeps it (so the next call does not come here)
                    return None
                self._planned.add((device, key))
                self._keep(plan, (device, key))
                self._cache[(device, key)] = kernel
                return self[grid](*args, **options)

            def plan_from_record(self, key: tuple, args: tuple, options: dict, device: int):
                """A Plan for this call from the launch record kopt kept of its specialization (launch_records.py):
                the binary loaded here, neither Triton's JIT nor its driver involved; None where there is none or it
                does not apply."""
                arch = self._arch(device)
                record = arch and launch_records.find(self.jit, key, arch)
                if not record:
                    return None
                coded = native_launch.plan_codes(self.jit.params, record["signature"], args, _int_class)
                if coded is None or coded[0].decode() != record["codes"]:
                    return None
                data = launch_records.binary(record, arch)
                function = data and native_launch.load(native, record["name"], data, record["shared"],
                                                       record["num_warps"], device)
                if not function:
                    return None
                return native.Plan(record, function, 32 * record["num_warps"], record["shared"], device, coded[0],
                                   coded[1], dict(options), self._tensor)

            def _arch(self, device: int) -> int | None:
                try:
                    major, minor = self._capability(device)
                except Exception:  # noqa: BLE001 - a driver that cannot say: no records
                    return None
                return 10 * major + minor

        cls = _NATIVE_CLASSES[native] = NativeJIT
    return cls


def _unbound(*_):
    raise RuntimeError("kopt launch: no device bound yet")


def launcher_class():
    """NativeJIT where the C launcher builds here and KOPT_NATIVE_LAUNCH is not 0, else FastJIT."""
    from kopt.runtime import native_launch

    native = native_launch.module() if native_launch.enabled() else None
    return FastJIT if native is None else native_class(native)


def wrap_module(module, source: str) -> None:
    """Replace each Triton JIT function the generated module launches by a FastJIT (GPU mode only)."""
    import torch
    from triton import knobs
    from triton.compiler.errors import CompilationError
    from triton.runtime.driver import driver
    from triton.runtime.errors import OutOfResources, PTXASError
    from triton.runtime.jit import JITFunction

    errors = (CompilationError, OutOfResources, PTXASError)
    launched = launched_kernels(source)
    cls = launcher_class()
    for name, value in list(vars(module).items()):
        if name in launched and isinstance(value, JITFunction) and hasattr(value, "warmup"):
            setattr(module, name, cls(value, torch.Tensor, driver, knobs, errors))
