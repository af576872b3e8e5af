"""kopt's C launch path (kopt/runtime/native_launch.c), built here with the system C compiler as on a GPU machine,
on the stand-ins for Triton's JITFunction and CompiledKernel of test_fast_launch.py. Everything but the driver
call runs: the plan's guards and argument packing, the choice between kept plans and Triton's path, the
fallbacks. The driver call (cuLaunchKernel, and the retry through Triton's path on a thread with no CUDA context)
runs only on the GPU: benchmarks/gpu_corpus_check.py launches every corpus kernel through it, and `kopt bench
launch` times it."""

from __future__ import annotations

import struct
from types import SimpleNamespace

import pytest
import torch

from kopt.runtime import fast_launch, native_launch
from tests.runtime.test_fast_launch import FakeJIT, make as make_launcher

native = native_launch.module()


@pytest.fixture
def launches():
    """The launches the driver would have made: (function, grid, block, shared, stream, packed argument bytes)."""
    seen = []
    native.set_test_launch(lambda *a: seen.append(a))
    yield seen
    native.set_test_launch(None)


def make(hooks=None, jit=None):
    return make_launcher(hooks, jit, cls=fast_launch.native_class(native))


def test_the_c_launcher_builds_here():
    assert native is not None and fast_launch.launcher_class() is fast_launch.native_class(native)


def test_native_launch_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("KOPT_NATIVE_LAUNCH", "0")
    assert fast_launch.launcher_class() is fast_launch.FastJIT


def test_a_seen_specialization_is_launched_in_c_with_the_arguments_packed(launches):
    jit, fast = make()
    x = torch.zeros(64)
    first = fast[(3,)](x, 100, 0.5, 128, num_warps=4)
    assert jit.slow_calls == 1 and not launches and len(fast.plans) == 1
    again = fast[(5, 2)](x, 200, 0.25, 128, num_warps=4)
    assert again is first and jit.slow_calls == 1 and fast.fast_launches == fast.native_launches == 1
    (function, grid, block, shared, stream, packed), = launches
    assert (function, grid, block, shared, stream) == (0xF00D, (5, 2, 1), 128, 512, 1234)
    # x's pointer, n as i32, scale as fp32, then Triton's two scratch pointers (NULL); BLOCK is a constant
    assert packed == struct.pack("<Qi4xf4xQQ", x.data_ptr(), 200, 0.25, 0, 0)


@pytest.mark.parametrize("change", [
    {"n": 1}, {"n": 112}, {"n": 1 << 31}, {"n": 1 << 63}, {"block": 256}, {"warps": 8},
    {"x": "fp16"}, {"x": "misaligned"}, {"scale": 2}, {"block": 128.0},
])
def test_anything_triton_specializes_on_goes_to_triton_and_gets_its_own_plan(change, launches):
    jit, fast = make()
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128, num_warps=4)
    n, block, warps = change.get("n", 100), change.get("block", 128), change.get("warps", 4)
    y = {"fp16": torch.zeros(64, dtype=torch.float16), "misaligned": x[1:]}.get(change.get("x"), x)
    call = (y, n, change.get("scale", 0.5), block)
    fast[(1,)](*call, num_warps=warps)
    assert jit.slow_calls == 2 and not launches
    fast[(1,)](*call, num_warps=warps)  # now kept: launched in C
    assert jit.slow_calls == 2 and len(launches) == 1


def test_ints_are_packed_at_the_width_triton_built_them_for(launches):
    jit, fast = make()
    x = torch.zeros(64)
    for n in (1 << 40, (1 << 40) + 3, (1 << 63) + 5, -7):
        fast[(1,)](x, n, 0.5, 128)
        fast[(1,)](x, n, 0.5, 128)
    assert [struct.unpack_from(f, p, 8)[0] for (*_, p), f in zip(launches, ("<q", "<q", "<Q", "<i"))] == [
        1 << 40, (1 << 40) + 3, (1 << 63) + 5, -7]
    fast[(1,)](x, 1, 0.5, 128)
    fast[(1,)](x, 1, 0.5, 128)  # n == 1 is a constant of its own kernel: x, scale and the two scratch pointers
    assert launches[-1][5] == struct.pack("<Qf4xQQ", x.data_ptr(), 0.5, 0, 0)


