"""Shape rules the ops share: torch broadcasting, dropping or keeping a reduced dim, right-aligned dim maps.

One copy of each rule: the ops' shape and dim-map interfaces call these, and so does lowering
(`broadcast_text`, with sizes equal only as text).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Attribute, SSAValue

from kopt.analysis import Answer, FactBase, Tri
from kopt.dialects.interfaces import DimRef, ShapeError
from kopt.dialects.sizes import SizeAttr
from kopt.errors import KoptError


def fmt_shape(dims: Sequence[str]) -> str:
    return "[" + ", ".join(dims) + "]"


_LAUNCH_CHOSEN = ("_BLOCK_SIZE_", "_RDIM_SIZE_", "_REDUCTION_BLOCK_", "_dyn_")  # sizes no host check can read


class Sizes:
    """Whether two sizes are equal: as (canonical) text, or proven by the kernel's facts.

    With `assume=True` (shape-inference), `equal` takes two sizes the facts cannot tell apart as equal when the
    host can check it at every launch (both are built from argument sizes): the equality becomes a fact for the
    rest of the compile and goes to `assumed`, for the launcher to check ("assume, then check")."""

    def __init__(self, facts: FactBase | None = None, assume: bool = False):
        self.facts = facts
        self.assume = assume and facts is not None
        self.assumed: list[tuple[str, str]] = []

    def equal(self, a: str, b: str) -> Answer:
        """`same`, or, where that is unknown and assuming is on, an equality assumed and recorded."""
        answer = self.same(a, b)
        if answer.is_true or answer.is_false or not self.assume:
            return answer
        try:
            sa, sb = SizeAttr(a), SizeAttr(b)
        except KoptError:
            return answer
        if any(n.startswith(_LAUNCH_CHOSEN) for n in sa.names | sb.names):
            return answer
        for symbol, other in ((b, a), (a, b)):  # on the newcomer first: `w_size_0 == n`, n keeping its meaning
            if not symbol.isidentifier():
                continue  # an expression: no symbol to state the equality on
            try:
                self.facts.assume_text(f"{symbol} == {other}")
            except KoptError:  # that symbol is already tied to something else: try the other side
                continue
            self.assumed.append((symbol, other))
            return Answer(Tri.TRUE, "assumed, checked at launch")
        return answer

    def same(self, a: str, b: str) -> Answer:
        if a == b:
            return Answer(Tri.TRUE, "same text")
        if self.facts is None:
            return Answer(Tri.UNKNOWN, "no facts to compare them")
        try:
            return self.facts.eq(SizeAttr(a).expr, SizeAttr(b).expr)
        except KoptError:
            return Answer(Tri.UNKNOWN, f"cannot read {a!r} or {b!r} as sizes")


TEXT_ONLY = Sizes()


def broadcast(sizes: Sizes, *shapes: Sequence[str]) -> list[str]:
    """torch broadcasting of symbolic shapes; sizes of one position must be equal (or 1) by `sizes`."""
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = list(dict.fromkeys(s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0))
        out.append(_merge(sizes, dims, i - rank, shapes))
    return out


def _merge(sizes: Sizes, dims: list[str], where: int, shapes) -> str:
    """The size that dims of one position broadcast to: all equal (as text, or proven by the facts),
    except those that are 1 (written `1`, or proven to be 1), which stretch."""
    listed = [d for d in dims if d != "1"]
    if len(listed) <= 1:
        return listed[0] if listed else "1"
    bad = Answer(Tri.UNKNOWN, "no facts to compare them")
    if sizes.facts is not None:
        wide = [d for d in listed if not sizes.same(d, "1").is_true] or listed[:1]
        answers = [sizes.equal(wide[0], d) for d in wide[1:]]
        if all(a.is_true for a in answers):
            return wide[0]
        bad = next(a for a in answers if not a.is_true)
    notes = [f"dim {where} differs: {' vs '.join(sorted(listed))} "
             f"({'the facts say they differ' if bad.is_false else 'not proven equal'}: {bad.reason})"]
    if not bad.is_false:
        a, b = listed[0], listed[1]
        notes.append(f"if they are always equal, say so: `assert {a} == {b}` in the kernel's host "
                     f"code, one name for both in the signature, or --assume \"{a} == {b}\"")
    raise ShapeError(f"cannot broadcast shapes {' and '.join(fmt_shape(s) for s in shapes)}", *notes)


def broadcast_text(*shapes: Sequence[str]) -> list[str]:
    """The broadcast shape where sizes are compared only as text: a 1 takes the other's size."""
    rank = max(len(s) for s in shapes)
    out = ["1"] * rank
    for s in shapes:
        for i, d in enumerate(s, rank - len(s)):
            if out[i] == "1":
                out[i] = d
    return out


def right_aligned(result: SSAValue, operands: Sequence[SSAValue]) -> list[list[DimRef]]:
    """The dim map of a broadcasting op: result dim i comes from each operand's dim at the same
    position counted from the right (unit dims included: they stretch along it)."""
    rank = result.type.rank
    out: list[list[DimRef]] = [[] for _ in range(rank)]
    for v in operands:
        r = v.type.rank
        for i in range(1, min(r, rank) + 1):
            out[rank - i].append((v, r - i))
    return out


def reduced_shape(dims: Sequence[str], dim: int, keepdim: bool) -> list[str]:
    """The dims left after reducing `dim`: it becomes 1 with keepdim, else it goes."""
    if not 0 <= dim < len(dims):
        raise ShapeError(f"cannot reduce dim {dim} of a tile of shape {fmt_shape(dims)} (rank {len(dims)})")
    out = list(dims)
    if keepdim:
        out[dim] = "1"
    else:
        del out[dim]
    return out


def reduced_map(operand: SSAValue, dim: int, keepdim: bool) -> list[list[DimRef]]:
    """The dim map of a reduction: every dim but the reduced one, in order (a kept one is a new unit dim)."""
    out: list[list[DimRef]] = []
    for i in range(operand.type.rank):
        if i != dim:
            out.append([(operand, i)])
        elif keepdim:
            out.append([])
    return out


def renumbered_dim(dim: int, operand: SSAValue, dropped: dict) -> dict[str, Attribute] | None:
    """HasDimMap.dims_dropped for an op with a `dim` property over `operand`: the dim renumbered for the operand
    dims that go ({} when none go), None when the dim itself goes."""
    gone = dropped.get(operand, [])
    if dim in gone:
        return None
    return {"dim": IntegerAttr(dim - sum(d < dim for d in gone), 64)} if gone else {}
