"""`helion._testing` under kopt: `run_example`, `DEVICE`, `HALF_DTYPE` (what Helion's example scripts import).

`run_example(kernel_fn, baseline_fn, args, ...)` checks every kernel against every baseline with
`torch.testing.assert_close` and, on a GPU, prints each one's time (`triton.testing.do_bench`), as Helion's does.
"""

from __future__ import annotations

from kopt.errors import KoptError


def module_getattr(name: str):
    import torch

    if name == "DEVICE":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "HALF_DTYPE":
        return torch.float16
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"`helion._testing.{name}` is a part of Helion that kopt does not model "
                         "(kopt models run_example, DEVICE and HALF_DTYPE)")


def _named(fns, default: str) -> dict:
    return dict(fns) if isinstance(fns, dict) else {default: fns}


def run_example(kernel_fn, baseline_fn, args, kernel_name: str = "helion", baseline_name: str = "torch",
                rtol: float = 1e-2, atol: float = 1e-1, bwd: bool = False, **_ignored) -> dict[str, float]:
    """Check each kernel against each baseline on `args`; on CUDA, time them. Returns name -> ms (GPU only)."""
    import torch

    if bwd:
        raise KoptError("run_example(bwd=True): kopt compiles forward kernels only")
    kernels, baselines = _named(kernel_fn, kernel_name), _named(baseline_fn, baseline_name)
    expected = {name: fn(*args) for name, fn in baselines.items()}
    for name, fn in kernels.items():
        got = fn(*args)
        for base, want in expected.items():
            torch.testing.assert_close(got.to(want.dtype) if torch.is_tensor(got) else got, want, rtol=rtol,
                                       atol=atol, msg=lambda m, name=name, base=base: f"{name} vs {base}: {m}")
    times: dict[str, float] = {}
    if all(not torch.is_tensor(a) or a.is_cuda for a in args) and torch.cuda.is_available():
        import triton.testing

        for name, fn in {**kernels, **baselines}.items():
            times[name] = triton.testing.do_bench(lambda fn=fn: fn(*args))
        fastest = min(times[b] for b in baselines)
        print(f"{'implementation':<20} {'ms':>9} {'speedup':>8}")
        for name, ms in times.items():
            print(f"{name:<20} {ms:9.4f} {fastest / ms:7.2f}x")
    else:
        print(f"run_example: {', '.join(kernels)} match {', '.join(baselines)} (CPU: not timed)")
    return times