@pytest.mark.parametrize("call", [
    lambda f, x: f[(1,)](x, 100, 0.5, BLOCK=128),                # a parameter by keyword
    lambda f, x: f[(1,)](x, None, 0.5, 128),                       # None
    lambda f, x: f[(1,)](x, True, 0.5, 128),                       # a bool
    lambda f, x: f[lambda meta: (1,)](x, 100, 0.5, 128),          # a callable grid
])
def test_unusual_calls_always_take_tritons_path(call, launches):
    jit, fast = make()
    x = torch.zeros(64)
    for _ in range(2):
        call(fast, x)
    assert jit.slow_calls == 2 and fast.fast_launches == 0 and not launches


@pytest.mark.parametrize("grid", [(0,), (4, 0), [1], (1, 2, 3, 4), (-1,), (1 << 40,)])
def test_grids_the_c_launch_does_not_take_go_to_the_python_cache(grid, launches):
    """An empty grid (Triton's launcher skips it), a list, too many or out-of-range dims."""
    jit, fast = make()
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128)
    fast[grid](x, 100, 0.5, 128)
    assert jit.slow_calls == 1 and fast.native_launches == 0 and fast.fast_launches == 1 and not launches


def test_launch_hooks_installed_later_send_calls_to_triton(launches):
    hooks = []
    jit, fast = make(hooks=hooks)
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128)
    fast[(1,)](x, 100, 0.5, 128)
    hooks.append(print)  # a profiler attaches
    fast[(1,)](x, 100, 0.5, 128)
    jit.pre_run_hooks.append(print)
    hooks.clear()
    fast[(1,)](x, 100, 0.5, 128)
    assert jit.slow_calls == 3 and len(launches) == 1


class ScratchJIT(FakeJIT):
    """Builds kernels that need Triton's global scratch buffer (or, with `ctas`, a cluster of CTAs)."""

    def __init__(self, **metadata):
        super().__init__([False, False, False, True], ["x", "n", "scale", "BLOCK"])
        self.metadata = metadata

    def __getitem__(self, grid):
        run = super().__getitem__(grid)

        def build(*args, **options):
            kernel = run(*args, **options)
            vars(kernel.metadata).update(self.metadata)
            return kernel
        return build


@pytest.mark.parametrize("metadata", [{"global_scratch_size": 64}, {"num_ctas": 2}, {"launch_pdl": True}])
def test_kernels_needing_scratch_or_clusters_keep_tritons_launcher(metadata, launches):
    jit, fast = make(jit=ScratchJIT(**metadata))
    x = torch.zeros(64)
    for _ in range(3):
        fast[(1,)](x, 100, 0.5, 128)
    assert not fast.plans and not launches and jit.slow_calls == 1 and fast.fast_launches == 2  # the Python cache


def test_an_error_in_the_launch_propagates():
    jit, fast = make()
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128)

    def fail(*_):
        raise RuntimeError("kopt launch: CUDA error 700 (an illegal memory access was encountered)")

    native.set_test_launch(fail)
    try:
        with pytest.raises(RuntimeError, match="illegal memory access"):
            fast[(1,)](x, 100, 0.5, 128)
    finally:
        native.set_test_launch(None)


def test_plans_stop_at_max_plans_and_the_python_cache_serves_the_rest(launches, monkeypatch):
    jit, fast = make()
    monkeypatch.setattr(type(fast), "max_plans", 2)
    x = torch.zeros(64)
    for block in (16, 32, 64):
        fast[(1,)](x, 100, 0.5, block)
        fast[(1,)](x, 100, 0.5, block)
    assert len(fast.plans) == 2 and len(launches) == 2 and fast.fast_launches == 3 and jit.slow_calls == 3


def test_without_a_stand_in_for_the_driver_a_cpu_tensor_is_refused():
    """With the real driver (no set_test_launch) a host pointer never reaches a kernel: the plan does not match,
    and the call goes to Triton's path, which says what is wrong."""
    plan = native.Plan("k", 1, 128, 0, 0, b"Pi", (torch.float32, None), {}, torch.Tensor)
    assert plan.pack(torch.zeros(8), 7) is None


def test_a_launcher_that_was_never_initialized_raises_instead_of_crashing():
    bare = native.Launcher.__new__(native.Launcher)
    with pytest.raises(TypeError, match="not initialized"):
        bare[(1,)]()


def test_what_is_not_an_initialized_plan_in_the_list_is_skipped(launches):
    jit, fast = make()
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128)
    fast.plans.insert(0, native.Plan.__new__(native.Plan))
    fast.plans.insert(0, "not a plan")
    fast[(1,)](x, 100, 0.5, 128)
    assert len(launches) == 1 and jit.slow_calls == 1


