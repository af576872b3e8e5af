"""reduction-lowering: give every whole-dim access (`x[tile, :]`) and every reduction over it
an explicit strategy.

persistent: one block of `_RDIM_SIZE_k = next_power_of_2(extent)` covers the whole
    dim, so a row lives in registers and a reduction is one `tl.sum`/`tl.max`.
looped: a sequential loop over `_REDUCTION_BLOCK_k`-sized chunks per phase of the
    kernel (reduction_phases.py, on the plan of kopt/ir/row_plan.py): accumulators carried by
    `iter_args`, a masked tail, elementwise work recomputed from loads in each phase that needs it.
online: looped, but a max and the sum of `exp(x - max)` share one pass with a
    rescaled running sum (kopt/ir/online_pairs.py): softmax reads a row twice, not three times.
chunked: persistent, but the row held as two pieces, an unmasked power of two and a masked tail
    (reduction_pieces.py): for rows just past a power of two, which one padded block would half waste.
    reduction-variants' chunked clones ask for it (their `launch_if` picks the rows they pay for; a clone marked
    `row_tail = "exact"` is launched only where the tail fills its block, and has no mask on it); as the
    mode of every kernel, an empty row is refused at launch (the fact `N >= 1`).
auto (the default): persistent, except kernels `reduction-variants` cloned for wide rows
    (`reduction = "online"`): a kernel's own `reduction` attribute wins over the mode.

What runs before, each a pass of its own: unify-extents (whole dims proven equal get one name),
resolve-dim-sizes (`mean`'s divisor), reciprocal-divisions (`exp / sum` as a multiply),
reduction-variants (the online clone). The blocks this pass makes go into the kernel's plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.plan import CHUNK, WHOLE, Block
from kopt.dialects.sizes import SizeAttr
from kopt.dialects.types import RangeType
from kopt.errors import KoptError
from kopt.ir.extents import canonical_tensor_dims, extent_classes, rename_dims
from kopt.ir.online_pairs import find_pairs
from kopt.ir.row_plan import looped_extent, plan, row_element_bytes, row_tail
from kopt.ir.util import kernels
from kopt.passes.reduction_phases import PhaseBuilder
from kopt.passes.reduction_pieces import PieceBuilder, piece_sizes, splittable
from kopt.passes.registry import register_pass

MODES = ("auto", "persistent", "looped", "online", "chunked")
# Default chunk of a looped reduction (elements); 8192 beat 4096 at every long row measured.
REDUCTION_BLOCK = {1: 8192, 2: 8192, 4: 8192, 8: 4096}


class _Blocks:
    """The block symbols this pass adds to a kernel's plan, numbered after those it has."""

    def __init__(self, kernel: T.KernelOp):
        self.kernel = kernel
        self.added: list[Block] = []

    def add(self, kind: str, size: str) -> str:
        block = Block(kind, self.kernel.plan.next_index(b.index for b in self.added), SizeAttr(size))
        self.added.append(block)
        return block.name

    def commit(self) -> None:
        self.kernel.plan = self.kernel.plan.adding(self.added)


# ---------------------------------------------------------------- persistent


def lower_whole_dims(kernel: T.KernelOp, blocks: _Blocks, canon: dict[str, str]) -> dict[str, str]:
    """Replace `:` entries by whole ranges; return {extent: rdim symbol}."""
    rdims: dict[str, str] = {}
    ranges: dict[str, T.WholeRangeOp] = {}
    # whole ranges go after the program ranges, so indices read in grid order
    first = next((o for o in kernel.body.block.ops if not isinstance(o, T.ProgramRangeOp)), None)
    for op in list(kernel.walk()):
        if not isinstance(op, T.ACCESS_OPS) or ":" not in op.spec_list:
            continue
        spec, operands, idx = [], [], iter(op.indices)
        for s, extent in zip(op.spec_list, canonical_tensor_dims(op, canon)):
            if s != ":":
                spec.append(s)
                if s == "i":
                    operands.append(next(idx))
                continue
            if extent not in ranges:
                rdims[extent] = blocks.add(WHOLE, f"next_power_of_2({extent})")
                ranges[extent] = T.WholeRangeOp(RangeType(extent, rdims[extent]))
                ranges[extent].result.name_hint = f"rdim.{rdims[extent].rsplit('_', 1)[1]}"
                if first is None:
                    kernel.body.block.add_op(ranges[extent])
                else:
                    kernel.body.block.insert_op_before(ranges[extent], first)
            spec.append("i")
            operands.append(ranges[extent].result)
        op.set_subscript(spec, operands)
    return rdims


