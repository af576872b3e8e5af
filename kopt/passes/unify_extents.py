"""unify-extents: whole dims that the kernel's facts prove equal get one name.

`x[tile, :] * weight[:]` with `assert weight.size(0) == n` (or `n` and `weight.size(0)` equal by
`--assume`) makes tiles of two extents that are one row: after this pass every tile dim of that
class is named as its first extent, so reduction-lowering makes one range, one mask and one loop
for it, not two rows that merely agree at run time. Tensor types keep their own names (they
describe the arguments); passes map a tensor's dims to their class with kopt/ir/extents.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from kopt.ir.extents import extent_classes, rename_dims
from kopt.ir.util import kernels
from kopt.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class UnifyExtentsPass(ModulePass):
    """Name every whole dim as the first extent the facts prove it equal to."""

    name = "unify-extents"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            canon = extent_classes(kernel)
            if canon:
                rename_dims(kernel, canon)
