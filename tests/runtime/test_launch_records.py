"""Launch records (kopt/runtime/launch_records.py): a specialization built once (here for sm_90 by Triton's GPU
compiler, as a tuning job's build task does) is launched by a later process's first call with no Triton JIT and no
Triton driver: the record names the binary and how to pass the arguments, the C module loads it.

In a process of its own, without the interpreter (tests/corpus/test_target_build.py says why). The process has no
GPU: its driver is a stand-in that names the device (compute capability 9.0), the C module's `load_binary` a
stand-in that records what it was given, and `set_test_launch` takes the launch. The driver calls themselves
(cuModuleLoadData, cuLaunchKernel) run only on the GPU: benchmarks/gpu_tune_bundle.py measures first calls there."""

from __future__ import annotations

import json

from tests.corpus.test_target_build import _run

SCRIPT = r"""
import json, sys, types
import torch
import kopt
from kopt.runtime import launch_records, native_launch
from kopt.runtime.cache import cache_dir
from kopt.runtime.target_build import build_for_target, gpu_items
from tests.runtime.kernels import softmax

k = kopt.kernel(softmax)
x = torch.randn(37, 1000)
builds = build_for_target(k, x, arch=90)  # the build writes the record
records = sorted((cache_dir() / "launch").glob("*.json"))

# a later "process": the same generated module, its launcher over a stand-in driver and the C module's stand-ins
items, _ = k._key(k._bind((x,), {}))
launcher = k._variant(gpu_items(items), "cuda", k.config).launcher
name = builds[0].kernel
fast = launcher.__globals__[name]
active = types.SimpleNamespace(get_current_device=lambda: 0, get_current_stream=lambda d: 99,
                               get_device_capability=lambda d: (9, 0))
driver = types.SimpleNamespace(_active=active, active=active)  # (made: its getters are used, on a GPU machine too)
fast._driver = driver
fast.jit.warmup = None  # Triton's JIT must not be asked: calling it would fail
loads, launches = [], []
native = native_launch.module()
native.load_binary = lambda *a: loads.append(a) or (0xCAFE, 40, 0, 1024, 232448)
native.set_test_launch(lambda *a: launches.append(a))
x2 = torch.randn(37, 1000)  # another tensor of the same specialization (shape, dtype, alignment)
launcher(x2)
launcher(x2)  # the repeat: the Plan kept, no second load
record = json.loads(records[0].read_text())["value"] if records else {}
binary = launch_records.binary(record, 90) if record else None
print(json.dumps({
    "builds": [(b.kernel, b.ok) for b in builds], "records": len(records), "record": record,
    "loads": [(n, len(data), data == binary, shared, dev) for n, data, shared, dev in loads],
    "launches": [(f, grid, block, shared, stream, len(packed)) for f, grid, block, shared, stream, packed in launches],
    "x2": x2.data_ptr(), "first_packed": int.from_bytes(launches[0][5][:8], "little") if launches else None,
    "native_launches": fast.native_launches, "plans": len(fast.plans), "served": launch_records.served}))
"""


def test_a_specialization_built_for_sm90_is_launched_later_from_its_record_without_triton(tmp_path):
    r = _run(["-c", SCRIPT], tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    (name, ok), = got["builds"]
    rec = got["record"]
    assert ok and got["records"] == 1 and rec["name"] == name and rec["binary"] == f"{name}.cubin"
    # x, out, four strides and two sizes of which... the codes follow Triton's signature: pointers aligned ('P')
    assert rec["codes"].startswith("PP") and set(rec["codes"]) <= set("PpIiLl1c")
    # the binary Triton built, found through the record, loaded once with the kernel's shared memory on device 0
    (loaded_name, size, same, shared, device), = got["loads"]
    assert loaded_name == name and size > 1000 and same and shared == rec["shared"] and device == 0
    # both calls launched in C the function the load returned, with the kernel's block and the driver's stream
    assert [(f, block, stream) for f, _g, block, _s, stream, _n in got["launches"]] == [
        (0xCAFE, 32 * rec["num_warps"], 99)] * 2
    assert got["first_packed"] == got["x2"]  # the first argument passed is x2's data pointer
    assert got["native_launches"] == 2 and got["plans"] == 1 and got["served"] == 1


MISMATCH = SCRIPT.replace("x2 = torch.randn(37, 1000)", "x2 = torch.randn(37, 1008)  # 1008: a multiple of 16, another int class")


def test_a_call_of_another_specialization_finds_no_record_and_goes_to_triton(tmp_path):
    r = _run(["-c", MISMATCH], tmp_path, timeout=300)
    # Triton's JIT was asked (and, stood in by None, failed): no record served a call it does not cover
    assert r.returncode != 0 and "'NoneType' object is not callable" in r.stderr, r.stderr[-3000:]
