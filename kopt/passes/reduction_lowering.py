"""reduction-lowering: give every whole-dim access (`x[tile, :]`) and every reduction over it
an explicit strategy.

persistent: one block of `_RDIM_SIZE_k = next_power_of_2(extent)` covers the whole
    dim, so a row lives in registers and a reduction is one `tl.sum`/`tl.max`.
looped: a sequential loop over `_REDUCTION_BLOCK_k`-sized chunks per phase of the
    kernel (reduction_phases.py): accumulators carried by `iter_args`, a masked
    tail, elementwise work recomputed from loads in each phase that needs it.
online: looped, but a max and the sum of `exp(x - max)` share one pass with a
    rescaled running sum (reduction_online.py): softmax reads a row twice, not three times.
auto (the default): both a persistent kernel and an online one; the launcher runs
    the persistent one while `extent <= persistent-max` and the online one above
    (the clone has `variant_of` and `launch_if` attributes). One compile serves all sizes.

Before choosing, the pass resolves `tile.dim_size` (mean/var divisors) to the true
extent of the dim, and turns a division by a per-row value (`exp / sum`) into
one reciprocal per row and a multiply per element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.dtypes import i32, is_float
from kopt.dialects.tile_reduce import DimSizeOp
from kopt.dialects.types import RangeType, TensorType, TileType
from kopt.errors import KoptError
from kopt.passes.masking import range_in_scope
from kopt.passes.reduction_online import find_pairs
from kopt.passes.reduction_phases import PhaseBuilder, looped_extent, plan, subscript_dims
from kopt.passes.shape_facts import kernel_facts
from kopt.passes.shape_inference import same_size
from kopt.passes.registry import register_pass
from kopt.passes.util import kernels, set_type

MODES = ("auto", "persistent", "looped", "online")
# Widest row (elements) a persistent program holds, by element size of the row's tensor: beyond it
# the auto launcher runs the online kernel. Measured on an H100 (benchmarks/reduction_sweep.py):
# persistent softmax reaches copy bandwidth up to 32768 columns in fp32 and fp16; at 65536 it spills
# (fp32 2170 GB/s, fp16 1840) where the online kernel's two reads give ~2000 in both.
PERSISTENT_MAX = {1: 32768, 2: 32768, 4: 32768, 8: 16384}
# Default chunk of a looped reduction (elements); 8192 beat 4096 at every long row measured.
REDUCTION_BLOCK = {1: 8192, 2: 8192, 4: 8192, 8: 4096}


def _next_block_index(kernel: T.KernelOp) -> int:
    names = list(kernel.attributes.get("block_sizes", DictionaryAttr({})).data)
    names += list(kernel.attributes.get("constexprs", DictionaryAttr({})).data)
    found = [int(m) for b in names for m in re.findall(r"_(?:BLOCK_SIZE|RDIM_SIZE|REDUCTION_BLOCK)_(\d+)$", b)]
    return max(found, default=-1) + 1


def _dict_attr(kernel: T.KernelOp, key: str) -> dict:
    return dict(kernel.attributes.get(key, DictionaryAttr({})).data)


# ---------------------------------------------------------------- persistent


def unify_extents(kernel: T.KernelOp) -> dict[str, str]:
    """Whole-dim extents the kernel's facts prove equal (`assert weight.size(0) == n`) -> one name.

    Tile shapes are rewritten to the representative, so that `x[tile, :] * weight[:]` is one row
    (one range, one mask, one loop) rather than two rows that merely agree at run time.
    """
    extents = list(dict.fromkeys(d for op in kernel.walk() if isinstance(op, (T.LoadOp, T.StoreOp))
                                 for d, s in zip(subscript_dims(op), op.spec_list) if s == ":"))
    canon: dict[str, str] = {}
    if len(extents) > 1:
        facts = kernel_facts(kernel)
        reps: list[str] = []
        for e in extents:
            canon[e] = next((r for r in reps if same_size(facts, r, e).is_true), e)
            if canon[e] == e:
                reps.append(e)
    canon = {k: v for k, v in canon.items() if k != v}
    if canon:
        retype_extents(kernel, canon)
    return canon


def lower_whole_dims(kernel: T.KernelOp, canon: dict[str, str] | None = None) -> dict[str, str]:
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
            extent = (canon or {}).get(extent, extent)
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


def lower_persistent(kernel: T.KernelOp, canon: dict[str, str] | None = None) -> None:
    rdims = lower_whole_dims(kernel, canon)
    retype_extents(kernel, rdims)
    constexprs = _dict_attr(kernel, "constexprs")
    for extent, sym in rdims.items():
        constexprs[sym] = StringAttr(f"next_power_of_2({extent})")
    kernel.attributes["constexprs"] = DictionaryAttr(constexprs)


# ---------------------------------------------------------------- looped / online


def lower_looped(kernel: T.KernelOp, online: bool, block: int, canon: dict[str, str]) -> bool:
    """Loop over chunks of the most-reduced whole dim; False (nothing changed) when that does not apply."""
    extent = looped_extent(kernel, canon)
    if extent is None:
        return False
    p = plan(kernel, extent, find_pairs(kernel, extent) if online else [], canon)
    if p is None:
        return False
    chunk = f"_REDUCTION_BLOCK_{_next_block_index(kernel)}"
    block = block or REDUCTION_BLOCK[row_element_bytes(kernel, extent)]
    PhaseBuilder(p, chunk, canon).build()
    constexprs = _dict_attr(kernel, "constexprs")
    constexprs[chunk] = StringAttr(str(block))
    kernel.attributes["constexprs"] = DictionaryAttr(constexprs)
    facts = list(kernel.attributes.get("facts", ArrayAttr([])).data)
    kernel.attributes["facts"] = ArrayAttr(facts + [StringAttr(f"{chunk} == {block}")])  # lets mask-elision reason
    lower_persistent(kernel, canon)  # any other whole dim
    return True


def row_element_bytes(kernel: T.KernelOp, extent: str) -> int:
    """Element size of the widest tensor with a row along `extent` (what a persistent row costs)."""
    sizes = [_bytes(a.type.element_type) for a in kernel.body.block.args
             if isinstance(a.type, TensorType) and extent in a.type.dims]
    return max(sizes, default=4)


def _bytes(elem) -> int:
    return max(1, getattr(elem, "bitwidth", 32) // 8)


def add_online_variant(module: ModuleOp, kernel: T.KernelOp, block: int, persistent_max: int,
                       canon: dict[str, str]) -> None:
    """Clone `kernel` as its online variant for rows wider than `persistent_max` (nothing if it does not loop)."""
    extent = looped_extent(kernel, canon)
    if extent is None:
        return
    variant = kernel.clone()
    if not lower_looped(variant, True, block, canon):
        variant.erase()
        return
    name = kernel.sym_name.data
    variant.properties["sym_name"] = StringAttr(f"{name}_looped")
    limit = persistent_max or PERSISTENT_MAX[row_element_bytes(kernel, extent)]
    variant.attributes["variant_of"] = StringAttr(name)
    variant.attributes["launch_if"] = StringAttr(f"{extent} > {limit}")
    module.body.block.insert_op_after(variant, kernel)


# ---------------------------------------------------------------- before any mode


def resolve_dim_sizes(kernel: T.KernelOp) -> None:
    """`tile.dim_size` -> the extent of a whole dim, `end - begin` of a loop tile, or the literal size."""
    scalar = TileType([], i32)
    for op in list(kernel.walk()):
        if not isinstance(op, DimSizeOp):
            continue
        dim = op.operand.type.dims[op.dim.value.data]
        r = range_in_scope(op, dim)
        if r is not None and r.type.extent.data != dim:
            end, begin = T.TileAttrOp(r, "end"), T.TileAttrOp(r, "begin")
            new: list[Operation] = [end, begin, T.SubOp(end.result, begin.result, scalar)]
        elif dim.isdigit():
            new = [T.ConstantOp(dim, scalar)]
        else:
            new = [T.SymbolOp(dim, scalar)]
        for n in new:
            n.location = op.location
            op.parent_block().insert_op_before(n, op)
        op.result.replace_all_uses_with(new[-1].results[0])
        op.detach()
        op.erase()


def _broadcasts_into(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    """Is `small` a strictly smaller shape that broadcasts to `big` (a per-row value against a row)?"""
    if len(small) > len(big) or small == big:
        return False
    padded = ("1",) * (len(big) - len(small)) + tuple(small)
    return all(s == b or s == "1" for s, b in zip(padded, big)) and padded != tuple(big)


def reciprocal_divisions(kernel: T.KernelOp) -> None:
    """`x / s` with s a per-row statistic -> `x * (1 / s)`: one division per row, a multiply per element."""
    for op in list(kernel.walk()):
        if not (isinstance(op, T.DivOp) and is_float(op.result.type.element_type)
                and op.rhs.type.element_type == op.result.type.element_type
                and _broadcasts_into(op.rhs.type.dims, op.result.type.dims)):
            continue
        one = T.ConstantOp("1.0", TileType([], op.rhs.type.element_type))
        inv = T.DivOp(one.result, op.rhs, op.rhs.type)
        mul = T.MulOp(op.lhs, inv.result, op.result.type)
        for n in (one, inv, mul):
            n.location = op.location
            op.parent_block().insert_op_before(n, op)
        mul.result.name_hint = op.result.name_hint
        op.result.replace_all_uses_with(mul.result)
        op.detach()
        op.erase()


@register_pass
@dataclass(frozen=True)
class ReductionLoweringPass(ModulePass):
    """Lower whole-dim accesses and reductions: persistent, looped, online, or auto (chosen at launch)."""

    name = "reduction-lowering"
    mode: str = "auto"
    reduction_block: int = 0  # chunk of looped/online reductions; 0: by element size (REDUCTION_BLOCK)
    persistent_max: int = 0  # auto: widest row (elements) run persistently; 0: by element size

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.mode not in MODES:
            raise KoptError(f"reduction-lowering: unknown mode {self.mode!r}", notes=[f"modes: {', '.join(MODES)}"])
        if self.reduction_block < 0 or self.reduction_block & (self.reduction_block - 1):
            raise KoptError(f"reduction-lowering: reduction-block {self.reduction_block} is not a power of two")
        for kernel in list(kernels(op)):
            canon = unify_extents(kernel)
            resolve_dim_sizes(kernel)
            reciprocal_divisions(kernel)
            if self.mode == "auto":
                add_online_variant(op, kernel, self.reduction_block, self.persistent_max, canon)
            if self.mode in ("looped", "online") and lower_looped(kernel, self.mode == "online",
                                                                  self.reduction_block, canon):
                continue
            lower_persistent(kernel, canon)
