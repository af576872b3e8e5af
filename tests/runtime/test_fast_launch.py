"""FastJIT's launch cache, on stand-ins for Triton's JITFunction and CompiledKernel (the real path
needs a GPU; benchmarks/gpu_corpus_check.py runs every corpus kernel through it there)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import torch

from kopt.runtime.fast_launch import FastJIT


def _triton_type(arg, constexpr: bool) -> str:
    """The type Triton's signature gives an argument (ints equal to 1 become constants)."""
    if constexpr or arg is None or (type(arg) is int and arg == 1):
        return "constexpr"
    if type(arg) is int:
        return "i32" if -(1 << 31) <= arg < 1 << 31 else "i64" if arg < 1 << 63 else "u64"
    return {float: "fp32", bool: "i1"}.get(type(arg)) or "*fp32"


class FakeCompiled:
    def __init__(self, jit, args=(), options=None):
        self.jit, self.function, self.packed_metadata, self.launches = jit, 0xF00D, "meta", []
        self.metadata = SimpleNamespace(num_warps=(options or {}).get("num_warps", 4), num_ctas=1, shared=512,
                                        global_scratch_size=0, profile_scratch_size=0)
        self.src = SimpleNamespace(signature={
            p.name: _triton_type(a, p.is_constexpr) for p, a in zip(jit.params, args)})

    def run(self, g0, g1, g2, stream, function, meta, launch_metadata, enter, exit_, *args):
        self.launches.append(((g0, g1, g2), stream, args))


class FakeJIT:
    """Compiles (a new FakeCompiled) for every specialization Triton would tell apart."""

    def __init__(self, constexpr_flags, names):
        self.params = [SimpleNamespace(is_constexpr=c, name=n) for c, n in zip(constexpr_flags, names)]
        self.arg_names = names
        self.pre_run_hooks = []
        self.slow_calls = 0
        self.compiled: dict = {}

    def __getitem__(self, grid):
        def run(*args, **options):
            self.slow_calls += 1
            return self.compiled.setdefault(repr((args, options)), FakeCompiled(self, args, options))
        return run

    def warmup(self, *args, grid, **options):
        """Compile (or find) without launching."""
        self.builds = getattr(self, "builds", 0) + 1
        return self.compiled.setdefault(repr((args, options)), FakeCompiled(self, args, options))


def make(hooks=None, jit=None, errors=(), cls=FastJIT):
    """A launcher (`cls`: FastJIT, or the C launcher's class) over a fake kernel; `hooks`, the launch-enter hooks'
    list, which the test may change later."""
    jit = jit or FakeJIT([False, False, False, True], ["x", "n", "scale", "BLOCK"])
    runtime = SimpleNamespace(launch_enter_hook=SimpleNamespace(calls=[] if hooks is None else hooks),
                              launch_exit_hook=SimpleNamespace(calls=[]))
    driver = SimpleNamespace(active=SimpleNamespace(get_current_device=lambda: 0,
                                                    get_current_stream=lambda d: 1234))
    return jit, cls(jit, torch.Tensor, driver, SimpleNamespace(runtime=runtime), errors)


def test_second_call_with_the_same_specialization_skips_triton():
    jit, fast = make()
    x = torch.zeros(64)
    first = fast[(3,)](x, 100, 0.5, 128, num_warps=4)
    assert jit.slow_calls == 1 and fast.fast_launches == 0
    again = fast[(5, 2)](x, 200, 0.25, 128, num_warps=4)  # 100 and 200: both i32, neither 1 nor /16
    assert again is first and jit.slow_calls == 1 and fast.fast_launches == 1
    assert first.launches == [((5, 2, 1), 1234, (x, 200, 0.25, 128))]


@pytest.mark.parametrize("change", [
    {"n": 1}, {"n": 112}, {"n": 1 << 31}, {"n": 1 << 63}, {"block": 256}, {"warps": 8},
    {"x": "fp16"}, {"x": "misaligned"},
])
def test_anything_triton_specializes_on_gets_its_own_kernel(change):
    jit, fast = make()
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128, num_warps=4)
    n, block, warps = change.get("n", 100), change.get("block", 128), change.get("warps", 4)
    y = {"fp16": torch.zeros(64, dtype=torch.float16), "misaligned": x[1:]}.get(change.get("x"), x)
    fast[(1,)](y, n, 0.5, block, num_warps=warps)
    assert jit.slow_calls == 2 and fast.fast_launches == 0


@pytest.mark.parametrize("call", [
    lambda f, x: f[(1,)](x, 100, 0.5, BLOCK=128),                # a parameter by keyword
    lambda f, x: f[(1,)](x, None, 0.5, 128),                       # None
    lambda f, x: f[(1,)](x, True, 0.5, 128),                       # a bool
    lambda f, x: f[lambda meta: (1,)](x, 100, 0.5, 128),          # a callable grid
])
def test_unusual_calls_always_take_tritons_path(call):
    jit, fast = make()
    x = torch.zeros(64)
    for _ in range(2):
        call(fast, x)
    assert jit.slow_calls == 2 and fast.fast_launches == 0


