"""kopt.Config: launch and lowering choices, accepting Helion's field names.

Helion's `reduction_loops=[None]` means a persistent reduction and `[N]` a
looped one with chunk N; kopt's own spelling is `reduction="persistent" |
"looped" | "online"` with `reduction_block=N`. Saying one thing both ways is
an error, as is a field kopt does not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kopt.errors import KoptError

_HELION_ONLY = ("l2_groupings", "pid_type", "indexing", "loop_orders", "flatten_loops", "range_unroll_factors",
                "range_num_stages", "range_multi_buffers", "range_flattens", "static_ranges", "load_eviction_policies")
REDUCTION_MODES = ("persistent", "looped", "online")


@dataclass(frozen=True)
class Config:
    """Block sizes, warps, stages and reduction strategy for one kernel."""

    block_sizes: tuple[int, ...] = ()
    num_warps: int | None = None
    num_stages: int | None = None
    reduction: str | None = None
    reduction_block: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __init__(self, block_sizes=(), num_warps=None, num_stages=None, reduction=None, reduction_block=None,
                 reduction_loops=None, **helion_fields):
        unknown = sorted(set(helion_fields) - set(_HELION_ONLY))
        if unknown:
            raise KoptError(f"kopt.Config: unknown field {unknown[0]!r}",
                            notes=["fields: block_sizes, num_warps, num_stages, reduction, reduction_block, "
                                   "reduction_loops, " + ", ".join(_HELION_ONLY)])
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
        if reduction_block is not None and (reduction_block < 1 or reduction_block & (reduction_block - 1)):
            raise KoptError(f"kopt.Config: reduction_block {reduction_block} is not a positive power of two")
        object.__setattr__(self, "block_sizes", tuple(block_sizes))
        object.__setattr__(self, "num_warps", num_warps)
        object.__setattr__(self, "num_stages", num_stages)
        object.__setattr__(self, "reduction", reduction)
        object.__setattr__(self, "reduction_block", reduction_block)
        object.__setattr__(self, "extra", dict(helion_fields))

    def key(self) -> tuple:
        return (self.block_sizes, self.num_warps, self.num_stages, self.reduction, self.reduction_block,
                tuple(sorted((k, repr(v)) for k, v in self.extra.items())))
