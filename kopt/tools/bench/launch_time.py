"""``kopt bench launch``: host microseconds per call of a tiny kernel, kopt's launch paths beside Triton's and torch's.

Two figures per row, each a median of rounds:
  back to back   10,000 calls on an idle GPU, one synchronise at the end (the issue's measure). Where the GPU
                 takes longer per tiny kernel than the host per call, the launch queue fills and this times the
                 GPU instead: the table prints that floor (the same kernel 1,000 times in a CUDA graph, GPU time per
                 kernel), and a row at or near it says little about the host.
  host only      256 calls issued while the GPU is kept busy (torch.cuda._sleep before them), timed until the last
                 call returns, before any synchronise: the queue never fills, so this is the host's own time.
The tiny kernel adds 1 to 1024 floats into a given output (no allocation in the call: the allocation is its own
row). Rows:

  torch: torch.add(x, 1, out=)        a torch op: dispatcher + launch
  torch: torch.empty_like(x)          an allocation alone (what an allocating kernel adds)
  triton: JITFunction.run              `kernel[grid](...)` of the same hand-written kernel
  triton: CompiledKernel.run           Triton's compiled launcher alone, everything cached
  kopt: call (C)                       the whole `add_one(x, out)` call, a repeat: replayed by the whole-call memo
                                       (launch_memo.py: the metadata checked, the recorded launch made in C)
  kopt: call (C, no memo)              the same through Kernel.__call__ and the generated host code (the C launch)
  kopt: call (Python launch cache)     the same with KOPT_NATIVE_LAUNCH=0's path
  kopt: call (Triton's path)           the same with KOPT_FAST_LAUNCH=0's path
  kopt: generated launcher alone       the generated host code and the C launch, without Kernel.__call__
  kopt: launch (C)                     the generated launcher's `kernel[grid](...)` alone, on the C path
  kopt: launch (C, driver stubbed)     the same without cuLaunchKernel: the C path's own cost
  kopt: launch (Python launch cache)   `kernel[grid](...)` through fast_launch.FastJIT
  driver alone: cuLaunchKernel         the C launcher's driver call of the same kernel in a loop, its arguments
                                       packed once (Launcher.time_driver): no launch path costs less (both
                                       columns show the one figure)
and where a kopt call's time goes (the profile, from the host-only figures): the memo's checks; without the memo,
Kernel.__call__'s lookup and the generated host code (sizes, strides, grid, checks); the C launch's argument checks
and packing; the driver call.

Usage (GPU): kopt bench launch [--calls N] [--out DIR]   -> a table, launch.csv, launch.txt, launch.png under DIR
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def add_one(x: torch.Tensor, out: torch.Tensor) -> None:
    """out = x + 1, in tiles: the smallest kernel with a load, a store and a mask."""
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile] + 1.0


def per_call_us(fn, calls: int, rounds: int = 5) -> float:
    """Median over `rounds` of host microseconds per call, `calls` calls back to back and one synchronise."""
    for _ in range(200):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) / calls * 1e6)
    return statistics.median(times)


HOST_CALLS = 256  # calls per host-only round: far below the launch queue's depth (about a thousand)
_BUSY_CYCLES = 40_000_000  # the GPU's sleep before a host-only round: ~20 ms at 2 GHz, longer than 256 launches


def host_only_us(fn, calls: int = HOST_CALLS, rounds: int = 21) -> float:
    """Median over `rounds` of host microseconds per call, `calls` calls issued while the GPU sleeps (so that no
    launch waits for a free slot in the queue), timed before the synchronise."""
    for _ in range(50):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(rounds):
        torch.cuda._sleep(_BUSY_CYCLES)
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls * 1e6)
        torch.cuda.synchronize()
    return statistics.median(times)


def gpu_floor_us(x, out, kernels: int = 1000) -> float:
    """GPU microseconds per tiny kernel run one after another with no host in the way: torch.add(x, 1, out=) captured
    `kernels` times in a CUDA graph, replayed, timed with CUDA events (median of 5)."""
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        for _ in range(3):
            torch.add(x, 1.0, out=out)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(kernels):
            torch.add(x, 1.0, out=out)
    graph.replay()
    times = []
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / kernels)
    return statistics.median(times)


def both(fn, calls: int) -> tuple[float, float]:
    return per_call_us(fn, calls), host_only_us(fn)


class _Recorder:
    """Stands in for a generated module's kernel for one call: keeps the grid, arguments and options it got."""

    def __init__(self, inner):
        self.inner, self.seen = inner, None

    def __getitem__(self, grid):
        def run(*args, **options):
            self.seen = (grid, args, options)
            return self.inner[grid](*args, **options)
        return run


