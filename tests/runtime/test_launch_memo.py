"""The whole-call memo (kopt/runtime/native_memo.c, launch_memo.py): a repeat call replayed in C with the new
call's tensors, and everything that must keep a call on the Python path. On the C launcher over the stand-in
kernel of test_fast_launch.py, with `set_test_launch` taking the launches; the driver call and a whole kopt call
replayed on a GPU run in benchmarks/gpu_memo_check.py (against torch) and `kopt bench launch` (its time)."""

from __future__ import annotations

import struct
import threading

import pytest
import torch

import kopt
from kopt.runtime import launch_memo
from tests.runtime import kernels
from tests.runtime.test_native_launch import launches, make, native  # noqa: F401 - the fixture

assert launches  # (the fixture, used by name below)


class Host:
    """Stands in for a kopt kernel: its call runs `host` (the generated host code's part: launches through the C
    launcher); with the memo installed (as on Kernel), a repeat call is replayed."""

    _memo = None

    def __init__(self, host):
        self.host, self.misses = host, 0

    def __call__(self, *args):  # the Python call (Kernel.__call__'s part: it records what the memo may keep)
        self.misses += 1
        if self._memo is not None:
            return launch_memo.record(self, args, lambda: self.host(*args))
        return self.host(*args)


@pytest.fixture(autouse=True)
def python_calls_restored():
    """The memo becomes the `__call__` of the classes it is installed on: put Host's and Kernel's back afterwards,
    so that other tests in this process call kernels as before."""
    from kopt.runtime.kernel import Kernel

    saved = {cls: cls.__dict__["__call__"] for cls in (Host, Kernel)}
    yield
    for cls, call in saved.items():
        setattr(cls, "__call__", call)
    native.record_stop()  # (a test that failed while recording)


def memo_kernel(host):
    launch_memo.install(native, Host)
    k = Host(host)
    k._memo = []
    return k


def packed_pointer(launch) -> int:
    return struct.unpack_from("<Q", launch[5])[0]


