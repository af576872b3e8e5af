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


USAGE = "usage: kopt FILE.py|FILE.tile|- [options]; see kopt --help"


class _UsageError(Exception):
    """argparse's complaint about the command line, before it is located in it."""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad command line is a KoptError like every other mistake (exit 1, one line)."""

    def error(self, message: str):
        raise _UsageError(message)


class CommandLine:
    """The command line as one line of text, `kopt ARG ...`: errors about its words are located in it
    (`<command line>:1:COL`, the line and a caret under the word)."""

    FILE = "<command line>"

    def __init__(self, argv: list[str]):
        import shlex

        self.argv = argv
        self.words = [shlex.quote(a) for a in argv]
        self.text = " ".join(["kopt", *self.words])
        self.starts, col = [], len("kopt") + 2
        for w in self.words:
            self.starts.append(col)
            col += len(w) + 1

    def error(self, message: str, index: int | None = None, offset: int = 0, notes=()) -> KoptError:
        """An error at argv word `index` (`offset` characters into it), or past the end when None."""
        if index is None or not 0 <= index < len(self.argv):
            col = len(self.text) + 2
        else:
            quoted = self.words[index] != self.argv[index]  # shlex.quote puts the word in '...'
            col = self.starts[index] + (offset + 1 if quoted and offset else offset)
        return KoptError(message, SourceLoc(self.FILE, 1, col), notes=notes, source_line=self.text)

    def flag(self, flag: str, value: str | None = None) -> tuple[int | None, int]:
        """(argv index, offset) of a flag's value (`--emit=x` or `--emit x`), or of the flag when no value
        matches; (None, 0) when the flag is not there."""
        found = None
        for i, a in enumerate(self.argv):
            name, eq, rest = a.partition("=")
            if name == flag or (name.startswith("--") and len(name) > 2 and flag.startswith(name)):  # argparse
                if eq and (value is None or rest == value):  # takes unambiguous prefixes (`--emi=x`)
                    return i, len(name) + 1
                if not eq and i + 1 < len(self.argv) and (value is None or self.argv[i + 1] == value):
                    return i + 1, 0
                found = (i, 0) if found is None else found
        return found or (None, 0)

    def flag_error(self, flag: str, value: str | None, message: str, notes=()) -> KoptError:
        index, offset = self.flag(flag, value)
        return self.error(message, index, offset, notes)

    def input_index(self) -> int | None:
        """The argv index of the input file (the positional argument), as argparse reads it."""
        takes_value = {"-o", "--emit", "--pass-pipeline", "--print-after", "--print-before", "--signature",
                       "--assume", "--load-pass-plugin"}
        i = 0
        while i < len(self.argv):
            a = self.argv[i]
            if a in takes_value:
                i += 2
                continue
            if a == "-" or not a.startswith("-"):
                return i
            i += 1
        return None

    def usage_error(self, message: str) -> KoptError:
        """argparse's message, at the word it is about."""
        import re

        notes = [USAGE]
        if m := re.match(r"unrecognized arguments: (\S+)", message):
            word = m.group(1)
            index = next((i for i, a in enumerate(self.argv) if a == word), None)
            return self.error(message, index, notes=notes)
        if m := re.match(r"argument ([^:]+): invalid choice: '([^']*)'", message):
            flags = m.group(1).split("/")
            index, offset = next((self.flag(f, m.group(2)) for f in flags if self.flag(f)[0] is not None), (None, 0))
            return self.error(message, index, offset, notes)
        if m := re.match(r"argument ([^:]+):", message):
            flags = m.group(1).split("/")
            index = next((i for i, a in reversed(list(enumerate(self.argv)))
                          if a in flags or a.split("=", 1)[0] in flags), None)
            return self.error(message, index, notes=notes)
        if m := re.match(r"ambiguous option: (\S+)", message):
            word = m.group(1).split("=", 1)[0]
            index = next((i for i, a in enumerate(self.argv) if a.split("=", 1)[0] == word), None)
            return self.error(message, index, notes=notes)
        return self.error(message, None, notes=notes)


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


def _read_input(path: str, cmd: CommandLine) -> tuple[str, str]:
    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise cmd.error(f"cannot read {path!r}: {e.strerror or e}", cmd.input_index()) from None
        try:
            text, name = raw.decode("utf-8-sig"), path  # (a BOM, as Python allows one)
        except UnicodeDecodeError as e:  # at the first byte that is not UTF-8
            before = raw[: e.start].decode("utf-8", "replace")
            line = before.count("\n") + 1
            col = len(before) - (before.rfind("\n") + 1) + 1
            shown = raw.decode("utf-8", "replace").splitlines()
            raise KoptError(f"the file is not UTF-8 text: byte 0x{raw[e.start]:02x} cannot start or continue a "
                            "character", SourceLoc(path, line, col), source_line=shown[line - 1] if shown else "",
                            notes=["kopt reads .py and .tile files as UTF-8"]) from None
    if "\0" in text:  # Python and the IR parser both refuse NUL bytes: say where the first one is
        before = text[: text.index("\0")]
        line = before.count("\n") + 1
        raise KoptError("the file contains a NUL byte", SourceLoc(name, line, len(before) - (before.rfind("\n") + 1) + 1),
                        source_line=text.splitlines()[line - 1].replace("\0", " "),
                        notes=["a kernel file is text: .py source or .tile IR"])
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
    from kopt.frontend.signature import entry_offsets, parse_signature, signature_error

    params = {a.arg for src in sources for a in src.fn.args.args}
    offsets = entry_offsets(signature)
    for arg in parse_signature(signature):
        if arg not in params:
            kernels = "; ".join(f"{s.fn.name}({', '.join(a.arg for a in s.fn.args.args)})" for s in sources)
            raise signature_error(signature, offsets.get(arg, 0), f"no kernel in {name} has an argument `{arg}`",
                                  f"the kernels: {kernels}")


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


