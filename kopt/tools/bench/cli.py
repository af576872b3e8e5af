"""``kopt bench KERNEL``: compare kopt with its peers on a named shape set.

Example: ``kopt bench softmax --shapes tritonbench --dtype fp32,fp16``: a table on stdout, CSV/TXT/PNG under
``--out`` (default ``out/bench``, git-ignored; copy a run worth keeping to ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import shapes as shape_sets

KERNELS = ("softmax", "layer_norm", "rms_norm", "cross_entropy", "matmul", "attention", "causal_attention")
PEERS = ("torch", "compile", "triton", "quack", "helion", "naive")


def _csv_list(values: list[str] | None) -> list[str]:
    out = []
    for v in values or []:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kopt bench``."""
    p = argparse.ArgumentParser(prog="kopt bench", description=__doc__.splitlines()[0],
                                epilog="`kopt bench compile --help`: kopt's compile times on the CPU; "
                                       "`kopt bench launch --help`: host time per launch (GPU)")
    p.add_argument("kernel", metavar="KERNEL", choices=KERNELS, help=f"one of {', '.join(KERNELS)}")
    p.add_argument("--shapes", metavar="NAME",
                   help=f"shape set ({', '.join(shape_sets.SHAPE_SETS)}); default per kernel: "
                        + ", ".join(f"{k} {v}" for k, v in shape_sets.DEFAULT_SET.items()))
    p.add_argument("--dtype", action="append", metavar="fp32|fp16|bf16",
                   help="repeatable or comma list (default fp32; fp16 for matmul and attention)")
    p.add_argument("--peers", metavar="LIST",
                   help=f"comma list from {','.join(PEERS)}, or 'none' (default: every peer of the kernel)")
    p.add_argument("--no-kopt", action="store_true", help="leave kopt's own implementations out")
    p.add_argument("--kopt-pipeline", action="append", default=[], metavar="LABEL=PIPELINE",
                   help="also time kopt's kernel compiled with this pipeline, as LABEL (repeatable): a change's "
                        "before and after in one process")
    p.add_argument("--out", default="out/bench", metavar="DIR", help="where CSV/TXT/PNG go (default out/bench, "
                                                                         "git-ignored)")
    p.add_argument("--limit", type=int, metavar="K", help="only the first K shapes (smoke tests)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    p.add_argument("--no-check", action="store_true", help="skip the comparison with torch")
    p.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    p.add_argument("--warmup-ms", type=int, default=25, metavar="MS", help="do_bench warm-up per timing (CUDA)")
    p.add_argument("--rep-ms", type=int, default=100, metavar="MS", help="do_bench measuring time per timing (CUDA)")
    p.add_argument("--timer", choices=("do_bench", "graph"), default="do_bench",
                   help="CUDA timing: do_bench (median, L2 flushed; a launch's CPU cost leaks into kernels of a "
                        "few us) or graph (CUDA graph of flush+call minus flushes: GPU time alone)")
    return p


def _select_interpreter_mode(device: str | None) -> None:
    # On the CPU the Triton peers run through the interpreter, which has to be chosen before
    # triton is first imported (kopt/runtime/mode.py says why).
    if "triton" in sys.modules or "TRITON_INTERPRET" in os.environ:
        return
    import torch

    if device == "cpu" or (device is None and not torch.cuda.is_available()):
        os.environ["TRITON_INTERPRET"] = "1"


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``kopt bench``; returns the exit status (0 ok, 2 bad arguments) rather
    than exiting, so that it can be called in-process."""
    try:
        return _main(argv)
    except SystemExit as exc:  # argparse's --help and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compile"]:  # `kopt bench compile`: compile times, not kernel times
        from .compile_time import main as compile_main

        return compile_main(argv[1:])
    if argv[:1] == ["launch"]:  # `kopt bench launch`: host time per call, not kernel times
        from .launch_time import main as launch_main

        return launch_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    compute_bound = args.kernel in ("matmul", "attention", "causal_attention")  # (specs imports torch: not yet)
    dtypes = _csv_list(args.dtype) or (["fp16"] if compute_bound else ["fp32"])
    bad = [d for d in dtypes if d not in ("fp32", "fp16", "bf16")]
    if bad:
        parser.error(f"unknown dtype(s) {', '.join(bad)}")
    tag = args.shapes or shape_sets.default_shape_set(args.kernel)
    try:
        shapes = shape_sets.get_shapes(tag, args.kernel)
    except (KeyError, ValueError) as exc:
        parser.error(str(exc).strip("'\""))
    if args.limit is not None:
        shapes = shapes[: max(0, args.limit)]
    names = None if args.peers is None else [n for n in _csv_list([args.peers]) if n != "none"]
    if names:
        bad = [n for n in names if n not in PEERS]
        if bad:
            parser.error(f"unknown peer(s) {', '.join(bad)}; known: {', '.join(PEERS)}")

    _select_interpreter_mode(args.device)
    import torch

    from . import harness, peers
    from .kopt_impl import kopt_impls

    impls = {} if args.no_kopt else dict(kopt_impls(args.kernel))
    for item in args.kopt_pipeline:
        label, sep, spec = item.partition("=")
        if not (sep and label and spec):
            parser.error(f"--kopt-pipeline wants LABEL=PIPELINE, not {item!r}")
        impls.update(kopt_impls(args.kernel, pipeline=spec, label=label))
    impls.update(peers.peers_for(args.kernel, names))
    if not impls:
        parser.error("nothing to run: no kopt implementation and no peer selected")
    for dt in dtypes:
        timer = None
        if args.device != "cpu" and torch.cuda.is_available():
            if args.timer == "graph":
                from kopt.runtime.autotune import cuda_timer as timer  # graph; do_bench if no capture
            elif (args.warmup_ms, args.rep_ms) != (25, 100):
                timer = lambda fn: harness.cuda_timer(fn, args.warmup_ms, args.rep_ms)  # noqa: E731
        run = harness.run(args.kernel, shapes, impls, dt, device=args.device, check=not args.no_check,
                          out_dir=args.out, tag=tag, plot=not args.no_plot, timer=timer)
        for kind, path in run.files.items():
            print(f"wrote {kind}: {path}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
