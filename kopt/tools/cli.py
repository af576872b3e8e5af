"""`kopt FILE.py|FILE.tile|- [options]`: the compiler driver, in the manner of mlir-opt.

The result (Triton source, or IR with --emit) goes to stdout or -o; IR dumps,
timing and diagnostics go to stderr. A .py file is read as an AST, never run,
so emitting source needs neither torch nor triton. Every user mistake is a
KoptError: one `file:line:col: error:` line, exit code 1, no traceback unless --debug.
"""

from __future__ import annotations

import argparse
import linecache
import sys
import time
import traceback

from xdsl.dialects.builtin import ModuleOp

from kopt.errors import KoptError, SourceLoc

EMITS = ("tile", "tt", "triton", "shapes")


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad command line is a KoptError like every other mistake (exit 1, one line)."""

    def error(self, message: str):
        raise KoptError(message, notes=["usage: kopt FILE.py|FILE.tile|- [options]; see kopt --help"])


def _parser() -> argparse.ArgumentParser:
    p = _ArgumentParser(prog="kopt", description="Compile kopt kernels (Python DSL or .tile IR) to Triton.")
    p.add_argument("input", nargs="?", help="a .py file with @kopt.kernel functions, a .tile file, or - for stdin")
    p.add_argument("-o", dest="output", metavar="FILE", help="write the result here instead of stdout")
    p.add_argument("--emit", choices=EMITS, default="triton",
                   help="stop at this level: tile (IR as the frontend built it), tt (after the pipeline), "
                        "triton (source, the default), shapes (symbolic shapes, facts, mask decisions)")
    p.add_argument("--pass-pipeline", metavar="PIPELINE",
                   help='comma-separated passes with {options}, e.g. "decompose,reduction-lowering{mode=persistent}"; '
                        "default: the output of --print-pipeline")
    p.add_argument("--print-after-all", action="store_true", help="print the IR after every pass (stderr)")
    p.add_argument("--print-before-all", action="store_true", help="print the IR before every pass (stderr)")
    p.add_argument("--print-after", action="append", default=[], metavar="PASS", help="print the IR after PASS (repeatable)")
    p.add_argument("--print-before", action="append", default=[], metavar="PASS", help="print the IR before PASS (repeatable)")
    p.add_argument("--print-changed", action="store_true",
                   help="print the IR after each pass that changed it (with --print-after=PASS: only those passes)")
    p.add_argument("--verify-each", dest="verify_each", action="store_true", default=True,
                   help="verify the IR after every pass (the default)")
    p.add_argument("--no-verify-each", dest="verify_each", action="store_false", help="do not verify between passes")
    p.add_argument("--timing", action="store_true", help="print a per-pass wall-time table (stderr)")
    p.add_argument("--signature", help='argument types, e.g. "x: f32[M, N], eps: f32"')
    p.add_argument("--assume", action="append", default=[], metavar="FACT",
                   help='a shape fact, e.g. "_m %% 128 == 0" or "n == 4096" (repeatable)')
    p.add_argument("--load-pass-plugin", action="append", default=[], metavar="FILE.py",
                   help="load passes from a Python file (repeatable)")
    p.add_argument("--list-passes", action="store_true", help="list every registered pass with its options")
    p.add_argument("--print-pipeline", action="store_true",
                   help="print the pipeline (the default one, or --pass-pipeline's) and exit")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    p.add_argument("--version", action="store_true", help="print kopt's version")
    return p


def _read_input(path: str) -> tuple[str, str]:
    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            with open(path, encoding="utf-8") as f:
                text, name = f.read(), path
        except (OSError, UnicodeDecodeError) as e:
            raise KoptError(f"cannot read {path!r}: {getattr(e, 'strerror', None) or e}") from None
    # diagnostics print the offending source line through linecache; stdin has no file behind it
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    return text, name


def _merge(modules: list[ModuleOp]) -> ModuleOp:
    ops = []
    for m in modules:
        for op in list(m.ops):
            op.detach()
            ops.append(op)
    return ModuleOp(ops)


def _is_python(text: str, name: str) -> bool:
    if name == "<stdin>":
        return ("import" in text or "def " in text) and "builtin.module" not in text
    return name.endswith(".py")


def _check_signature_names(signature: str | None, sources, name: str) -> None:
    """A --signature entry that matches no kernel argument is a typo, not something to ignore."""
    if not signature:
        return
    from kopt.frontend.signature import parse_signature

    params = {a.arg for src in sources for a in src.fn.args.args}
    for arg in parse_signature(signature):
        if arg not in params:
            kernels = "; ".join(f"{s.fn.name}({', '.join(a.arg for a in s.fn.args.args)})" for s in sources)
            raise KoptError(f"--signature: no kernel in {name} has an argument `{arg}`",
                            notes=[f"the kernels: {kernels}"])


def _check_assumptions(facts: list[str], module: ModuleOp) -> None:
    """Each --assume must read as a fact and name only sizes some kernel has: a typo is an error at its column
    (`<assume>:1:COL`), not a fact about nothing."""
    import re

    from kopt.analysis import FactBase
    from kopt.dialects.sizes import SizeAttr
    from kopt.dialects.tile import KernelOp
    from kopt.dialects.types import RangeType, TensorType

    known: set[str] = set()
    for op in module.ops:
        if not isinstance(op, KernelOp):
            continue
        for inner in op.walk():
            for v in (*inner.results, *(a for r in inner.regions for b in r.blocks for a in b.args)):
                t = v.type
                if isinstance(t, TensorType):
                    known |= {n for d in (*t.dims, *t.stride_names) for n in SizeAttr(d).names}
                elif isinstance(t, RangeType):
                    known |= SizeAttr(t.extent.data).names | SizeAttr(t.block.data).names
        known |= {b.name for b in op.plan.blocks}
    for text in facts:
        try:
            FactBase().assume_text(text)
        except KoptError as e:
            raise KoptError(f"--assume: {e.message}", SourceLoc("<assume>", 1, 1), notes=e.notes,
                            source_line=text) from None
        for m in re.finditer(r"[A-Za-z_]\w*", text):
            name = m.group(0)
            if name not in known and name not in ("is", "a", "power", "of", "next_power_of_2") \
                    and not name.startswith("_BLOCK_SIZE_"):
                raise KoptError(f"--assume: no kernel has a size named `{name}`", SourceLoc("<assume>", 1, m.start() + 1),
                                notes=[f"sizes here: {', '.join(sorted(known)) or 'none'}"], source_line=text)


def build_input(text: str, name: str, signature: str | None, timings: dict) -> ModuleOp:
    """The tile module of a .py file (every kernel, merged) or of a .tile file."""
    t0 = time.perf_counter()
    if _is_python(text, name):
        from kopt.frontend.builder import build_module
        from kopt.frontend.infer import infer_specs
        from kopt.frontend.source import from_module_text

        sources = from_module_text(text, name)
        if not sources:
            raise KoptError("no @kopt.kernel function found", SourceLoc(name, 1))
        _check_signature_names(signature, sources, name)
        module = _merge([build_module(src, infer_specs(src, signature)) for src in sources])
    else:
        from kopt.dialects.parse import parse_tile

        if signature:
            raise KoptError("--signature applies to a .py kernel; a .tile file states its types in the IR")
        module = parse_tile(text, name)
    timings["frontend"] = time.perf_counter() - t0
    return module


def _check_pass_names(option: str, names: list[str], known: dict) -> None:
    for n in names:
        if n not in known:
            raise KoptError(f"{option}: unknown pass {n!r}", notes=[f"known passes: {', '.join(sorted(known))}"])


def _dump_hook(args, out):
    """print-before/after(-all) and print-changed, as one pipeline callback (MLIR's dump headers)."""
    after_all = args.print_after_all or (args.print_changed and not args.print_after)
    after, before = set(args.print_after), set(args.print_before)
    before_text: list[str | None] = [None]

    from kopt.dialects import ir_text

    def hook(prev, module, nxt):
        text = ir_text(module) if (args.print_changed or after_all or after or before or args.print_before_all) else ""
        if prev is not None and (after_all or prev.name in after):
            if not args.print_changed or before_text[0] != text:
                out.write(f"// -----// IR Dump After {prev.name} //----- //\n{text}\n\n")
        if nxt is not None and (args.print_before_all or nxt.name in before):
            out.write(f"// -----// IR Dump Before {nxt.name} //----- //\n{text}\n\n")
        before_text[0] = text

    return hook


def _timing_table(timings: dict[str, float], pass_names: list[str], total: float) -> str:
    """MLIR's -mlir-timing list view: one row per pass (in pipeline order), frontend, backend, rest, total."""
    rows = [("frontend", timings.get("frontend", 0.0))]
    rows += [(n, timings[n]) for n in dict.fromkeys(pass_names) if n in timings]
    rows += [(label, timings[key]) for key, label in (("verifier", "verifier"), ("backend", "backend (Triton source)"))
             if key in timings]
    rows.append(("rest (dumps, output)", max(0.0, total - sum(sec for _, sec in rows))))
    lines = ["===" + "-" * 70 + "===", "  kopt execution timing report", "===" + "-" * 70 + "===",
             f"  Total Execution Time: {total * 1000:.2f} ms", "", "  ---Wall Time---  ---Name---"]
    for name, sec in rows:
        pct = 100.0 * sec / total if total else 0.0
        lines.append(f"  {sec * 1000:8.2f} ms ({pct:5.1f}%)  {name}")
    lines.append(f"  {total * 1000:8.2f} ms (100.0%)  Total")
    return "\n".join(lines) + "\n"


def _write(path: str | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise KoptError(f"cannot write {path!r}: {e.strerror}") from None


def run(args) -> int:
    """Carry out a parsed command line; user mistakes raise KoptError (main prints them)."""
    from kopt.dialects import ir_text
    from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
    from kopt.passes.registry import available_passes, load_plugin

    for plugin in args.load_pass_plugin:
        load_plugin(plugin)
    if args.version:
        import xdsl

        from kopt import __version__

        print(f"kopt {__version__} (xDSL {getattr(xdsl, '__version__', '?')}, Python {sys.version.split()[0]})")
        return 0
    if args.list_passes:
        from kopt.tools.passinfo import describe_passes

        print(describe_passes(available_passes()))
        return 0
    pipeline = Pipeline.parse(args.pass_pipeline if args.pass_pipeline is not None else DEFAULT_PIPELINE)
    if args.print_pipeline:
        print(str(pipeline) if args.pass_pipeline is not None else DEFAULT_PIPELINE)
        return 0
    _check_pass_names("--print-after", args.print_after, available_passes())
    _check_pass_names("--print-before", args.print_before, available_passes())
    if not args.input:
        raise KoptError("no input file", notes=["usage: kopt FILE.py|FILE.tile|- [options]; see kopt --help"])
    t_start = time.perf_counter()
    text, name = _read_input(args.input)
    timings: dict[str, float] = {}
    module = build_input(text, name, args.signature, timings)
    if args.assume:
        from kopt.runtime.compiler import add_facts

        _check_assumptions(args.assume, module)
        add_facts(module, tuple(args.assume))
    if args.verify_each:
        from kopt.runtime.compiler import verify_after

        t0 = time.perf_counter()
        verify_after("frontend" if _is_python(text, name) else "parser", module)
        timings["verifier"] = time.perf_counter() - t0
    if args.emit == "tile":
        result = ir_text(module) + "\n"
    else:
        from kopt.runtime.compiler import run_pipeline

        if args.emit == "shapes":  # the report reads tile-level shapes and mask notes: stop before lower-to-tt
            from kopt.tools.shapes_report import shapes_pipeline

            pipeline = shapes_pipeline(pipeline)
        run_pipeline(module, pipeline, verify=args.verify_each, hook=_dump_hook(args, sys.stderr), timings=timings)
        if args.emit == "tt":
            result = ir_text(module) + "\n"
        elif args.emit == "shapes":
            from kopt.tools.shapes_report import shapes_report

            result = shapes_report(module)
        else:
            from kopt.backends.triton_codegen import emit_module

            t0 = time.perf_counter()
            result = emit_module(module)
            timings["backend"] = time.perf_counter() - t0
    _write(args.output, result)
    if args.timing:
        sys.stderr.write(_timing_table(timings, pipeline.names(), time.perf_counter() - t_start))
    return 0


_ONCE = ("--signature", "--emit", "-o", "--pass-pipeline", "--load-pass-plugin")  # flags argparse lets a later copy win


def _no_repeated_flags(argv: list[str]) -> None:
    """A flag that takes one value, given twice, is an error at the second (`<command line>:1:COL`), where argparse
    would silently keep the last."""
    line = " ".join(argv)
    seen: dict[str, int] = {}
    col = 0
    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in _ONCE:
            if flag in seen:
                raise KoptError(f"{flag} is given twice", SourceLoc("<command line>", 1, col + 1),
                                notes=[f"give {flag} once"], source_line=line)
            seen[flag] = col
        col += len(arg) + 1


def main(argv: list[str] | None = None) -> int:
    """Run the `kopt` command with these arguments; returns the exit code (0, or 1 on any error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from kopt.tools.bench.cli import main as bench_main

        return bench_main(argv[1:])
    debug = "--debug" in argv
    try:
        _no_repeated_flags(argv)
        return run(_parser().parse_args(argv))
    except SystemExit as e:  # --help and --version-like exits from argparse
        return int(e.code or 0)
    except KoptError as e:
        sys.stderr.write(e.format() + "\n")
        if debug:
            traceback.print_exc()
        return 1
    except Exception as e:  # an internal error: say so plainly, traceback only when asked
        sys.stderr.write(f"error: internal compiler error: {type(e).__name__}: {e}\n")
        if debug:
            traceback.print_exc()
        else:
            sys.stderr.write("note: run with --debug for the traceback, and please report it\n")
        return 1


def entry() -> None:
    """The `kopt` console script."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
