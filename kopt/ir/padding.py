"""What a value holds in the lanes past a range's end (its padding), and which `other` a load should read there.

A reduction over a range whose last block may overhang needs those lanes to hold its neutral element. masking
(kopt/passes/masking.py) fills them (`tile.mask_fill`, a select per lane) unless the value already holds it there.
This module answers that question by walking back to the loads, through ops that say what they make of their
operands' padding (`CarriesPadding`, `MovesLanes`), and picks each load's `other` so that as many reductions as
possible need no fill. Softmax is the case it is for: x read with -inf past the row's end gives its max no fill, and
`exp(x - max(x))` is then 0 there, what its sum needs (the row of a padded fp16 softmax saves two selects per lane;
measured on an H200 with hand-written kernels of both forms, +2..16 % at equal block shape: benchmarks/README.md).

`x - max(x)` is -inf past the end only while the max is finite or +inf; it is -inf or NaN only when every valid lane
of the block is -inf or NaN, which then makes those lanes NaN as well. So a value whose padding went through such a
max (`tainted`) may stand in for the neutral element only before a reduction that propagates NaN (a sum, a product,
a dot, a NaN-aware max or min), and only in a block with a valid lane: a loop's or a program's block always has one;
a whole row has one when the kernel states it non-empty (a plan fact, checked at launch) or when every store of the
kernel runs along that row's extent (an empty row then stores nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import short_name
from kopt.dialects.interfaces import CarriesPadding, HasDimMap, MovesLanes, OrdersLanes, Pad, Reduces
from kopt.dialects.types import RangeType
from kopt.ir.scope import dim_range


@dataclass(frozen=True)
class Padding:
    """The literal a value holds past a range's end, and whether it went through a row max (module docstring)."""

    value: str
    tainted: bool = False


