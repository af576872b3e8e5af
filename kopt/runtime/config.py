"""kopt.Config: launch and lowering choices, accepting Helion's field names.

Helion's `reduction_loops=[None]` means a persistent reduction and `[N]` a
looped one with chunk N; kopt's own spelling is `reduction="persistent" |
"looped" | "online" | "chunked"` with `reduction_block=N`. Saying one thing both ways is
an error. A field that is none of these names a tunable (`hl.register_tunable`): the kernel
refuses a config with a tunable it does not register.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from kopt.backends.range_knobs import range_options
from kopt.dialects.plan import PERSISTENT_PID_TYPES
from kopt.errors import KoptError, caller_loc

TRITON_MAX_NUMEL = 2**20  # triton.TRITON_MAX_TENSOR_NUMEL (kopt/frontend/literals.py says the same)

_HELION_ONLY = ("l2_groupings", "pid_type", "indexing", "loop_orders", "flatten_loops", "range_unroll_factors",
                "range_num_stages", "range_multi_buffers", "range_flattens", "static_ranges", "load_eviction_policies",
                "range_warp_specializes")
REDUCTION_MODES = ("persistent", "looped", "online", "chunked")

# Helion fields kopt accepts (a Helion config runs unchanged) but does not act on yet, with the values that ask for
# what kopt does anyway (one program per tile in flat order, pointer loads, loops as written)
_NOT_YET = {"pid_type": lambda v: v == "flat" or v in PERSISTENT_PID_TYPES,
            "indexing": lambda v: all(i in ("pointer", "tensor_descriptor") for i in ([v] if isinstance(v, str) else v)),
            "loop_orders": lambda v: all(list(o) == sorted(o) for o in v),
            "flatten_loops": lambda v: not any(v), "static_ranges": lambda v: not any(v),
            "load_eviction_policies": lambda v: all(p in ("", None) for p in v)}
_SAID: set = set()


def _say_unused(fields: dict) -> None:
    """One warning per field and value that asks for something kopt does not do yet (what it does instead)."""
    for name, value in fields.items():
        as_kopt = _NOT_YET.get(name)
        try:
            same = as_kopt is None or as_kopt(value)
        except TypeError:  # a malformed value: said as not acted on, like any other
            same = False
        if same or (name, repr(value)) in _SAID:
            continue
        _SAID.add((name, repr(value)))
        warnings.warn(f"kopt.Config: {name}={value!r} is accepted (Helion configs run unchanged) but not acted on "
                      "yet: kopt launches one program per tile in flat (or l2_groupings) order, or persistent "
                      "programs (pid_type persistent_*), with pointer loads (or tensor descriptors where they fit: "
                      "indexing=\"tensor_descriptor\"), "
                      "and runs loops as written", RuntimeWarning, stacklevel=4)


@dataclass(frozen=True)
class Config:
    """Block sizes, warps, stages and reduction strategy for one kernel."""

    block_sizes: tuple[int, ...] = ()
    num_warps: int | None = None
    num_stages: int | None = None
    reduction: str | None = None
    reduction_block: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    tunables: dict = field(default_factory=dict, compare=False, hash=False)  # hl.register_tunable values

    def __init__(self, *args, **kwargs):
        try:
            self._init(*args, **kwargs)
        except KoptError as e:  # a bad field: at the user's `kopt.Config(...)`
            if e.loc is not None:
                raise
            raise KoptError(e.message, caller_loc(), notes=e.notes) from None

    def _init(self, block_sizes=(), num_warps=None, num_stages=None, reduction=None, reduction_block=None,
              reduction_loops=None, **helion_fields):
        # any other field names a tunable (hl.register_tunable): the kernel checks it registers it
        tunables = {k: v for k, v in helion_fields.items() if k not in _HELION_ONLY}
        bad = next((k for k, v in tunables.items() if not isinstance(v, (bool, int, float, str))), None)
        if bad is not None:
            raise KoptError(f"kopt.Config: field {bad!r} is not one kopt knows, and {tunables[bad]!r} is no tunable "
                            "value (a bool, int, float or str)",
                            notes=["fields: block_sizes, num_warps, num_stages, reduction, reduction_block, "
                                   "reduction_loops, " + ", ".join(_HELION_ONLY) + ", and hl.register_tunable names"])
        helion_fields = {k: v for k, v in helion_fields.items() if k in _HELION_ONLY}
        range_options(helion_fields)  # the per-loop knobs are checked here, at the user's Config(...)
        _say_unused(helion_fields)
        if reduction_loops is not None:
            if reduction is not None or reduction_block is not None:
                raise KoptError("kopt.Config: give the reduction either as reduction_loops (Helion) or as "
                                "reduction/reduction_block (kopt), not both")
            loops = list(reduction_loops)
            chunk = loops[0] if loops else None
            reduction, reduction_block = ("persistent", None) if chunk is None else ("looped", int(chunk))
        if reduction is not None and reduction not in REDUCTION_MODES:
            raise KoptError(f"kopt.Config: reduction must be one of {', '.join(REDUCTION_MODES)}, not {reduction!r}")
        for b in tuple(block_sizes):
            if not isinstance(b, int) or b < 1 or b & (b - 1):
                raise KoptError(f"kopt.Config: block size {b!r} is not a positive power of two")
            if b > TRITON_MAX_NUMEL:
                raise KoptError(f"kopt.Config: block size {b} is more than Triton's {TRITON_MAX_NUMEL} (2**20) "
                                "elements per block", notes=["a tile holds the product of its dims' block sizes: "
                                                             "at most 2**20 elements"])
        if reduction_block is not None and (reduction_block < 1 or reduction_block & (reduction_block - 1)):
            raise KoptError(f"kopt.Config: reduction_block {reduction_block} is not a positive power of two")
        object.__setattr__(self, "block_sizes", tuple(block_sizes))
        object.__setattr__(self, "num_warps", num_warps)
        object.__setattr__(self, "num_stages", num_stages)
        object.__setattr__(self, "reduction", reduction)
        object.__setattr__(self, "reduction_block", reduction_block)
        object.__setattr__(self, "extra", dict(helion_fields))
        object.__setattr__(self, "tunables", tunables)

    def __eq__(self, other) -> bool:  # every field, the Helion-only ones and the tunables too
        return isinstance(other, Config) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def key(self) -> tuple:
        return (self.block_sizes, self.num_warps, self.num_stages, self.reduction, self.reduction_block,
                tuple(sorted((k, repr(v)) for k, v in self.extra.items())),
                tuple(sorted((k, repr(v)) for k, v in self.tunables.items())))

    # ------------------------------------------------------------ launch-time vs. compile-time parts

    def launch_overrides(self) -> dict[str, int]:
        """What the generated launcher's `_config` argument takes: block sizes (`block_sizes[i]` is
        `_BLOCK_SIZE_i`, the frontend's numbering of the kernel's tile loops), `num_warps`, `num_stages`.
        Changing these needs no new kopt compile."""
        out: dict[str, int] = {f"_BLOCK_SIZE_{i}": b for i, b in enumerate(self.block_sizes)}
        if self.num_warps:
            out["num_warps"] = self.num_warps
        if self.num_stages:
            out["num_stages"] = self.num_stages
        return out

    def compile_part(self) -> "Config":
        """The fields that change the generated code (reduction strategy, Helion-only fields)."""
        return Config(reduction=self.reduction, reduction_block=self.reduction_block, **self.extra, **self.tunables)

    def to_json(self) -> dict:
        """A JSON-able dict (`Config.from_json` reads it back); Helion-only fields must be JSON-able."""
        out = {"block_sizes": list(self.block_sizes), "num_warps": self.num_warps, "num_stages": self.num_stages,
               "reduction": self.reduction, "reduction_block": self.reduction_block}
        return {**{k: v for k, v in out.items() if v not in (None, [])}, **self.extra, **self.tunables}

    @classmethod
    def from_json(cls, data: dict) -> "Config":
        return cls(**data)

    def __repr__(self) -> str:
        return f"Config({', '.join(f'{k}={v!r}' for k, v in self.to_json().items())})"

