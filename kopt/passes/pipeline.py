"""kopt's pass pipeline: built from an MLIR-style string, editable, and run with hooks.

xDSL's PassPipeline is a frozen dataclass; kopt needs to insert and remove passes
(`insert_after("masking", MyPass())`), so it keeps its own list and reuses xDSL's
pipeline-string parser and pass-option handling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import PassFailedException

from kopt.errors import KoptError

DEFAULT_PIPELINE = (
    "decompose,shape-inference,tiling,reduction-lowering,masking,mask-elision,canonicalize,lower-to-tt"
)

Hook = Callable[[ModulePass | None, object, ModulePass | None], None]


def _parse(spec: str) -> list[ModulePass]:
    from kopt.passes.registry import available_passes

    known = available_passes()
    passes = []
    try:
        specs = list(parse_pipeline(spec))
    except BaseException as e:  # ArgSpecParseError derives from BaseException
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise KoptError(f"bad pass pipeline {spec!r}: {e}",
                        notes=["write `p1,p2{opt=value other=value},p3` (options separated by spaces)"]) from None
    for s in specs:
        if s.name not in known:
            raise KoptError(f"unknown pass {s.name!r} in pipeline",
                            notes=[f"known passes: {', '.join(sorted(known))}", "see `kopt --list-passes`"])
        try:
            passes.append(known[s.name].from_spec(s))
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            raise KoptError(f"bad options for pass {s.name!r}: {e}",
                            notes=["see `kopt --list-passes` for each pass's options"]) from None
    return passes


class Pipeline:
    """An ordered, editable list of ModulePass instances."""

    def __init__(self, passes: Iterable[ModulePass] = ()):
        self.passes: list[ModulePass] = list(passes)

    @classmethod
    def parse(cls, spec: str = DEFAULT_PIPELINE) -> "Pipeline":
        return cls(_parse(spec))

    @classmethod
    def default(cls) -> "Pipeline":
        return cls.parse(DEFAULT_PIPELINE)

    def __str__(self) -> str:
        return ",".join(str(p.pipeline_pass_spec()) for p in self.passes)

    def names(self) -> list[str]:
        return [p.name for p in self.passes]

    def _index(self, name: str) -> int:
        for i, p in enumerate(self.passes):
            if p.name == name:
                return i
        raise KoptError(f"pipeline has no pass {name!r}", notes=[f"it has: {', '.join(self.names())}"])

    def insert_after(self, name: str, p: ModulePass) -> "Pipeline":
        self.passes.insert(self._index(name) + 1, p)
        return self

    def insert_before(self, name: str, p: ModulePass) -> "Pipeline":
        self.passes.insert(self._index(name), p)
        return self

    def remove(self, name: str) -> "Pipeline":
        del self.passes[self._index(name)]
        return self

    def replace(self, name: str, p: ModulePass) -> "Pipeline":
        self.passes[self._index(name)] = p
        return self

    def run(self, ctx, module, hook: Hook | None = None) -> None:
        """Apply every pass; `hook(prev, module, next)` runs before, between and after passes."""
        prev = None
        for p in self.passes:
            if hook:
                hook(prev, module, p)
            try:
                p.apply(ctx, module)
            except KoptError:
                raise
            except PassFailedException as e:
                raise KoptError(f"pass {p.name!r} failed: {e}") from None
            prev = p
        if hook:
            hook(prev, module, None)