class PaddingAnalysis:
    """Padding of values along ranges in one kernel (provenance: kopt/ir/dim_provenance.py)."""

    def __init__(self, kernel: T.KernelOp, provenance):
        self.kernel, self.provenance = kernel, provenance
        self._valid: dict[SSAValue, bool] = {}
        self._row_maxes: dict[tuple, bool] = {}
        self._known: dict[tuple, tuple[Padding | None, frozenset]] = {}  # (value, dim, range) -> answer, its loads

    def forget(self) -> None:
        """Forget the answers: a load's `other` changed."""
        self._known.clear()

    def of(self, value: SSAValue, dim: int, r: SSAValue, loads: set | None = None) -> Padding | None:
        """What `value` holds past the end of range `r`, along its dim `dim` (None: not known); `loads` collects the
        loads the answer rests on. Each value is walked once (`x * x` twice over would double per level)."""
        key = (value, dim, r)
        if key not in self._known:
            found: set = set()
            self._known[key] = (self._of(value, dim, r, found), frozenset(found))
        pad, rests_on = self._known[key]
        if loads is not None:
            loads.update(rests_on)
        return pad

    def _of(self, value: SSAValue, dim: int, r: SSAValue, loads: set) -> Padding | None:
        op = value.owner
        if isinstance(op, T.LoadOp):
            loads.add(op)
            at = range_operand_at(op, dim)
            ok = at is not None and op.indices[at] is r and op.masked_flags[at]
            return Padding(op.other.data) if ok else None
        if isinstance(op, T.MaskFillOp):
            return Padding(op.fill.data) if op.range is r and op.dim.value.data == dim else None
        if isinstance(op, OrdersLanes) or not isinstance(op, HasDimMap) or value is not op.results[0]:
            return None  # (a flip moves padding lanes to the front; result_dims is about the first result)
        dims = op.result_dims()
        if dim >= len(dims) or not dims[dim]:
            return None
        sources = dict(dims[dim])
        if isinstance(op, MovesLanes):
            (src, d), = sources.items() if len(sources) == 1 else ((None, None),)
            inner = self.of(src, d, r, loads) if src is not None else None
            return inner if inner is not None and op.keeps(inner.value) else None
        if not isinstance(op, CarriesPadding):
            return None
        pads, tainted = [], False
        for o in op.operands:
            if o in sources and o.type.dims[sources[o]] != "1":
                inner = self.of(o, sources[o], r, loads)
                pads.append(Pad(value=inner.value if inner else None))
                tainted = tainted or bool(inner and inner.tainted)
            else:
                kind = self._uniform(o, op, sources, r)
                pads.append(Pad(uniform=kind))
                tainted = tainted or kind == "row_max"
        out = op.padding(pads)
        return Padding(out, tainted) if out is not None else None

    def gives_neutral(self, op: Reduces, value: SSAValue, dim: int, r: SSAValue, fill: str) -> bool:
        """Does `value` already hold `fill` past the end of `r` for the reduction `op`?"""
        pad = self.of(value, dim, r)
        if pad is None or pad.value != fill:
            return False
        return not pad.tainted or _propagates_nan(op)

    def _uniform(self, o: SSAValue, op: Operation, sources: dict, r: SSAValue) -> str:
        if _positive_constant(o):
            return "positive"
        varying = [v for v in sources if v is not o and v.type.dims[sources[v]] != "1"]
        if len(varying) == 1 and self._row_max(o, varying[0], sources[varying[0]], r) and self._has_valid_lane(r):
            return "row_max"
        return "any"

    def _row_max(self, u: SSAValue, of: SSAValue, dim: int, r: SSAValue) -> bool:
        """Is `u` (a value that does not run along r) the maximum over r of `of`, or a maximum of that and others?"""
        key = (u, of, dim, r)
        if key not in self._row_maxes:
            self._row_maxes[key] = self._is_row_max(u, of, dim, r)
        return self._row_maxes[key]

    def _is_row_max(self, u: SSAValue, of: SSAValue, dim: int, r: SSAValue) -> bool:
        while isinstance(u.owner, (T.ExpandOp, T.CastOp)):
            u = u.owner.operands[0]
        op = u.owner
        if isinstance(op, T.MaximumOp):
            return any(self._row_max(v, of, dim, r) for v in op.operands)
        if (shifted := _shift_of_minus_inf(op)) is not None:  # the online loop's shift: -inf - 0 is -inf as -inf - max
            return self._row_max(shifted, of, dim, r)
        if not (isinstance(op, T.ReduceOp) and op.kind_name == "max"):
            return False
        x, d = op.operand, op.dim.value.data
        if isinstance(x.owner, T.MaskFillOp) and x.owner.fill.data == "-inf":
            x = x.owner.operand
        return x is of and d == dim and dim_range(op.operand, d, op, self.provenance) is r

    def _has_valid_lane(self, r: SSAValue) -> bool:
        if r not in self._valid:
            self._valid[r] = not isinstance(r.owner, T.WholeRangeOp) or _row_never_empty(self.kernel, r.type)
        return self._valid[r]


def _row_never_empty(kernel: T.KernelOp, t: RangeType) -> bool:
    """A whole-row block has a valid lane: the plan states the row non-empty, or an empty row stores nothing. A
    chunked row's tail (`row_pieces`, reduction_pieces.py) counts as its row: the head piece, always whole, holds
    the row's first lanes, so where the tail has none the head's lanes (the same reductions, folded) carry the NaN."""
    facts = [f.data for f in kernel.plan.fact_list]
    if f"{t.extent.data} >= 1" in facts:
        return True  # (stated and checked at launch; the fact base itself takes every size as positive)
    if "row_pieces" in kernel.attributes and t.begin.data != "0" and f"{t.end.data} >= 1" in facts:
        return True
    stores = [s for s in kernel.walk() if isinstance(s, T.StoreOp)]
    return bool(stores) and all(any(isinstance(i.type, RangeType) and i.type.extent.data == t.extent.data
                                    for i in s.indices) for s in stores)