def build_input(text: str, name: str, signature: str | None, timings: dict, cmd: CommandLine | None = None) -> ModuleOp:
    """The tile module of a .py file (every kernel, merged) or of a .tile file."""
    t0 = time.perf_counter()
    if _is_python(text, name):
        from kopt.frontend.builder import build_module, check_params
        from kopt.frontend.infer import infer_specs
        from kopt.frontend.source import from_module_text

        sources = from_module_text(text, name)
        if not sources:
            raise KoptError("no @kopt.kernel function found", SourceLoc(name, 1, 1),
                            notes=["kopt compiles the functions decorated with @kopt.kernel (or @helion.kernel)"])
        _check_signature_names(signature, sources, name)
        for src in sources:  # `*args`, `yield`: said before rank inference can stumble on them
            check_params(src)
        module = _merge([build_module(src, infer_specs(src, signature)) for src in sources])
    else:
        from kopt.dialects.parse import parse_tile

        if signature:
            message = "--signature applies to a .py kernel; a .tile file states its types in the IR"
            if cmd is None:
                raise KoptError(message, SourceLoc(name, 1, 1))
            raise cmd.flag_error("--signature", None, message)
        module = parse_tile(text, name)
    timings["frontend"] = time.perf_counter() - t0
    return module


def _check_pass_names(option: str, names: list[str], known: dict, cmd: CommandLine) -> None:
    for n in names:
        if n not in known:
            raise cmd.flag_error(option, n, f"{option}: unknown pass {n!r}",
                                 notes=[f"known passes: {', '.join(sorted(known))}"])


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


def _write(path: str | None, text: str, cmd: CommandLine) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise cmd.flag_error("-o", path, f"cannot write {path!r}: {e.strerror}") from None


def run(args, cmd: CommandLine | None = None) -> int:
    """Carry out a parsed command line; user mistakes raise KoptError (main prints them)."""
    import os

    from kopt.dialects import ir_text
    from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
    from kopt.passes.registry import available_passes, load_plugin

    cmd = cmd or CommandLine([])
    for plugin in args.load_pass_plugin:
        if not os.path.isfile(plugin):
            what = "is a folder, not a .py file" if os.path.isdir(plugin) else "does not exist"
            raise cmd.flag_error("--load-pass-plugin", plugin, f"pass plugin {plugin!r} {what}",
                                 notes=["give the path of a .py file that registers passes with "
                                        "@kopt.passes.register_pass"])
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
    _check_pass_names("--print-after", args.print_after, available_passes(), cmd)
    _check_pass_names("--print-before", args.print_before, available_passes(), cmd)
    if not args.input:
        raise cmd.error("no input file", None, notes=[USAGE])
    t_start = time.perf_counter()
    text, name = _read_input(args.input, cmd)
    timings: dict[str, float] = {}
    module = build_input(text, name, args.signature, timings, cmd)
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
        from kopt.runtime.limits import check_tile_numel

        check_tile_numel(module)  # literal sizes past Triton's 2**20 elements per tile: said here, located
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
    _write(args.output, result, cmd)
    if args.timing:
        sys.stderr.write(_timing_table(timings, pipeline.names(), time.perf_counter() - t_start))
    return 0


_ONCE = ("--signature", "--emit", "-o", "--pass-pipeline")  # flags argparse lets a later copy win


def _no_repeated_flags(cmd: CommandLine) -> None:
    """A flag that takes one value, given twice, is an error at the second (`<command line>:1:COL`), where argparse
    would silently keep the last."""
    seen: set[str] = set()
    for i, arg in enumerate(cmd.argv):
        flag = arg.split("=", 1)[0]
        if flag in _ONCE:
            if flag in seen:
                raise cmd.error(f"{flag} is given twice", i, notes=[f"give {flag} once"])
            seen.add(flag)


def main(argv: list[str] | None = None) -> int:
    """Run the `kopt` command with these arguments; returns the exit code (0, or 1 on any error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from kopt.tools.bench.cli import main as bench_main

        return bench_main(argv[1:])
    if argv[:1] == ["tune"]:  # autotuning ahead of time, for a fleet (docs/tuning-at-scale.md)
        from kopt.tools.tune.cli import main as tune_main

        return tune_main(argv[1:])
    if argv[:1] == ["cache"]:  # bundles: kopt cache export / import / info
        from kopt.tools.cache_cli import main as cache_main

        return cache_main(argv[1:])
    debug = "--debug" in argv
    cmd = CommandLine(argv)
    try:
        _no_repeated_flags(cmd)
        try:
            args = _parser().parse_args(argv)
        except _UsageError as e:
            raise cmd.usage_error(str(e)) from None
        return run(args, cmd)
    except SystemExit as e:  # --help and --version-like exits from argparse
        return int(e.code or 0)
    except KoptError as e:
        if e.loc is None:  # a mistake no stage could place: at the input it came from, on the command line
            e = cmd.error(e.message, cmd.input_index(), notes=e.notes)
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