def test_kernels_with_more_arguments_than_the_c_launch_packs_keep_tritons_launcher(launches):
    names = [f"a{i}" for i in range(native_launch.MAX_ARGS + 2)]
    jit = FakeJIT([False] * len(names), names)
    _, fast = make(jit=jit)
    args = tuple(range(2, len(names) + 2))
    fast[(1,)](*args)
    fast[(1,)](*args)
    assert not fast.plans and not launches and fast.fast_launches == 1  # the Python launch cache


def test_plans_are_collected_with_their_kernels():
    """A Plan holds the kernel, whose function's globals hold the launcher: the collector must free the cycle."""
    import gc
    import weakref

    class Kernel:
        pass

    kernel = Kernel()
    plan = native.Plan(kernel, 1, 128, 0, 0, b"i", (None,), {}, torch.Tensor)
    kernel.cycle = [plan]
    alive = weakref.ref(kernel)
    del kernel, plan
    gc.collect()
    assert alive() is None


def test_plan_codes_follow_tritons_signature():
    params = [SimpleNamespace(name=n, is_constexpr=c) for n, c in
              [("x", False), ("n", False), ("m", False), ("s", False), ("d", False), ("B", True)]]
    x = torch.zeros(8, dtype=torch.float16)
    sig = {"x": "*fp16", "n": "i64", "m": "constexpr", "s": "fp32", "d": "fp64", "B": "constexpr"}
    codes, guards = native_launch.plan_codes(params, sig, (x, 1 << 36, 1, 0.5, 0.5, 64), fast_launch._int_class)
    assert codes == b"PL1fdc" and guards == (torch.float16, None, None, None, None, 64)
    assert native_launch.plan_codes(params, {**sig, "x": "tensordesc<fp16[16]>"}, (x, 1 << 36, 1, 0.5, 0.5, 64),
                                    fast_launch._int_class) is None
    assert native_launch.plan_codes(params, {**sig, "n": "i1"}, (x, True, 1, 0.5, 0.5, 64),
                                    fast_launch._int_class) is None


@pytest.mark.parametrize("args", [
    (torch.zeros(8, dtype=torch.float16), 7, 1, 0.5, 0.5, 64),            # dtype
    (torch.zeros(8)[1:], 7, 1, 0.5, 0.5, 64),                              # alignment
    (torch.zeros(8), 16, 1, 0.5, 0.5, 64),                                 # n divisible by 16
    (torch.zeros(8), 7, 2, 0.5, 0.5, 64),                                  # m no longer 1
    (torch.zeros(8), 7, 1, 0.5, 0.5, 64.0),                                # constexpr 64.0 is not 64
    (torch.zeros(8), 7, 1, 0.5, 0.5, True),                                # nor True 1
    (torch.zeros(8), 7, 1, 1, 0.5, 64),                                    # an int for a float
    (torch.zeros(8), 7, 1, 0.5, 0.5),                                      # one argument short
    (torch.zeros(8).numpy(), 7, 1, 0.5, 0.5, 64),                          # not a tensor
])
def test_a_plan_refuses_arguments_of_another_specialization(args, launches):
    plan = native.Plan("k", 1, 128, 0, 0, b"Pi1fdc", (torch.float32, None, None, None, None, 64), {}, torch.Tensor)
    x = torch.zeros(8)
    assert plan.pack(x, 7, 1, 0.5, 0.5, 64) == struct.pack("<Qi4xf4xdQQ", x.data_ptr(), 7, 0.5, 0.5, 0, 0)
    assert plan.pack(*args) is None


def test_a_plan_rejects_malformed_codes():
    with pytest.raises(ValueError, match="unknown argument code"):
        native.Plan("k", 1, 128, 0, 0, b"Pz", (torch.float32, None), {}, torch.Tensor)
    with pytest.raises(ValueError, match="differ in length"):
        native.Plan("k", 1, 128, 0, 0, b"P", (), {}, torch.Tensor)


class FakeLoader:
    """The C module's `load_binary` on a GPU with these limits: records what it loads."""

    def __init__(self, max_shared=232448, max_threads=1024):
        self.max_shared, self.max_threads, self.loaded = max_shared, max_threads, []

    def __call__(self, name, binary, shared, device):
        self.loaded.append((name, binary, shared, device))
        return (0xBEEF, 32, 0, self.max_threads, self.max_shared)


def make_loading(loader, monkeypatch, **runtime_hooks):
    monkeypatch.setattr(native, "load_binary", loader)
    jit = FakeJIT([False, False, False, True], ["x", "n", "scale", "BLOCK"])
    runtime = SimpleNamespace(launch_enter_hook=None, launch_exit_hook=None, **runtime_hooks)
    driver = SimpleNamespace(active=SimpleNamespace(get_current_device=lambda: 0, get_current_stream=lambda d: 77))
    return jit, fast_launch.native_class(native)(jit, torch.Tensor, driver, SimpleNamespace(runtime=runtime))


