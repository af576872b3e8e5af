"""resolve-dim-sizes: `tile.dim_size` (the divisor of `mean`, `var`) becomes the size it stands for.

Once shapes are known: a whole dim gives its extent (`_m`, never the padded `_RDIM_SIZE_1` a
persistent lowering will give it), a loop tile's dim its valid lanes (`end - begin`: shorter for
the last tile), a literal dim its value. Runs after unify-extents (so a whole dim is named as its
class is) and before reduction-lowering renames whole dims to blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i32
from kopt.dialects.types import TileType
from kopt.ir.scope import range_in_scope
from kopt.ir.util import apply_patterns, kernels, replace_keeping_names
from kopt.passes.registry import register_pass


class ResolveDimSize(RewritePattern):
    """`tile.dim_size %x dim d` -> the extent, `end - begin` of the loop tile there, or the literal."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: T.DimSizeOp, rewriter: PatternRewriter) -> None:
        scalar = TileType([], i32)
        dim = op.operand.type.dims[op.dim.value.data]
        r = range_in_scope(op, dim)
        if r is not None and r.type.extent.data != dim:
            end, begin = T.TileAttrOp(r, "end"), T.TileAttrOp(r, "begin")
            new: list[Operation] = [end, begin, T.SubOp(end.result, begin.result, scalar)]
        elif dim.isdigit():
            new = [T.ConstantOp(dim, scalar)]
        else:
            new = [T.SymbolOp(dim, scalar)]
        replace_keeping_names(rewriter, op, new, new[-1].results[0])


@register_pass
@dataclass(frozen=True)
class ResolveDimSizesPass(ModulePass):
    """Replace `tile.dim_size` by the number of elements it counts: an extent, a tile's valid lanes, a literal."""

    name = "resolve-dim-sizes"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            apply_patterns(kernel, ResolveDimSize())
