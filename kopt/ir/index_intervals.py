"""The range of values an integer index takes, as symbolic bounds: what bounds-checks asks of the indices
that are not loop ranges (`x[i]` in an `hl.grid` loop, `x[t.index + 1]`, `x[t.begin - 1]`).

`index_interval(v)` is `(lo, hi, ranges)`: every lane of `v` that an access uses lies in `[lo, hi]` (sympy
expressions of sizes) whenever the loop ranges in `ranges` are non-empty. It follows index arithmetic from the
tile attributes of loop ranges (`index` and `begin` run over the range, `end` past it), constants and size
symbols and scalar arguments through `+`, `-`, multiplication by a constant, casts and broadcasts. Anything else (an index loaded
from a tensor, a product of two indices, a division) has no interval: None. The walk is bounded by depth,
so user-sized arithmetic cannot recurse without end.
"""

from __future__ import annotations

import sympy
from xdsl.ir import BlockArgument, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.dtypes import is_float
from kopt.dialects.sizes import SizeAttr
from kopt.dialects.types import RangeType

Interval = tuple[sympy.Expr, sympy.Expr, tuple[RangeType, ...]]
# KOPT_CHECK_INDICES: the kernel argument (and launcher variable) of the flag buffer that device index checks write
FLAGS = "_kopt_flags"
MAX_DEPTH = 32  # index arithmetic deeper than this is not followed (no interval: a device check covers it)


def index_interval(value: SSAValue, depth: int = 0) -> Interval | None:
    if depth > MAX_DEPTH or is_float(value.type.element_type):
        return None
    op = value.owner
    if isinstance(value, BlockArgument):  # a scalar argument of the kernel: the launcher knows its value
        kernel = op.parent_op()
        if isinstance(kernel, T.KernelOp) and value.type.rank == 0:
            name = sympy.Symbol(kernel.arg_names[value.index], integer=True)
            return name, name, ()
        return None
    if isinstance(op, T.TileAttrOp):
        r = op.range.type
        begin, extent = r.begin.expr, r.extent.expr
        if op.which in ("index", "begin"):
            return begin, begin + extent - 1, (r,)
        if op.which == "end":
            return begin + 1, begin + extent, (r,)
        return None
    if isinstance(op, T.ConstantOp) and op.result.type.rank == 0:
        try:
            c = sympy.Integer(int(op.value.data))
        except ValueError:
            return None
        return c, c, ()
    if isinstance(op, T.SymbolOp):
        return op.expr.expr, op.expr.expr, ()
    if isinstance(op, (T.CastOp, T.ExpandOp, T.BroadcastToOp)):
        return index_interval(op.operands[0], depth + 1)
    if isinstance(op, (T.AddOp, T.SubOp, T.MulOp)):
        a, b = (index_interval(o, depth + 1) for o in op.operands)
        if a is None or b is None:
            return None
        ranges = a[2] + b[2]
        if isinstance(op, T.AddOp):
            return a[0] + b[0], a[1] + b[1], ranges
        if isinstance(op, T.SubOp):
            return a[0] - b[1], a[1] - b[0], ranges
        for (lo, hi, _), (c, c_hi, _) in ((a, b), (b, a)):  # a product by a constant
            if c == c_hi and c.is_Integer:
                return (lo * c, hi * c, ranges) if c >= 0 else (hi * c, lo * c, ranges)
        return None
    return None


def host_text(expr: sympy.Expr) -> str:
    """A bound as size text (what SizeAttr parses and the launcher evaluates)."""
    return SizeAttr(str(sympy.expand(expr))).data