def test_a_first_call_is_launched_in_c_without_tritons_launcher(launches, monkeypatch):
    loader = FakeLoader()
    jit, fast = make_loading(loader, monkeypatch)
    x = torch.zeros(64)
    kernel = FakeJIT.warmup(jit, x, 100, 0.5, 128, grid=(1,))  # the kernel as Triton's cache would hand it back
    kernel.name, kernel.kernel = "_k", b"cubin"
    fast[(3,)](x, 100, 0.5, 128)
    assert jit.slow_calls == 0 and loader.loaded == [("_k", b"cubin", 512, 0)]
    assert [(f, g, s) for f, g, _, _, s, _ in launches] == [(0xBEEF, (3, 1, 1), 77)]
    fast[(4,)](x, 200, 0.5, 128)
    assert jit.slow_calls == 0 and len(loader.loaded) == 1 and len(launches) == 2 and fast.native_launches == 2


@pytest.mark.parametrize("case", ["over the shared memory limit", "over the thread limit", "load hooks",
                                  "loaded by Triton"])
def test_a_first_call_goes_to_triton_where_the_c_launch_cannot_load_it(case, launches, monkeypatch):
    loader = FakeLoader(max_shared=256 if case == "over the shared memory limit" else 232448,
                        max_threads=64 if case == "over the thread limit" else 1024)
    hooks = {"kernel_load_start_hook": print} if case == "load hooks" else {}
    jit, fast = make_loading(loader, monkeypatch, **hooks)
    x = torch.zeros(64)
    kernel = FakeJIT.warmup(jit, x, 100, 0.5, 128, grid=(1,))
    kernel.name, kernel.kernel = "_k", b"cubin"
    if case == "loaded by Triton":
        kernel.module = 1
    fast[(1,)](x, 100, 0.5, 128)
    assert jit.slow_calls == 1 and not launches  # Triton's path: it loads the kernel and raises what is wrong


def test_time_driver_needs_a_kept_plan_and_the_real_driver(launches):
    """`kopt bench launch`'s driver-alone figure: None under the CPU tests' stand-in (no driver to time) or where no
    kept Plan matches; a grid that is not a tuple of ints is refused. The timing itself runs on the GPU."""
    jit, fast = make()
    x = torch.zeros(64)
    assert fast.time_driver(10, (1,), x, 100, 0.5, 128, num_warps=4) is None  # never called: no Plan, no getters
    fast[(1,)](x, 100, 0.5, 128, num_warps=4)
    assert fast.time_driver(10, (1,), x, 100, 0.5, 128, num_warps=4) is None and len(launches) == 0
    assert fast.time_driver(10, (1,), x, 100, 0.5, 256, num_warps=4) is None  # another constexpr: no plan
    with pytest.raises(TypeError, match="grid"):
        fast.time_driver(10, lambda meta: (1,), x, 100, 0.5, 128)


def test_plans_kept_after_a_snapshot_are_forgotten_and_made_again_at_the_next_call(launches):
    """What autotuning's candidates leave in a launcher's Plans is dropped when tuning ends
    (fast_launch.forget_plans_since), so the winner is not left on the Python path by a full list."""
    jit, fast = make()
    x = torch.zeros(64)
    for _ in range(2):
        fast[(1,)](x, 100, 0.5, 128, num_warps=4)
    snapshot = fast_launch.plans_snapshot()
    kept = len(fast.plans)
    for block in (256, 512):
        fast[(1,)](x, 100, 0.5, block, num_warps=4)
    assert len(fast.plans) == kept + 2
    fast_launch.forget_plans_since(snapshot)  # before the as-called round
    assert len(fast.plans) == kept
    fast[(1,)](x, 100, 0.5, 512, num_warps=4)  # a finalist's call keeps its Plan again ...
    assert len(fast.plans) == kept + 1
    fast_launch.forget_plans_since(snapshot)  # ... and loses it when tuning ends (a second forget)
    assert len(fast.plans) == kept
    fast[(1,)](x, 100, 0.5, 512, num_warps=4)  # the winner's next call plans it once more
    native_before = fast.native_launches
    fast[(1,)](x, 100, 0.5, 512, num_warps=4)
    assert fast.native_launches == native_before + 1  # launched in C, not left on the Python path