def test_a_repeat_call_is_replayed_in_c_with_the_new_calls_tensors(launches):  # noqa: F811
    jit, fast = make()
    k = memo_kernel(lambda x, n: fast[(n // 64,)](x, n, 0.5, 128, num_warps=4) and None)
    x, y = torch.zeros(64), torch.zeros(64)
    fast[(1,)](x, 128, 0.5, 128, num_warps=4)  # a Plan kept, as after a first call
    launches.clear()
    assert k(x, 128) is None and k.misses == 1 and len(k._memo) == 1  # recorded
    assert k._memo[0].guards == ((x.dtype, (64,), None), (128,))  # in place: no device read per call
    assert k(y, 128) is None and k.misses == 1 and k._memo[0].hits == 1  # replayed: the host code did not run
    (f1, g1, *_), (f2, g2, *_) = launches
    assert (f1, g1) == (f2, g2) == (0xF00D, (2, 1, 1))
    assert packed_pointer(launches[0]) == x.data_ptr() and packed_pointer(launches[1]) == y.data_ptr()
    z = torch.zeros(64)
    assert k._memo[0](z, 128) is None and k._memo[0].hits == 2  # an entry replays when called (the autotuner's timing)
    assert packed_pointer(launches[2]) == z.data_ptr() and k.misses == 1
    with pytest.raises(TypeError, match="metadata"):
        k._memo[0](torch.zeros(32), 128)


def test_replay_of_gives_the_entry_a_candidates_call_would_keep(launches):  # noqa: F811
    jit, fast = make()
    fast[(1,)](torch.zeros(64), 128, 0.5, 128, num_warps=4)
    x = torch.zeros(64)
    entry = launch_memo.replay_of((x, 128), lambda: fast[(2,)](x, 128, 0.5, 128, num_warps=4) and None)
    launches.clear()
    entry(x, 128)
    (f, g, *_), = launches
    assert (f, g) == (0xF00D, (2, 1, 1)) and packed_pointer(launches[0]) == x.data_ptr()


@pytest.mark.parametrize("other", [
    lambda: (torch.zeros(32), 128),                     # another shape
    lambda: (torch.zeros(64, dtype=torch.float64), 128),  # another dtype
    lambda: (torch.zeros(128)[::2], 128),                # another stride
    lambda: (torch.zeros(64), 192),                      # another scalar
    lambda: (torch.zeros(64), 128.0),                    # a scalar of another type
])
def test_a_call_with_other_metadata_runs_the_host_code(other, launches):  # noqa: F811
    jit, fast = make()
    k = memo_kernel(lambda x, n: fast[(1,)](x, 100, 0.5, 128) and None)
    k(torch.zeros(64), 128)
    k(*other())
    assert k.misses == 2 and len(k._memo) == 2 and k._memo[0].hits == 0


def test_in_place_mode_keeps_no_call_whose_tensors_are_not_its_arguments(launches, monkeypatch):  # noqa: F811
    monkeypatch.setenv("KOPT_CALL_MEMO", "inplace")
    jit, fast = make()
    made = Host(lambda x: fast[(1,)](torch.zeros(64), 100, 0.5, 128) and None)  # a tensor the host code made
    k = memo_kernel(made.host)
    k(torch.zeros(64))
    k(torch.zeros(64))
    assert k.misses == 2 and not k._memo
    returns_new = memo_kernel(lambda x: fast[(1,)](x, 100, 0.5, 128) and torch.empty(3))  # a new output
    returns_new(torch.zeros(64))
    assert not returns_new._memo
    returns_arg = memo_kernel(lambda x: fast[(1,)](x, 100, 0.5, 128) and x)  # its argument: kept
    x = torch.zeros(64)
    assert returns_arg(x) is x and returns_arg(x) is x and returns_arg._memo[0].hits == 1
    nothing = memo_kernel(lambda x: None)  # no launch
    nothing(torch.zeros(64))
    assert not nothing._memo


def test_a_replay_still_checks_each_launch_and_falls_back(launches):  # noqa: F811
    """The memo checks sizes and strides, not alignment: a misaligned tensor of the same metadata is replayed,
    and the launch's own Plan refuses it, sending it to Triton's path."""
    jit, fast = make()
    k = memo_kernel(lambda x: fast[(1,)](x, 100, 0.5, 128) and None)
    base = torch.zeros(65)
    k(base[:64])
    k(base[1:])  # same shape and stride, not 16-byte aligned
    assert k._memo[0].hits == 1 and jit.slow_calls == 2  # replayed; the launch went to Triton's path


def test_a_launch_is_recorded_once_even_when_its_slow_path_launches_again(launches, monkeypatch):  # noqa: F811
    """A recorded call's launch that takes the slow path (a new specialization: Triton builds it, the first launch
    goes through the new Plan) is one launch to replay, not two."""
    from tests.runtime.test_native_launch import FakeLoader, make_loading

    jit, fast = make_loading(FakeLoader(), monkeypatch)
    x = torch.zeros(64)
    kernel = jit.warmup(x, 100, 0.5, 128, grid=(1,))
    kernel.name, kernel.kernel = "_k", b"cubin"
    native.record_start()
    try:
        fast[(3,)](x, 100, 0.5, 128)  # slow path -> first launch in C -> launch() again
    finally:
        recorded = native.record_stop()
    assert len(launches) == 1 and len(recorded) == 1 and recorded[0][1] == (3,)


def test_recordings_are_per_thread(launches):  # noqa: F811
    jit, fast = make()
    x = torch.zeros(64)
    fast[(1,)](x, 100, 0.5, 128)
    native.record_start()
    try:
        other = threading.Thread(target=lambda: fast[(2,)](x, 100, 0.5, 128))
        other.start()
        other.join()
        fast[(3,)](x, 100, 0.5, 128)
    finally:
        mine = native.record_stop()
    assert [r[1] for r in mine] == [(3,)] and len(launches) == 2  # (the first call went to Triton's path)
    assert native.record_stop() == []  # stopped


def test_a_call_passing_one_tensor_twice_is_not_kept(launches):  # noqa: F811
    """add_one(x, x) recorded would replay add_one(a, b) into a: the guards cannot see the aliasing."""
    jit, fast = make()
    k = memo_kernel(lambda x, out: fast[(1,)](out, 100, 0.5, 128) and None)
    x = torch.zeros(64)
    k(x, x)
    assert not k._memo


def test_a_float_scalar_is_guarded_by_its_bits(launches):  # noqa: F811
    jit, fast = make()
    k = memo_kernel(lambda x, a: fast[(1,)](x, 100, a, 128) and None)
    x = torch.zeros(64)
    k(x, 0.0)
    k(x, -0.0)  # equal to 0.0 in Python, not the same argument: the host code runs again
    assert k.misses == 2 and len(k._memo) == 2


def test_entries_refuse_malformed_input():
    jit, fast = make()
    launch = (fast, (1,), (None,), (0,), (), ())
    with pytest.raises(ValueError, match="no launches"):
        native.Entry(((1,),), (), -1, torch.Tensor)
    with pytest.raises(ValueError, match="does not have"):
        native.Entry(((1,),), (launch,), 3, torch.Tensor)  # a result out of range
    with pytest.raises(ValueError, match="does not have"):
        native.Entry(((1,),), ((fast, (1,), (None,), (5,), (), ()),), -1, torch.Tensor)
    with pytest.raises(ValueError, match="does not have"):
        native.Entry(((1,),), ((fast, (1,), (None,), (-2,), (), ()),), -1, torch.Tensor)  # no allocation -2
    with pytest.raises(ValueError, match="callable, args, kwargs"):
        native.Entry(((1,),), (launch,), -1, torch.Tensor, ((1, (), {}),))
    with pytest.raises(TypeError):
        native.Entry(((1,),), ((object(), (1,), (None,), (0,), (), ()),), -1, torch.Tensor)


# ----------------------------------------------- calls that allocate (the default; not with KOPT_CALL_MEMO=inplace)


@pytest.fixture
def allocating(monkeypatch):
    monkeypatch.delenv("KOPT_CALL_MEMO", raising=False)


def test_a_call_that_allocates_its_output_is_replayed_with_a_new_output(launches, allocating):  # noqa: F811
    jit, fast = make()

    def host(x):
        out = torch.empty_like(x)
        fast[(1,)](out, 100, 0.5, 128)
        return out

    k = memo_kernel(host)
    x = torch.zeros(64)
    first, second, third = k(x), k(x), k(x)
    assert k.misses == 1 and k._memo[0].hits == 2
    assert k._memo[0].guards == ((x.dtype, (64,), None, x.device),)  # the device too: the output is made there
    assert len({first.data_ptr(), second.data_ptr(), third.data_ptr()}) == 3  # a new tensor per call, as the host's
    assert (second.shape, second.stride(), second.dtype, second.device) == (x.shape, x.stride(), x.dtype, x.device)
    assert packed_pointer(launches[-1]) == third.data_ptr()  # the launch wrote into the tensor the call returns


def test_allocations_keep_their_strides_and_a_tuple_result_its_order(launches, allocating):  # noqa: F811
    jit, fast = make()

    def host(x):
        out = torch.empty_strided((8, 8), (1, 8))  # column-major
        stats = torch.empty(8)
        fast[(1,)](out, 100, 0.5, 128)
        fast[(2,)](stats, 100, 0.5, 128)
        return out, x, stats

    k = memo_kernel(host)
    x = torch.zeros(64)
    k(x)
    out, same_x, stats = k(x)
    assert k._memo[0].hits == 1 and same_x is x and out.stride() == (1, 8) and stats.shape == (8,)
    assert [packed_pointer(launch) for launch in launches[-2:]] == [out.data_ptr(), stats.data_ptr()]


@pytest.mark.parametrize("host", [
    lambda fast, x: (lambda out: fast[(1,)](out[1:], 100, 0.5, 128) and out)(torch.empty(65)),  # a view launched
    lambda fast, x: (lambda out: fast[(1,)](out, 100, 0.5, 128) and out[1:])(torch.empty(64)),  # a view returned
    lambda fast, x: fast[(1,)](x[1:], 100, 0.5, 128) and None,  # a view of an argument
])
def test_views_are_not_remade(host, launches, allocating):  # noqa: F811
    jit, fast = make()
    k = memo_kernel(lambda x: host(fast, x))
    k(torch.zeros(64))
    assert not k._memo


def test_inplace_mode_keeps_calls_that_allocate_on_the_python_path(launches, monkeypatch):  # noqa: F811
    monkeypatch.setenv("KOPT_CALL_MEMO", "inplace")
    jit, fast = make()
    k = memo_kernel(lambda x: (lambda out: fast[(1,)](out, 100, 0.5, 128) and out)(torch.empty_like(x)))
    k(torch.zeros(64))
    assert not k._memo and not launch_memo.allocating()


# ------------------------------------------------------------------ which generated launchers are pure


def test_generated_host_code_that_only_reads_metadata_is_pure():
    for fn, args in ((kernels.add_one, (torch.zeros(37), torch.zeros(37))), (kernels.softmax, (torch.zeros(5, 9),))):
        compiled = kopt.kernel(fn).compile(*args)
        assert launch_memo.pure(compiled), fn.__name__


@pytest.mark.parametrize("body", ["x.sum()", "x.item()", "x.zero_()", "torch.cumsum(x, 0)", "print(x)",
                                  "(lambda: 1)()", "x.data_ptr()", "a = float(x[0])", "a = min(x, 3)",
                                  "b = 1 if x else 2", "y = x * 2", "y = x"])
def test_host_code_that_reads_data_or_has_effects_is_not(body):
    source = f"def launch(x, out):\n    n = x.size(0)\n    {body}\n    _k[(cdiv(n, 128),)](x, out, n, 128)\n"
    assert launch_memo.host_is_pure(source.replace(body, "pass"), "launch")
    assert not launch_memo.host_is_pure(source, "launch")


def test_the_memo_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("KOPT_CALL_MEMO", "0")
    k = Host(lambda: None)
    launch_memo.attach(k)
    assert "_memo" not in k.__dict__


def test_an_instance_without_a_memo_takes_the_python_call(launches):  # noqa: F811
    jit, fast = make()
    launch_memo.install(native, Host)
    plain = Host(lambda x: fast[(1,)](x, 100, 0.5, 128) and None)
    x = torch.zeros(64)
    plain(x)
    plain(x)
    assert plain.misses == 2 and plain._memo is None and isinstance(Host.__dict__["__call__"], native.MemoCall)
    assert plain.__call__(x) is None and plain.misses == 3  # the attribute binds, as a method does


def test_a_kernel_gets_the_memo_on_its_class_and_its_instance():
    from kopt.runtime.kernel import Kernel

    k = kopt.kernel(kernels.add_one)
    launch_memo.attach(k)
    assert k._memo == [] and isinstance(Kernel.__dict__["__call__"], native.MemoCall)
    x = torch.randn(37)
    out = torch.empty(37)
    k(x, out)  # on the CPU (the interpreter): the Python call, nothing recorded (not a GPU repeat)
    k(x, out)
    torch.testing.assert_close(out, x + 1)
    assert k._memo == [] and k.cache_info().hits == 1


def test_which_calls_of_a_kernel_may_be_recorded():
    """Kernel.__call__ records a call for the memo only as an ordinary repeat on the GPU (launch_memo.may_record)."""
    from types import SimpleNamespace

    pure, impure = SimpleNamespace(_pure_host=True), SimpleNamespace(_pure_host=False)
    kernel = SimpleNamespace(_memo=[])
    x = torch.zeros(8)

    def may(entry, memo=()):
        kernel._memo = memo if memo is None else list(memo)
        return launch_memo.may_record(kernel, (x,), entry)

    assert may((pure, None, (), "cuda", ()))
    assert not may((impure, None, (), "cuda", ()))                  # host code that is not pure
    assert not may((pure, None, (), "cpu", ()))                     # the interpreter
    assert not may((pure, None, (), "cuda", ((0, 0),)))             # a broadcast variant may be chosen
    assert not may((pure, {}, (), "cuda", ()))                      # tuned, this size's choice not made yet
    assert may((impure, {(torch.Size([8]),): (pure, {})}, (), "cuda", ()))  # the tuned choice's host code counts
    assert not may((pure, {(torch.Size([8]),): (impure, {})}, (), "cuda", ()))
    assert not may((pure, None, (), "cuda", ()), memo=None)         # no memo (KOPT_CALL_MEMO=0, no C module)
    assert not may((pure, None, (), "cuda", ()), memo=[0] * launch_memo.MAX_ENTRIES)  # full