def _kopt_paths(x, out):
    """The generated module's globals, its kernel's name, the recorded launch and the three wrappers of it."""
    from triton import knobs
    from triton.compiler.errors import CompilationError
    from triton.runtime.driver import driver
    from triton.runtime.errors import OutOfResources, PTXASError

    from kopt.runtime import fast_launch, native_launch

    add_one(x, out)
    compiled = add_one.compile(x, out)
    namespace = compiled.launcher.__globals__
    name, = (n for n in fast_launch.launched_kernels(compiled.triton_source) if n in namespace)
    current = namespace[name]
    jit = getattr(current, "jit", current)
    errors = (CompilationError, OutOfResources, PTXASError)
    native = native_launch.module()
    paths = {"C": fast_launch.native_class(native)(jit, torch.Tensor, driver, knobs, errors) if native else None,
             "Python launch cache": fast_launch.FastJIT(jit, torch.Tensor, driver, knobs, errors),
             "Triton's path": jit}
    recorder = namespace[name] = _Recorder(current)
    add_one(x, out)
    namespace[name] = current
    return namespace, name, recorder.seen, paths, native


def measure(calls: int) -> tuple[list[tuple[str, float, float]], float]:
    import triton
    import triton.language as tl

    @triton.jit
    def _add_one(x, out, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(out + offs, tl.load(x + offs, mask=offs < n) + 1.0, mask=offs < n)

    n = 1024
    x = torch.randn(n, device="cuda")
    out = torch.empty_like(x)
    rows = [("torch: torch.add(x, 1, out=)", lambda: torch.add(x, 1.0, out=out)),
            ("torch: torch.empty_like(x)", lambda: torch.empty_like(x))]
    kernel = _add_one[(1,)](x, out, n, BLOCK=1024)
    torch.testing.assert_close(out, x + 1)
    from triton.runtime.driver import driver

    stream = driver.active.get_current_stream(driver.active.get_current_device())
    run, fn, meta = kernel.run, kernel.function, kernel.packed_metadata
    rows += [("triton: JITFunction.run", lambda: _add_one[(1,)](x, out, n, BLOCK=1024)),
             ("triton: CompiledKernel.run", lambda: run(1, 1, 1, stream, fn, meta, None, None, None, x, out, n, 1024))]

    namespace, name, (grid, args, options), paths, native = _kopt_paths(x, out)
    timed = [(label, *both(f, calls)) for label, f in rows]
    calls_of = [("C", paths["C"], True), ("C, no memo", paths["C"], False)]
    calls_of += [(label, paths[label], False) for label in ("Python launch cache", "Triton's path")]
    for label, wrapper, memo in calls_of:
        if wrapper is None:
            continue
        namespace[name] = wrapper  # the generated host code launches through this path while it is timed
        add_one.__dict__["_memo"] = [] if memo else None  # the whole-call memo (launch_memo.py): on or off
        out.fill_(0)
        add_one(x, out)
        add_one(x, out)  # (a repeat: the memo keeps it)
        torch.testing.assert_close(out, x + 1)  # every path checked before it is timed
        timed.append((f"kopt: call ({label})", *both(lambda: add_one(x, out), calls)))
        if memo and not add_one.__dict__["_memo"]:
            print("kopt bench launch: the whole-call memo kept nothing (KOPT_CALL_MEMO=0, or no C module)")
    namespace[name] = paths["C"] or paths["Python launch cache"]
    for label in ("C", "Python launch cache"):
        wrapper = paths[label]
        if wrapper is not None:
            launch = wrapper[grid]
            timed.append((f"kopt: launch ({label})", *both(lambda: launch(*args, **options), calls)))
    if native is not None:
        native.set_test_launch(lambda *a: None)
        try:
            launch = paths["C"][grid]
            timed.append(("kopt: launch (C, driver stubbed)", *both(lambda: launch(*args, **options), calls)))
        finally:
            native.set_test_launch(None)
        compiled = add_one.compile(x, out)
        timed.append(("kopt: generated launcher alone (C launch)", *both(lambda: compiled.launcher(x, out), calls)))
        per_launch = [paths["C"].time_driver(calls, grid, *args, **options) for _ in range(5)]
        if None not in per_launch:  # the driver call alone, arguments packed once: what no launch path avoids
            floor = statistics.median(per_launch) / 1e3
            timed.append(("driver alone: cuLaunchKernel, packed once", floor, floor))
    return timed, gpu_floor_us(x, out)


def profile(timed: list[tuple[str, float, float]]) -> list[tuple[str, float]]:
    """Where a kopt call's microseconds go, from differences of the host-only figures (C launch path)."""
    t = {label: host for label, _b2b, host in timed}
    need = ("kopt: call (C)", "kopt: call (C, no memo)", "kopt: generated launcher alone (C launch)",
            "kopt: launch (C)", "kopt: launch (C, driver stubbed)")
    if not all(k in t for k in need):
        return []
    memo, call, launcher, launch, stubbed = (t[k] for k in need)
    return [("with the memo: its metadata checks and the launch's argument list", memo - launch),
            ("without it: Kernel.__call__ (argument kinds, cache lookup)", call - launcher),
            ("without it: generated host code (sizes, strides, grid, checks)", launcher - launch),
            ("C launch: guards and argument packing (driver stubbed, incl. the stub's call)", stubbed),
            ("the driver: cuLaunchKernel (launch less its stubbed run)", launch - stubbed)] + (
        [("the driver alone, timed in a loop (Launcher.time_driver)", t["driver alone: cuLaunchKernel, packed once"]),
         ("the memo's call less the driver alone: kopt's own cost",
          memo - t["driver alone: cuLaunchKernel, packed once"])]
        if "driver alone: cuLaunchKernel, packed once" in t else [])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kopt bench launch", description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=10_000, metavar="N", help="calls per round (default 10000)")
    p.add_argument("--out", default="out/bench", metavar="DIR", help="where launch.csv/.txt/.png go")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("kopt bench launch: needs a CUDA GPU (host time per launch means nothing on Triton's interpreter)",
              file=sys.stderr)
        return 2
    import triton

    timed, floor = measure(args.calls)
    lines = [f"device {torch.cuda.get_device_name()}  triton {triton.__version__}  torch {torch.__version__}",
             f"host us/call: back to back ({args.calls} calls, one synchronise, median of 5) and host only "
             f"({HOST_CALLS} calls while the GPU sleeps, median of 21)",
             f"GPU floor: a tiny kernel after another in a CUDA graph takes {floor:.2f} us of GPU time",
             f"{'path':<48} {'back to back':>12} {'host only':>10}"]
    lines += [f"{label:<48} {b2b:>12.2f} {host:>10.2f}" for label, b2b, host in timed]
    parts = profile(timed)
    if parts:
        lines += ["", "where a kopt call goes (C launch path)"]
        lines += [f"  {label:<78} {us:>6.2f}" for label, us in parts]
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "launch.txt").write_text(text + "\n")
    with open(out / "launch.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "back_to_back_us_per_call", "host_only_us_per_call"])
        w.writerows([(label, f"{b2b:.3f}", f"{host:.3f}") for label, b2b, host in timed])
        w.writerow(["gpu floor (CUDA graph, GPU us per kernel)", f"{floor:.3f}", ""])
    if not args.no_plot:
        _plot(timed, out / "launch.png")
    print(f"wrote {out / 'launch.csv'}, {out / 'launch.txt'}" + ("" if args.no_plot else f", {out / 'launch.png'}"))
    return 0


def _plot(timed, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.4 * len(timed) + 1))
    labels = [label for label, *_ in timed][::-1]
    ax.barh(labels, [host for *_, host in timed][::-1],
            color=["tab:blue" if label.startswith("kopt") else "tab:gray" for label in labels], label="host only")
    ax.scatter([b2b for _, b2b, _ in timed][::-1], labels, color="black", marker="|", s=200, label="back to back")
    ax.axvline(5.0, color="tab:red", linestyle="--", label="5 us target")
    ax.set_xlabel("host microseconds per call")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
