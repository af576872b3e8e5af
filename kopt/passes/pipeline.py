"""kopt's pass pipeline: built from an MLIR-style string, editable, and run with hooks.

xDSL's PassPipeline is a frozen dataclass; kopt needs to insert and remove passes
(`insert_after("masking", MyPass())`), so it keeps its own list and reuses xDSL's
pipeline-string parser and pass-option handling. Errors in a pipeline string
point at their column: `<pass-pipeline>:1:12: error: ...` with a caret.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import get_type_hints

from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec, parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException
from xdsl.utils.hints import type_repr

from kopt.errors import KoptError, SourceLoc

DEFAULT_PIPELINE = (
    "decompose,shape-inference,bounds-checks,tiling,batch-to-grid,split-k,unify-extents,resolve-dim-sizes,reciprocal-divisions,"
    "reduction-variants,reduction-lowering,loop-peeling,masking,jagged-masks,mask-elision,canonicalize,lower-to-tt,reread-hints"
)
PIPELINE_FILE = "<pass-pipeline>"  # the "file" pipeline-string diagnostics are located in

Hook = Callable[[ModulePass | None, object, ModulePass | None], None]


def option_infos(cls: type[ModulePass]) -> list[tuple[str, str, object]]:
    """(option name as written in a pipeline, type, default or MISSING) for each option of a pass."""
    hints = get_type_hints(cls)
    return [(f.name.replace("_", "-"), type_repr(hints.get(f.name, f.type)).replace("|", " | "), f.default)
            for f in dataclasses.fields(cls) if f.init and f.name != "name"]


def default_text(default: object) -> str:
    """An option default as a pipeline string would write it (`true`, not `True`); "" when required."""
    if default is dataclasses.MISSING:
        return ""
    return str(default).lower() if isinstance(default, bool) else str(default)


def describe_options(cls: type[ModulePass]) -> str:
    """One line listing a pass's options with types and defaults."""
    infos = option_infos(cls)
    if not infos:
        return f"pass {cls.name!r} takes no options"
    shown = [f"{n}: {t}" + (f" = {default_text(d)}" if d is not dataclasses.MISSING else " (required)")
             for n, t, d in infos]
    return f"options of {cls.name!r}: " + ", ".join(shown)


def _pass_columns(spec: str) -> list[int]:
    """1-based column of each pass name in a pipeline string (commas inside {...} do not split)."""
    cols, depth, start = [], 0, 0
    for i, ch in enumerate(spec + ","):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            piece = spec[start:i]
            cols.append(start + len(piece) - len(piece.lstrip()) + 1)
            start = i + 1
    return cols


def _syntax_error(spec: str, e: ArgSpecParseError) -> KoptError:
    """xDSL's ArgSpecParseError (text with `pass-pipeline:1:COL` and the reason last) -> located KoptError."""
    text = str(e)
    m = re.search(r"pass-pipeline:(\d+):(\d+)", text)
    reason = text.strip().splitlines()[-1].strip() if text.strip() else "syntax error"
    return KoptError(f"bad pass pipeline: {reason[0].lower() + reason[1:]}",
                     SourceLoc(PIPELINE_FILE, 1, int(m.group(2)) if m else 0), source_line=spec,
                     notes=["write `p1,p2{opt=value other=value},p3` (options separated by spaces)"])


def _value_text(values) -> str:
    values = values if isinstance(values, (list, tuple)) else [values]
    return ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)


def _instantiate(cls: type[ModulePass], s: ArgSpec, loc: SourceLoc, spec: str) -> ModulePass:
    """`cls.from_spec(s)`, with every option checked first so that errors name the pass and option."""
    known = {n.replace("-", "_"): (n, t) for n, t, _ in option_infos(cls)}
    given = s.normalize_parameter_names().parameters

    def error(message: str) -> KoptError:
        return KoptError(message, loc, source_line=spec, notes=[describe_options(cls)])

    for key, values in given.items():
        if key not in known:
            raise error(f"pass {s.name!r} has no option {key.replace('_', '-')!r}")
        try:
            cls.from_spec(ArgSpec(s.name, {key: values}))
        except KoptError:  # the pass's own check of its options: already a diagnostic
            raise
        except (Exception, ArgSpecParseError) as e:  # ArgSpecParseError is not an Exception
            if "requires argument" in str(e):  # another option is missing; reported below
                continue
            name, t = known[key]
            got = f"got {_value_text(values)!r}" if _value_text(values) else "got no value"
            raise error(f"option {name!r} of pass {s.name!r} expects {t}, {got}") from None
    try:
        return cls.from_spec(s)
    except KoptError:
        raise
    except (Exception, ArgSpecParseError) as e:
        m = re.search(r'requires argument "(\w+)"', str(e))
        if m:
            raise error(f"pass {s.name!r} needs option {m.group(1).replace('_', '-')!r}") from None
        raise error(f"bad options for pass {s.name!r}: {e}") from None


