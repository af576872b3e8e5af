"""`kopt FILE.py|FILE.tile|- [options]`: the compiler driver, in the manner of mlir-opt.

The result (Triton source, or IR with --emit) goes to stdout or -o; IR dumps,
timing and diagnostics go to stderr. A .py file is read as an AST, never run,
so emitting source needs neither torch nor triton.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from xdsl.dialects.builtin import ModuleOp

from kopt.errors import KoptError, SourceLoc

EMITS = ("tile", "tt", "triton", "shapes")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kopt", description="Compile kopt kernels (Python DSL or .tile IR) to Triton.")
    p.add_argument("input", nargs="?", help="a .py file with @kopt.kernel functions, a .tile file, or - for stdin")
    p.add_argument("-o", dest="output", help="write the result here instead of stdout")
    p.add_argument("--emit", choices=EMITS, default="triton",
                   help="stop at this level: tile (IR as the frontend built it), tt (after the pipeline), "
                        "triton (source, the default), shapes (symbolic shapes, facts, mask decisions)")
    p.add_argument("--pass-pipeline", help="comma-separated passes with {options}; default: --print-pipeline")
    p.add_argument("--print-after-all", action="store_true", help="print the IR after every pass (stderr)")
    p.add_argument("--print-before-all", action="store_true", help="print the IR before every pass (stderr)")
    p.add_argument("--print-after", action="append", default=[], metavar="PASS", help="print the IR after PASS")
    p.add_argument("--print-before", action="append", default=[], metavar="PASS", help="print the IR before PASS")
    p.add_argument("--print-changed", action="store_true", help="with --print-after*, only passes that changed the IR")
    p.add_argument("--verify-each", dest="verify_each", action="store_true", default=True,
                   help="verify the IR after every pass (default on)")
    p.add_argument("--no-verify-each", dest="verify_each", action="store_false")
    p.add_argument("--timing", action="store_true", help="print a per-stage wall-time table (stderr)")
    p.add_argument("--signature", help='argument types, e.g. "x: f32[M, N], eps: f32"')
    p.add_argument("--assume", action="append", default=[], metavar="FACT",
                   help='a shape fact, e.g. "_m % 128 == 0" or "n == 4096" (repeatable)')
    p.add_argument("--load-pass-plugin", action="append", default=[], metavar="FILE.py",
                   help="load passes from a Python file")
    p.add_argument("--list-passes", action="store_true", help="list every registered pass with its options")
    p.add_argument("--print-pipeline", action="store_true", help="print the default pipeline string")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    p.add_argument("--version", action="store_true", help="print kopt's version")
    return p


def _read_input(path: str) -> tuple[str, str]:
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    except OSError as e:
        raise KoptError(f"cannot read {path!r}: {e.strerror}") from None


def _merge(modules: list[ModuleOp]) -> ModuleOp:
    ops = []
    for m in modules:
        for op in list(m.ops):
            op.detach()
            ops.append(op)
    return ModuleOp(ops)


def build_input(text: str, name: str, signature: str | None, timings: dict) -> ModuleOp:
    """The tile module of a .py file (every kernel, merged) or of a .tile file."""
    t0 = time.perf_counter()
    if name.endswith(".py") or (name == "<stdin>" and "import" in text and "builtin.module" not in text):
        from kopt.frontend.builder import build_module
        from kopt.frontend.infer import infer_specs
        from kopt.frontend.source import from_module_text

        sources = from_module_text(text, name)
        if not sources:
            raise KoptError("no @kopt.kernel function found", SourceLoc(name, 1))
        module = _merge([build_module(src, infer_specs(src, signature)) for src in sources])
    else:
        from kopt.tools.irparse import parse_tile

        module = parse_tile(text, name)
    timings["frontend"] = time.perf_counter() - t0
    return module


def _dump_hook(args, out):
    after_all, before_all = args.print_after_all, args.print_before_all
    after, before = set(args.print_after), set(args.print_before)
    last_text = {}

    def hook(prev, module, nxt):
        if prev is not None and (after_all or prev.name in after):
            text = str(module)
            if not args.print_changed or last_text.get("t") != text:
                out.write(f"// -----// IR Dump After {prev.name} //----- //\n{text}\n\n")
        if nxt is not None and (before_all or nxt.name in before):
            out.write(f"// -----// IR Dump Before {nxt.name} //----- //\n{str(module)}\n\n")
        if args.print_changed:
            last_text["t"] = str(module)

    return hook


def _timing_table(timings: dict[str, float]) -> str:
    total = sum(timings.values())
    rows = [("frontend", timings.get("frontend", 0.0))]
    rows += [(k, v) for k, v in timings.items() if k not in ("frontend", "backend")]
    rows.append(("backend (Triton source)", timings.get("backend", 0.0)))
    lines = ["===" + "-" * 70 + "===", "  kopt execution timing report", "===" + "-" * 70 + "===",
             f"  Total Execution Time: {total * 1000:.2f} ms", "", "  ---Wall Time---  ---Name---"]
    for name, sec in rows:
        pct = 100.0 * sec / total if total else 0.0
        lines.append(f"  {sec * 1000:8.2f} ms ({pct:5.1f}%)  {name}")
    lines.append(f"  {total * 1000:8.2f} ms (100.0%)  Total")
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
    from kopt.passes.registry import available_passes, load_plugin

    for plugin in args.load_pass_plugin:
        load_plugin(plugin)
    if args.version:
        from kopt import __version__

        print(f"kopt {__version__}")
        return 0
    if args.print_pipeline:
        print(DEFAULT_PIPELINE)
        return 0
    if args.list_passes:
        from kopt.tools.passinfo import describe_passes

        print(describe_passes(available_passes()))
        return 0
    if not args.input:
        raise KoptError("no input file", notes=["usage: kopt FILE.py|FILE.tile|- [options]; see kopt --help"])
    pipeline = Pipeline.parse(args.pass_pipeline if args.pass_pipeline is not None else DEFAULT_PIPELINE)
    text, name = _read_input(args.input)
    timings: dict[str, float] = {}
    module = build_input(text, name, args.signature, timings)
    if args.assume:
        from kopt.runtime.compiler import add_facts

        add_facts(module, tuple(args.assume))
    if args.verify_each:
        from kopt.runtime.compiler import verify_after

        verify_after("frontend", module)
    if args.emit == "tile":
        result = str(module) + "\n"
    else:
        from kopt.runtime.compiler import run_pipeline

        run_pipeline(module, pipeline, verify=args.verify_each, hook=_dump_hook(args, sys.stderr), timings=timings)
        if args.emit == "tt":
            result = str(module) + "\n"
        elif args.emit == "shapes":
            from kopt.tools.shapes_report import shapes_report

            result = shapes_report(module)
        else:
            from kopt.backends.triton_codegen import emit_module

            t0 = time.perf_counter()
            result = emit_module(module)
            timings["backend"] = time.perf_counter() - t0
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(result)
    else:
        sys.stdout.write(result)
    if args.timing:
        sys.stderr.write(_timing_table(timings))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from kopt.tools.bench.cli import main as bench_main

        return bench_main(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed its message
        return int(e.code or 0)
    try:
        return run(args)
    except KoptError as e:
        sys.stderr.write(e.format() + "\n")
        if args.debug:
            traceback.print_exc()
        return 1
    except Exception as e:  # an internal error: say so plainly, traceback only when asked
        sys.stderr.write(f"error: internal compiler error: {type(e).__name__}: {e}\n")
        if args.debug:
            traceback.print_exc()
        else:
            sys.stderr.write("note: run with --debug for the traceback, and please report it\n")
        return 1


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