def test_launch_hooks_force_tritons_path():
    jit, fast = make(hooks=[print])
    x = torch.zeros(64)
    for _ in range(2):
        fast[(1,)](x, 100, 0.5, 128)
    assert jit.slow_calls == 2 and fast.fast_launches == 0


def test_attributes_of_the_wrapped_kernel_show_through():
    jit, fast = make()
    assert fast.arg_names == ["x", "n", "scale", "BLOCK"] and fast.jit is jit


class Unbuildable(Exception):
    """Stands in for Triton's OutOfResources / CompilationError."""


class RaisingJIT(FakeJIT):
    def __init__(self, error: Exception):
        super().__init__([False, False, False, True], ["x", "n", "scale", "BLOCK"])
        self.__name__ = "_attention_kernel"
        self.error = error

    def __getitem__(self, grid):
        def run(*args, **options):
            raise self.error
        return run


def test_a_kernel_triton_cannot_build_is_a_kopt_error_naming_it():
    from kopt.errors import KoptError

    _, fast = make(jit=RaisingJIT(Unbuildable("out of resource: shared memory, Required: 262144, "
                                              "Hardware limit: 232448\n..")), errors=(Unbuildable,))
    with pytest.raises(KoptError) as info:
        fast[(1,)](torch.zeros(4), 100, 0.5, 128, num_warps=8)
    text = str(info.value)
    assert "Triton could not build `_attention_kernel`" in text and "Hardware limit: 232448" in text
    assert "'num_warps': 8" in text and isinstance(info.value.__cause__, Unbuildable)


def test_other_errors_pass_through_unchanged():
    _, fast = make(jit=RaisingJIT(ZeroDivisionError("not Triton's")), errors=(Unbuildable,))
    with pytest.raises(ZeroDivisionError):
        fast[(1,)](torch.zeros(4), 100, 0.5, 128)


class TwoDUnbuildable(FakeJIT):
    """A kernel with the `_DOT_2D` constexpr whose 2-D form Triton's compiler fails on, and whose
    BLOCK=256 does not fit in shared memory (either form)."""

    def __init__(self):
        super().__init__([False, True, True], ["x", "_DOT_2D", "BLOCK"])
        self.__name__ = "_attention_kernel"
        self.tried = []

    def __getitem__(self, grid):
        def run(*args, **options):
            self.tried.append((args[1], args[2]))
            if args[2] == 256:
                raise Unbuildable("out of resource: shared memory")
            if args[1] == 1:
                raise RuntimeError("PassManager::run failed")
            return super(TwoDUnbuildable, self).__getitem__(grid)(*args, **options)
        return run


def test_the_3d_dot_form_is_built_where_triton_cannot_build_the_2d_one():
    jit, fast = make(jit=TwoDUnbuildable(), errors=(Unbuildable,))
    x = torch.zeros(4)
    with pytest.warns(RuntimeWarning, match="2-D form of the batched dots in `_attention_kernel`"):
        first = fast[(1,)](x, 1, 64)
    assert jit.tried == [(1, 64), (0, 64)] and first is not None
    again = fast[(1,)](x, 1, 64)  # the kept 3-D kernel, launched directly
    assert again is first and fast.fast_launches == 1
    fast[(1,)](x, 1, 128)  # a new specialization goes straight to the 3-D form
    assert jit.tried[2:] == [(0, 128)]


def test_a_resource_limit_is_an_error_and_does_not_switch_the_dot_form():
    from kopt.errors import KoptError

    jit, fast = make(jit=TwoDUnbuildable(), errors=(Unbuildable,))
    with pytest.raises(KoptError, match="out of resource"):
        fast[(1,)](torch.zeros(4), 1, 256)
    assert jit.tried == [(1, 256)] and not fast._dot_3d  # the 2-D form is still tried first


def test_only_the_launched_kernels_are_wrapped_not_a_prod_reductions_combine_function():
    """Triton hashes a kernel's globals: the combine function `_kopt_mul` must stay a JITFunction."""
    import kopt
    from kopt.runtime.fast_launch import launched_kernels
    from tests.reductions.kernels import row_stats

    src = kopt.kernel(row_stats).compile(torch.randn(3, 40)).triton_source
    assert "def _kopt_mul(" in src and "_kopt_mul)" in src
    launched = launched_kernels(src)
    assert "_kopt_mul" not in launched
    assert {n for n in launched if n.startswith("_row_stats_kernel")} and launched <= set(
        re.findall(r"^def (\w+)\(", src, re.M))