def lower_persistent(kernel: T.KernelOp, blocks: _Blocks, canon: dict[str, str]) -> None:
    rename_dims(kernel, lower_whole_dims(kernel, blocks, canon))


# ---------------------------------------------------------------- looped / online


def lower_looped(kernel: T.KernelOp, online: bool, block: int, canon: dict[str, str]) -> bool:
    """Loop over chunks of the most-reduced whole dim; False (nothing changed) when that does not apply."""
    extent = looped_extent(kernel, canon)
    if extent is None:
        return False
    p = plan(kernel, extent, find_pairs(kernel, extent) if online else [], canon)
    if p is None:
        return False
    blocks = _Blocks(kernel)
    chunk = blocks.add(CHUNK, str(block or REDUCTION_BLOCK[row_element_bytes(kernel, extent)]))
    PhaseBuilder(p, chunk, canon).build()
    lower_persistent(kernel, blocks, canon)  # any other whole dim
    blocks.commit()
    return True


def lower_chunked(kernel: T.KernelOp, canon: dict[str, str]) -> bool:
    """Hold the most-reduced whole dim as two pieces; False (nothing changed) when that does not apply."""
    extent = looped_extent(kernel, canon)
    p = plan(kernel, extent, [], canon) if extent is not None else None
    if p is None or not splittable(p):
        return False
    blocks = _Blocks(kernel)
    pieces = tuple(blocks.add(WHOLE, size) for size in piece_sizes(extent))
    kernel.attributes["row_pieces"] = ArrayAttr([StringAttr(s) for s in pieces])  # (the launch's warps read it)
    PieceBuilder(p, pieces, canon, tail=row_tail(kernel)).build()
    lower_persistent(kernel, blocks, canon)  # any other whole dim
    blocks.commit()
    # the first piece (at least 1 lane, unmasked) is inside the row only where the row is not empty: checked at launch
    kernel.plan = kernel.plan.adding(facts=[f"{extent} >= 1"])
    return True


@register_pass
@dataclass(frozen=True)
class ReductionLoweringPass(ModulePass):
    """Lower whole-dim accesses and reductions: persistent, looped or online (a kernel's `reduction` wins)."""

    name = "reduction-lowering"
    mode: str = "auto"
    reduction_block: int = 0  # chunk of looped/online reductions; 0: by element size (REDUCTION_BLOCK)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.mode not in MODES:
            raise KoptError(f"reduction-lowering: unknown mode {self.mode!r}", notes=[f"modes: {', '.join(MODES)}"])
        if self.reduction_block < 0 or self.reduction_block & (self.reduction_block - 1):
            raise KoptError(f"reduction-lowering: reduction-block {self.reduction_block} is not a power of two")
        for kernel in list(kernels(op)):
            chosen = kernel.attributes.get("reduction")
            mode = chosen.data if isinstance(chosen, StringAttr) else self.mode
            canon = extent_classes(kernel)
            if mode in ("looped", "online") and lower_looped(kernel, mode == "online", self.reduction_block, canon):
                continue
            if mode == "chunked" and lower_chunked(kernel, canon):
                continue
            blocks = _Blocks(kernel)
            lower_persistent(kernel, blocks, canon)
            blocks.commit()
