"""Run implementations of one kernel over a list of shapes: check, time, report.

For every shape the harness makes seeded random inputs, computes the fp32 torch reference,
times a device copy of the same byte count (the bandwidth ceiling), and then for every
implementation: builds it, times the first call (compilation included), compares the result
with the reference (a mismatch is ``WRONG`` and its timing is dropped) and times it
(``triton.testing.do_bench`` median on CUDA; a perf_counter median on the CPU, for smoke tests).
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import platform
import sys
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch

from kopt.runtime.autotune import median_ms

from . import report, specs
from .peers import Unavailable, copy_callable

Factory = Callable[[tuple], Callable[[], torch.Tensor]]
Timer = Callable[[Callable[[], object]], float]

COPY = "copy"
# Compare at most this many elements at a time: the long-row outputs have 2^31 of them and
# assert_close makes several full-size temporaries.
_CHECK_CHUNK = 1 << 26


@dataclasses.dataclass
class Row:
    """One (shape, implementation) measurement. ``status`` is ``ok``, ``WRONG``,
    ``unavailable: why`` or ``failed: why``; ``rate`` is GB/s or TFLOP/s (see ``BenchRun.unit``)."""

    kernel: str
    dtype: str
    shape: tuple
    impl: str
    status: str
    ms: float | None = None
    rate: float | None = None
    pct_of_copy: float | None = None
    first_call_s: float | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclasses.dataclass
class BenchRun:
    """All rows of one ``run`` plus its context; ``table()`` renders the printed report."""

    kernel: str
    dtype: str
    unit: str
    tag: str
    shapes: list
    impls: list
    rows: list
    header: dict
    files: dict = dataclasses.field(default_factory=dict)

    def row(self, shape, impl) -> Row | None:
        """The row of ``impl`` at ``shape``, or None."""
        return next((r for r in self.rows if r.shape == tuple(shape) and r.impl == impl), None)

    def table(self) -> str:
        """The aligned text report (header, one line per shape, geomeans, notes)."""
        return report.format_table(self)


def cuda_timer(fn, warmup: int = 25, rep: int = 100) -> float:
    """Median milliseconds of ``fn`` by ``triton.testing.do_bench`` (L2 flushed between calls);
    ``warmup`` and ``rep`` are the milliseconds it spends warming up and measuring."""
    import triton.testing

    return float(triton.testing.do_bench(fn, warmup=warmup, rep=rep, return_mode="median"))


def cpu_timer(fn, reps: int = 5) -> float:
    """Median milliseconds of ``reps`` calls after one warm-up; for CPU smoke tests only."""
    fn()
    return median_ms(fn, reps)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return f"{type(exc).__name__}: {line}"[:300]


def compare(out, ref: torch.Tensor, rtol: float, atol: float) -> str | None:
    """None when ``out`` matches ``ref`` within ``rtol`` and ``atol`` times the mean |ref|
    (a scale-free absolute tolerance), else a one-line reason."""
    if not torch.is_tensor(out):
        return f"returned {type(out).__name__}, not a tensor"
    if tuple(out.shape) != tuple(ref.shape):
        return f"shape {tuple(out.shape)} != expected {tuple(ref.shape)}"
    o, r = out.reshape(-1), ref.reshape(-1).to(out.device)
    # 1-norm reduction: no full-size |ref| temporary on the 2^31-element shapes.
    scale = float(torch.linalg.vector_norm(r, 1, dtype=torch.float32)) / max(1, r.numel())
    atol = atol * (scale if scale > 0 else 1.0)
    for i in range(0, max(1, o.numel()), _CHECK_CHUNK):
        try:
            torch.testing.assert_close(o[i:i + _CHECK_CHUNK].float(), r[i:i + _CHECK_CHUNK].float(),
                                       rtol=rtol, atol=atol)
        except AssertionError as exc:
            keep = [ln.strip() for ln in str(exc).splitlines() if ln.startswith(("Mismatch", "Greatest"))]
            return "; ".join(keep) or str(exc).splitlines()[0]
    return None


def _measure(kernel, dt, shape, name, factory, inputs, ref, tol, timer, device, spec, copy_rate) -> Row:
    row = Row(kernel, specs.dtype_name(dt), tuple(shape), name, "ok")
    try:
        _sync(device)
        t0 = time.perf_counter()
        fn = factory(inputs)
        out = fn()
        _sync(device)
        row.first_call_s = time.perf_counter() - t0
    except Unavailable as exc:
        row.status = f"unavailable: {exc}"
        return row
    except Exception as exc:  # noqa: BLE001 - any failure of a peer is reported, not raised
        row.status = f"failed: {_short(exc)}"
        return row
    if ref is not None:
        why = compare(out, ref, *tol)
        if why is not None:
            row.status, row.detail = "WRONG", why
            return row
    del out
    try:
        row.ms = timer(fn)
    except Exception as exc:  # noqa: BLE001
        row.status = f"failed: {_short(exc)}"
        return row
    row.rate = spec.rate(shape, inputs[0].element_size(), row.ms)
    if copy_rate:
        row.pct_of_copy = 100.0 * row.rate / copy_rate
    return row


def environment(device: torch.device) -> dict:
    """Device name, versions and date for the report header (triton is not imported here)."""
    try:
        triton_version = importlib.metadata.version("triton")
    except importlib.metadata.PackageNotFoundError:
        triton_version = "absent"
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({platform.machine()})"
    return {"device": name, "torch": torch.__version__, "triton": triton_version,
            "python": platform.python_version(), "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}


def run(kernel: str, shapes: Sequence[tuple], impls: Mapping[str, Factory], dtype="fp32", *,
        device=None, check: bool = True, copy: bool = True, timer: Timer | None = None,
        out_dir=None, tag: str = "custom", plot: bool = True, echo=print, progress=None) -> BenchRun:
    """Benchmark ``impls`` (name -> factory(inputs) -> callable) of ``kernel`` on ``shapes``.

    ``dtype`` is ``fp32``/``fp16``/``bf16`` or a torch dtype; ``device`` defaults to CUDA when
    available, else the CPU. ``check`` compares every output with the fp32 reference; ``copy``
    adds the copy-bandwidth column (memory-bound kernels only). ``timer(fn) -> ms`` defaults to
    ``cuda_timer`` / ``cpu_timer``. With ``out_dir``, writes ``{kernel}_{dtype}_{tag}.csv``,
    ``.txt`` and (``plot``, matplotlib permitting) ``.png`` there. ``echo`` gets the finished
    table (None: silent); ``progress`` gets one line per shape (default: stderr).
    """
    spec = specs.get_spec(kernel)
    dt = specs.dtype_of(dtype)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    timer = timer or (cuda_timer if device.type == "cuda" else cpu_timer)
    progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    copy = copy and not spec.compute_bound
    names = list(impls) + ([COPY] if copy else [])
    result = BenchRun(kernel, specs.dtype_name(dt), spec.unit, tag, [tuple(s) for s in shapes], names, [],
                      environment(device))
    for i, shape in enumerate(result.shapes):
        inputs = spec.inputs(shape, dt, device)
        ref = spec.reference(inputs) if check else None
        copy_rate = None
        if copy:
            nbytes = int(spec.work(shape, inputs[0].element_size()))
            crow = _measure(kernel, dt, shape, COPY, lambda _: copy_callable(nbytes, dt, device), inputs,
                            None, None, timer, device, spec, None)
            copy_rate = crow.rate
            crow.pct_of_copy = 100.0 if crow.ok else None
        for name, factory in impls.items():
            result.rows.append(_measure(kernel, dt, shape, name, factory, inputs, ref, spec.tolerance(dt),
                                        timer, device, spec, copy_rate))
        if copy:
            result.rows.append(crow)
        del inputs, ref
        if device.type == "cuda":
            torch.cuda.empty_cache()  # long rows: free the last shape's tensors before the next
        progress(report.progress_line(result, shape, i))
        if out_dir is not None:  # a run cut short (a time limit) still leaves the shapes it finished
            report.write_csv(result, report.output_stem(result, Path(out_dir)).with_suffix(".csv"))
    if out_dir is not None:
        result.files = report.write_outputs(result, Path(out_dir), plot=plot, echo=echo)
    if echo is not None:
        echo(result.table())
    return result
