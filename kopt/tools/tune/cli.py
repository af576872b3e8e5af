"""``kopt tune KERNEL...``: autotune kernels ahead of time for every GPU kind of a fleet.

Example: ``kopt tune examples/softmax.py examples/matmul.py --shapes small --arch 90 --ray local --export
kernels.tar``. The report goes to stdout, the progress bar to stderr. docs/tuning-at-scale.md.
"""

from __future__ import annotations

import argparse
import json
import sys

from kopt.errors import KoptError


def _pairs(values: list[str], flag: str) -> list[tuple[str | None, str]]:
    """`K=V` (per kernel) or `V` (every kernel) entries of a repeatable flag."""
    out = []
    for v in values or []:
        key, eq, rest = v.partition("=")
        if eq and key and "[" not in key:
            out.append((key, rest))
        elif flag == "--shapes":
            out.append((None, v))
        else:
            raise KoptError(f"kopt tune: {flag} {v!r}: write {flag} KERNEL=...")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kopt tune", description=__doc__.splitlines()[0])
    p.add_argument("kernels", nargs="*", metavar="KERNEL",
                   help="FILE.py (its @kopt.kernel functions) or FILE.py:NAME; a shape log may name them instead")
    p.add_argument("--shapes", action="append", default=[], metavar="[K=]NAME",
                   help="a named shape set of kopt bench (tritonbench, norm, matmul, small, ...), for every kernel "
                        "or for kernel K (repeatable)")
    p.add_argument("--shape", action="append", default=[], metavar="K=AxB[xC]",
                   help="one shape for kernel K, through its known argument layout (repeatable)")
    p.add_argument("--args", action="append", default=[], metavar="K=SPEC",
                   help="kernel K's arguments, e.g. attention='f16[8,1024,64],f16[8,1024,64],f16[8,1024,64]' "
                        "(repeatable)")
    p.add_argument("--shape-log", action="append", default=[], metavar="FILE",
                   help="the calls a run recorded with KOPT_RECORD_SHAPES=FILE (repeatable)")
    p.add_argument("--dtype", metavar="fp32|fp16|bf16", help="dtype of --shapes/--shape arguments "
                                                              "(default fp32; fp16 for matmul and attention)")
    p.add_argument("--ray", metavar="ADDRESS", help="run on this Ray cluster, or 'local' for one started here")
    p.add_argument("--workers", type=int, metavar="N",
                   help="without --ray: local worker processes for the builds (0: this process; default: one per "
                        "CPU); with --ray local: the cluster's CPUs")
    p.add_argument("--arch", action="append", type=int, default=[], metavar="SM",
                   help="build for this GPU arch (90: H100/H200), GPU or not (repeatable; default: the GPUs' own)")
    p.add_argument("--timing", choices=("auto", "cuda", "cpu", "none"), default="auto",
                   help="where candidates are timed: cuda (one actor per GPU), cpu (the Triton interpreter, for "
                        "tests), none (builds only); auto: cuda when there are GPUs, else none")
    p.add_argument("--timing-actors", type=int, default=1, metavar="N", help="with --timing cpu: how many")
    p.add_argument("--max-candidates", type=int, metavar="N", help="at most N candidates per (kernel, bucket) "
                                                                  "(default 24)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="stop the job after this long (what finished "
                                                                     "is kept)")
    p.add_argument("--cache-dir", metavar="DIR", help="gather into this cache (default: kopt's, KOPT_CACHE_DIR)")
    p.add_argument("--export", metavar="OUT.tar", help="then write the bundle (kopt cache export)")
    p.add_argument("--report", metavar="FILE.json", help="write the report as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``kopt tune``; returns the exit status (1: a mistake, said in one line)."""
    try:
        return _main(argv)
    except SystemExit as exc:  # argparse's --help and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KoptError as e:
        sys.stderr.write(e.format() + "\n")
        return 1


def _main(argv: list[str] | None) -> int:
    from kopt.tools.tune import tune

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    per_set = _pairs(args.shapes, "--shapes")
    shape_set: str | dict | None = None
    if per_set and all(k is None for k, _ in per_set) and len(per_set) == 1:
        shape_set = per_set[0][1]
    elif per_set:
        if any(k is None for k, _ in per_set):
            raise KoptError("kopt tune: give one --shapes NAME for every kernel, or --shapes K=NAME per kernel")
        shape_set = dict(per_set)
    shapes: dict[str, list] = {}
    for k, v in _pairs(args.shape, "--shape"):
        from kopt.tools.tune.plan import parse_shape

        shapes.setdefault(k, []).append(parse_shape(v))
    given_args: dict[str, list] = {}
    for k, v in _pairs(args.args, "--args"):
        given_args.setdefault(k, []).append(v)
    report = tune(args.kernels, shapes=shapes or None, shape_set=shape_set, args=given_args or None,
                  shape_log=args.shape_log, dtype=args.dtype, ray=args.ray, workers=args.workers, archs=args.arch,
                  timing=args.timing, timing_actors=args.timing_actors, max_candidates=args.max_candidates,
                  time_limit=args.time_limit, cache_dir=args.cache_dir, export=args.export,
                  progress=not args.no_progress)
    print(report.summary())
    if report.exported:
        m = report.exported
        print(f"exported {args.export}: {m['compiled']} compiled kernels, {m['tuned']} tuned configs, "
              f"{m['triton_kernels']} Triton binaries ({', '.join(m['archs']) or 'no GPU arch'})")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report.to_json(), f, indent=1, default=str)
    return 0
