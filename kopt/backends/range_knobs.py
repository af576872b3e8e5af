"""Helion's per-loop knobs (`range_num_stages`, `range_warp_specializes`, ...) as `tl.range` keyword arguments.

Helion's config lists hold one entry per device loop inside the grid loop, in order; kopt numbers those loops the
same way: the tile loops that are not grid dims, by their block number (`_BLOCK_SIZE_i`). Entry j of each list
applies to the j-th of them; loops kopt makes itself (a looped reduction's chunks) take none. Each becomes the
`tl.range` argument Triton's software pipeliner and warp specializer read:

  range_num_stages       int, 0 = Triton's default      -> num_stages=k
  range_unroll_factors   int, 0 = none                  -> loop_unroll_factor=k
  range_warp_specializes bool or None                   -> warp_specialize=_WARP_SPEC, a constexpr the launcher
                                                           sets to 1; where Triton's compiler fails on it (some
                                                           sm_90 builds do) the launch builds the kernel with 0,
                                                           says so once, and keeps to that (fast_launch.py)
  range_flattens         bool or None                   -> flatten=True
  range_multi_buffers    bool or None; False            -> disallow_acc_multi_buffer=True
"""

from __future__ import annotations

from kopt.dialects.plan import TILE
from kopt.errors import KoptError
from kopt.launch.dot_tiles import WARP_SPEC

# knob -> (Triton's argument, how an entry is checked and written; None: the entry adds nothing)
_INT_KNOBS = {"range_num_stages": "num_stages", "range_unroll_factors": "loop_unroll_factor"}
_BOOL_KNOBS = {"range_warp_specializes": ("warp_specialize", True), "range_flattens": ("flatten", True),
               "range_multi_buffers": ("disallow_acc_multi_buffer", False)}
_VALUE = {"warp_specialize": WARP_SPEC}  # an argument whose value is a constexpr (a fallback), not True
KNOBS = (*_INT_KNOBS, *_BOOL_KNOBS)


def range_options(extra: dict) -> tuple[tuple[str, tuple], ...]:
    """The range knobs of a config's Helion fields, checked: ((knob, entries), ...) in a fixed order."""
    out = []
    for knob in KNOBS:
        if knob not in extra or extra[knob] is None:
            continue
        entries = extra[knob]
        if not isinstance(entries, (list, tuple)):
            raise KoptError(f"kopt.Config: {knob} must be a list with one entry per inner loop, not {entries!r}")
        for e in entries:
            ok = (isinstance(e, int) and not isinstance(e, bool) and e >= 0) if knob in _INT_KNOBS \
                else (e is None or isinstance(e, bool))
            if not ok:
                want = "a non-negative int (0: Triton's default)" if knob in _INT_KNOBS else "True, False or None"
                raise KoptError(f"kopt.Config: {knob} entry {e!r} is not {want}")
        out.append((knob, tuple(entries)))
    return tuple(out)


def range_kwargs(plan, options: tuple[tuple[str, tuple], ...]) -> dict[str, str]:
    """Per inner loop's block name (its `tl.range` step), the keyword arguments its `tl.range` gets."""
    if not options:
        return {}
    grid = {b.name for b in plan.grid_blocks()}
    inner = [b.name for b in sorted(plan.of_kind(TILE), key=lambda b: b.index) if b.name not in grid]
    out: dict[str, str] = {}
    for j, name in enumerate(inner):
        parts = []
        for knob, entries in options:
            if j >= len(entries) or entries[j] is None:
                continue
            e = entries[j]
            if knob in _INT_KNOBS:
                if e > 0:
                    parts.append(f"{_INT_KNOBS[knob]}={e}")
            else:
                arg, when = _BOOL_KNOBS[knob]
                if e == when:
                    parts.append(f"{arg}={_VALUE.get(arg, 'True')}")
        if parts:
            out[name] = ", " + ", ".join(parts)
    return out