def _shift_of_minus_inf(op: Operation | None) -> SSAValue | None:
    """`m` of `where(m == -inf, c, m)` with a finite constant c (kopt/ir/online_pairs.py's shift), else None."""
    if not isinstance(op, T.WhereOp):
        return None
    cond, fill, m = op.operands
    eq = cond.owner
    if not (isinstance(eq, T.EqOp) and isinstance(fill.owner, T.ConstantOp)) or fill.owner.value.data in ("inf", "-inf", "nan"):
        return None
    a, b = eq.operands
    other = b if a is m else a if b is m else None
    return m if other is not None and isinstance(other.owner, T.ConstantOp) and other.owner.value.data == "-inf" else None


def _propagates_nan(op: Reduces) -> bool:
    if isinstance(op, T.ReduceOp):
        return op.kind_name in ("sum", "prod") or op.propagates_nan
    return isinstance(op, T.DotOp)


# normal magnitudes of a float type, with margin: a constant outside them is 0 or inf in that type (1e-46 in fp32),
# and -inf * 0 or 0 * inf is NaN, not the padding the op claims
_NORMAL = {"f16": (1e-4, 6e4), "bf16": (1e-37, 1e37), "f32": (1e-37, 1e37), "f64": (1e-300, 1e300)}


def _positive_constant(v: SSAValue) -> bool:
    if not isinstance(v.owner, T.ConstantOp):
        return False
    try:
        x = float(v.owner.value.data)
    except ValueError:
        return False
    lo, hi = _NORMAL.get(short_name(v.type.element_type), (1.0, 1.0))  # (other types: exactly 1 only)
    return math.isfinite(x) and lo <= x <= hi


def range_operand_at(load: T.LoadOp, dim: int) -> int | None:
    """The index operand of a load that makes dim `dim` of its result, if that operand is a range."""
    pos, k = 0, 0  # result dim, index operand
    for s in load.spec_list:
        if s != "i":
            pos += 1
            continue
        idx = load.indices[k]
        if isinstance(idx.type, RangeType) and pos == dim:
            return k
        pos += 1 if isinstance(idx.type, RangeType) else idx.type.rank
        k += 1
    return None


def choose_load_padding(kernel: T.KernelOp, analysis: PaddingAnalysis) -> None:
    """Give each masked load the `other` that leaves the most reductions of the kernel without a fill (ties keep
    what it has). Run before masking's fills: they ask `analysis` about the choice made here. Only the reductions
    whose padding rests on a load are scored for it."""
    folds = []  # (reduction, value, dim, range, its neutral element) where the range may overhang
    for op in kernel.walk():
        if isinstance(op, Reduces):
            for v, d, at in reduced_operands(op):
                r = dim_range(v, d, op, analysis.provenance)
                if r is not None and r.type.may_overhang:
                    folds.append((op, v, d, r, op.neutral_of_operand(at)))
    resting: dict[T.LoadOp, list] = {}
    for fold in folds:
        loads: set = set()
        analysis.of(fold[1], fold[2], fold[3], loads)
        for load in loads:
            resting.setdefault(load, []).append(fold)
    for load, on in resting.items():
        candidates = {load.other.data} | {fill for *_, fill in on if _holds(load, fill)}
        if len(candidates) < 2 or not any(load.masked_flags):
            continue
        score = {}
        for c in sorted(candidates, key=lambda c: c != load.other.data):  # the current one first: ties keep it
            load.properties["other"] = StringAttr(c)
            analysis.forget()
            score[c] = sum(1 for op, v, d, r, fill in on if analysis.gives_neutral(op, v, d, r, fill))
        load.properties["other"] = StringAttr(max(score, key=score.get))
        analysis.forget()


def _holds(load: T.LoadOp, fill: str) -> bool:
    """Can the load's element type hold this value? (float8 e4m3 has no infinities: -inf would read as -448.)"""
    return "inf" not in fill or short_name(load.result.type.element_type) in ("f16", "bf16", "f32", "f64", "f8e5m2")


def reduced_operands(op: Reduces) -> list[tuple[SSAValue, int, int]]:
    """Each folded (value, dim) of a reduction with the index of its operand (`x @ x`: each use its own operand)."""
    positions: dict[SSAValue, list[int]] = {}
    for i, o in enumerate(op.operands):
        positions.setdefault(o, []).append(i)
    return [(v, d, positions[v].pop(0)) for v, d in op.reduced_dims()]