def _specs(spec: str) -> list:
    try:
        return list(parse_pipeline(spec))
    except ArgSpecParseError as e:  # derives from BaseException, not Exception
        raise _syntax_error(spec, e) from None


def pass_names(spec: str) -> list[str]:
    """The pass names a pipeline spec lists, in order (its syntax checked)."""
    return [s.name for s in _specs(spec)]


def _parse(spec: str) -> list[ModulePass]:
    from kopt.passes.registry import passes_named

    specs = _specs(spec)
    known = passes_named(s.name for s in specs)
    cols = _pass_columns(spec)
    passes = []
    for i, s in enumerate(specs):
        loc = SourceLoc(PIPELINE_FILE, 1, cols[i] if i < len(cols) else 0)
        if s.name not in known:
            raise KoptError(f"unknown pass {s.name!r} in pipeline", loc, source_line=spec,
                            notes=[f"known passes: {', '.join(sorted(known))}",
                                   "see `kopt --list-passes`; a pass from a file needs --load-pass-plugin FILE"])
        passes.append(_instantiate(known[s.name], s, loc, spec))
    return passes


def _plugin_failure(p: ModulePass, e: Exception) -> KoptError | None:
    """A plugin pass that raised: a user-facing error naming the pass and its file (None for kopt's own)."""
    from kopt.passes.registry import line_in, plugin_origin

    origin = plugin_origin(type(p))
    if origin is None:
        return None
    line = line_in(e, origin)
    return KoptError(f"pass {p.name!r} failed: {type(e).__name__}: {e}", SourceLoc(origin, line or 1, 0 if line else 1),
                     notes=["raised from this line of the plugin file" if line else "raised from the plugin file",
                            "run with --debug for the traceback"])


class Pipeline:
    """An ordered, editable list of ModulePass instances, built from a string or from passes."""

    def __init__(self, passes: Iterable[ModulePass] = ()):
        self.passes: list[ModulePass] = list(passes)

    @classmethod
    def parse(cls, spec: str = DEFAULT_PIPELINE) -> "Pipeline":
        """Build from `"p1,p2{opt=value},p3"`; any registered pass (plugins included) may appear."""
        return cls(_parse(spec))

    @classmethod
    def default(cls) -> "Pipeline":
        """kopt's default pipeline, DEFAULT_PIPELINE."""
        return cls.parse(DEFAULT_PIPELINE)

    def __str__(self) -> str:
        return ",".join(str(p.pipeline_pass_spec()) for p in self.passes)

    def __repr__(self) -> str:
        return f"Pipeline({str(self)!r})"

    def names(self) -> list[str]:
        """The pass names, in order."""
        return [p.name for p in self.passes]

    def _index(self, name: str) -> int:
        for i, p in enumerate(self.passes):
            if p.name == name:
                return i
        raise KoptError(f"pipeline has no pass {name!r}", notes=[f"it has: {', '.join(self.names())}"])

    @staticmethod
    def _as_passes(p: ModulePass | str) -> list[ModulePass]:
        if isinstance(p, str):
            return _parse(p)
        if not isinstance(p, ModulePass):
            raise KoptError(f"expected a ModulePass instance or a pipeline string, got {p!r}")
        return [p]

    def insert_after(self, name: str, p: ModulePass | str) -> "Pipeline":
        """Insert a pass (or the passes of a pipeline string) after the first pass called `name`."""
        i = self._index(name) + 1
        self.passes[i:i] = self._as_passes(p)
        return self

    def insert_before(self, name: str, p: ModulePass | str) -> "Pipeline":
        """Insert a pass (or the passes of a pipeline string) before the first pass called `name`."""
        i = self._index(name)
        self.passes[i:i] = self._as_passes(p)
        return self

    def append(self, p: ModulePass | str) -> "Pipeline":
        """Add a pass (or the passes of a pipeline string) at the end."""
        self.passes.extend(self._as_passes(p))
        return self

    def remove(self, name: str) -> "Pipeline":
        """Remove the first pass called `name`."""
        del self.passes[self._index(name)]
        return self

    def replace(self, name: str, p: ModulePass) -> "Pipeline":
        """Replace the first pass called `name`."""
        self.passes[self._index(name)] = p
        return self

    def run(self, ctx, module, hook: Hook | None = None) -> None:
        """Apply every pass; `hook(prev, module, next)` runs before, between and after passes.

        A plugin pass that raises becomes a KoptError naming it; one of kopt's own
        passes that raises is an internal error and propagates unchanged.
        """
        prev = None
        for p in self.passes:
            if hook:
                hook(prev, module, p)
            try:
                p.apply(ctx, module)
            except KoptError:
                raise
            except DiagnosticException as e:  # xDSL's PassFailedException, a VerifyException inside a pass, ...
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise KoptError(f"pass {p.name!r} failed: {first}") from e
            except Exception as e:
                failure = _plugin_failure(p, e)
                if failure is None:
                    raise
                raise failure from e
            prev = p
        if hook:
            hook(prev, module, None)
