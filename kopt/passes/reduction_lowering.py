"""reduction-lowering: give every whole-dim access (`x[tile, :]`) an explicit range.

persistent mode (the default): one block of `_RDIM_SIZE_k = next_power_of_2(extent)`
covers the whole dim, so a row lives in registers and reductions are single
`tl.sum`/`tl.max` calls. The extent symbol in every tile shape of the kernel is
replaced by the block symbol, and the kernel's `constexprs` records how the
launcher computes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType
from kopt.passes.registry import register_pass
from kopt.passes.util import kernels, set_type

MODES = ("persistent",)


def _next_block_index(kernel: T.KernelOp) -> int:
    found = [int(m) for b in kernel.attributes.get("block_sizes", DictionaryAttr({})).data
             for m in re.findall(r"_(?:BLOCK|RDIM)_SIZE_(\d+)$", b)]
    return max(found, default=-1) + 1


def lower_whole_dims(kernel: T.KernelOp) -> dict[str, str]:
    """Replace `:` entries by whole ranges; return {extent: rdim symbol}."""
    rdims: dict[str, str] = {}
    ranges: dict[str, T.WholeRangeOp] = {}
    next_index = _next_block_index(kernel)
    # whole ranges go after the program ranges, so indices read in grid order
    first = next((o for o in kernel.body.block.ops if not isinstance(o, T.ProgramRangeOp)), None)
    for op in list(kernel.walk()):
        if not isinstance(op, (T.LoadOp, T.StoreOp)) or ":" not in op.spec_list:
            continue
        spec, operands, dims = [], [], iter(op.tensor.type.dims)
        idx = iter(op.indices)
        for s in op.spec_list:
            if s == "None":
                spec.append(s)
                continue
            extent = next(dims)
            if s == "i":
                spec.append("i")
                operands.append(next(idx))
                continue
            if extent not in ranges:
                rdims[extent] = f"_RDIM_SIZE_{next_index}"
                next_index += 1
                ranges[extent] = T.WholeRangeOp(RangeType(extent, rdims[extent]))
                ranges[extent].result.name_hint = f"rdim.{next_index - 1}"
                if first is None:
                    kernel.body.block.add_op(ranges[extent])
                else:
                    kernel.body.block.insert_op_before(ranges[extent], first)
            spec.append("i")
            operands.append(ranges[extent].result)
        tensor_and = [op.tensor, *operands] + ([op.value] if isinstance(op, T.StoreOp) else [])
        op.operands = tensor_and
        op.properties["spec"] = ArrayAttr(StringAttr(s) for s in spec)
        op.properties["masked"] = ArrayAttr(IntAttr(0) for _ in operands)
    return rdims


def retype_extents(kernel: T.KernelOp, rdims: dict[str, str]) -> None:
    """Every tile dim that was a whole extent is now the rdim block."""
    for op in kernel.walk():
        for v in (*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)):
            if isinstance(v.type, TileType) and any(d in rdims for d in v.type.dims):
                set_type(v, v.type.with_dims([rdims.get(d, d) for d in v.type.dims]))


@register_pass
@dataclass(frozen=True)
class ReductionLoweringPass(ModulePass):
    """Lower whole-dim accesses and reductions over them (mode: persistent)."""

    name = "reduction-lowering"
    mode: str = "persistent"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.mode not in MODES:
            from kopt.errors import KoptError

            raise KoptError(f"reduction-lowering: unknown mode {self.mode!r}", notes=[f"modes: {', '.join(MODES)}"])
        for kernel in kernels(op):
            rdims = lower_whole_dims(kernel)
            retype_extents(kernel, rdims)
            constexprs = dict(kernel.attributes.get("constexprs", DictionaryAttr({})).data)
            for extent, sym in rdims.items():
                constexprs[sym] = StringAttr(f"next_power_of_2({extent})")
            kernel.attributes["constexprs"] = DictionaryAttr(constexprs)
