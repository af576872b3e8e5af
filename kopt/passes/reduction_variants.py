"""reduction-variants: beside each kernel that reduces rows, an online-softmax variant for rows too
wide to hold in registers, picked by the launcher from the sizes (one compile serves every width).

A persistent kernel holds a whole row in registers (one `next_power_of_2(N)` block); past about
32768 columns that spills (measured on an H100, benchmarks/reduction_sweep.py: persistent softmax
reaches copy bandwidth up to 32768 columns in fp32 and fp16; at 65536 it ran at 2170 GB/s fp32 and
1840 fp16, where the online kernel's two reads gave about 2000 in both). So a kernel that can be
looped gets a clone, `<name>_looped`, marked `reduction = "online"` (reduction-lowering lowers it
so), `variant_of` its original and `launch_if` the row is wider than `persistent-max` (by element
size when 0; narrower for a kernel that reads a row once either way, or that holds three row-long tensors: see
SINGLE_PASS_MAX and MANY_ROWS_MAX): the launcher runs the clone when that holds, the original otherwise.

A row just past a power of two wastes most of a persistent block: 8320 fp16 elements take 16384 lanes. So a
kernel with 2-byte rows also gets `<name>_chunked` (`reduction = "chunked"`): the row held as two pieces, an
unmasked power of two and a masked tail (reduction-lowering), launched for rows of 4097...`persistent-max`
elements that are no power of two and whose tail is at most 3/8 of the first piece (`16 * N <= 11 *
next_power_of_2(N)`). Measured on an H200 (benchmarks/results/h200_2026-12-02_validation/): hand-written kernels of
both shapes, softmax 4096 x N, best warps each: fp16 +26..34 % at N = 8320...10240, +1..9 % at 4224...6144; fp32
within -2..+4 %, so 4-byte rows keep the padded block. kopt's own chunked softmax (4 warps) against its padded one,
fp16: 39.5 us against ~60 at 8320, 49.7 against ~60 at 9216, 62.2 against ~65 at 11008, but 75.8 against ~66 at
11904 (a tail of 3712 past 8192): hence the 3/8.

A row whose tail fills its block (N = 2^a + 2^b, e.g. 10240 = 8192 + 2048, 12288 = 8192 + 4096) gets a third clone,
`<name>_chunked_exact` (`row_tail = "exact"`): both pieces unmasked, checked before the chunked one, for any such
tail (up to half the first piece). Measured with the hand-written kernels above (softmax_chunks2.json, fp16, 4096 x
N, one row a program): both pieces unmasked against a masked tail, 4 warps: 10240 3375 vs 3060 GB/s, 12288 3420 vs
2964 (8 warps 3491; kopt's padded block ran 3024-3139 there), 9216 3257 vs 3160, 6144 3289 vs 3076, 5120 3080 vs
2975, 4224 2814 vs 2721; one loss, 8704 3071 vs 3212. kopt's own exact clone, timed in kopt's softmax on the H200
(benchmarks/results/h200_2026-12-02e/q3/): 10240 3477 GB/s against QuACK's 3631, 12288 3714 against 3710.

A kernel whose row ops are lane-local (reduction_pieces.overlap_safe: softmax, log_softmax, rms_norm ...) gets
`<name>_chunked_overlap` instead of `<name>_chunked`: the tail is the unmasked block that ends at the row's end
(reduction_pieces.py says how and what it measured: +14..24 % over the masked tail at 9344-12160 fp16), launched for
a tail block of at most half the first piece (rows of 4097-6143, 8193-12287, ... elements that are no power of two).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.ir.extents import extent_classes
from kopt.ir.online_pairs import find_pairs
from kopt.ir.row_plan import EXACT, OVERLAP, ROW_TAIL, Plan, looped_extent, plan, row_element_bytes
from kopt.ir.util import kernels
from kopt.passes.reduction_pieces import overlap_safe, splittable
from kopt.passes.registry import register_pass

# Widest row (elements) a persistent program holds, by element size of the row's tensor: beyond it
# the launcher runs the online variant (see the module docstring for the measurement).
PERSISTENT_MAX = {1: 32768, 2: 32768, 4: 32768, 8: 16384}


# Widest row a one-pass kernel (cross-entropy's logsumexp: no row is stored, so the online loop reads it once, as the
# persistent block does) holds in registers. On an H200, cross-entropy 4096 x N bf16 (benchmarks/row_knobs.py,
# benchmarks/results/h200_2026-12-02c_rows/): the online loop ran 2525 GB/s at N = 32768 against the persistent block's
# 1972, 2075 against 2063 at 16384.
SINGLE_PASS_MAX = 16384
# Widest row a kernel that loads three or more row-long tensors (layer_norm: x, weight, bias, with `x - mean` live
# across the variance) holds in registers. Same run: layer_norm 8192 x 16384 bf16 ran 3025 GB/s online against the
# persistent block's 2368 (32 warps: 2382); at 32768 the persistent block was ahead, 3142 against 3021 - a fit on
# two widths, in the direction of the registers such a row needs (a register-pressure estimate would replace it).
MANY_ROWS_MAX = 8192

CHUNKED_MIN = 4096  # rows up to this many elements stay one padded block (the gain below it was within noise)
CHUNKED_BYTES = 2  # element sizes that get the chunked variant (see the module docstring)


def chunked_variant(kernel: T.KernelOp, extent: str, canon: dict, limit: int, narrowed: bool) -> T.KernelOp | None:
    """The two-piece clone of a kernel with 2-byte rows (along `extent`) whose row values a looped plan can split,
    for rows up to `limit`; else None. Where its row ops are lane-local (`overlap_safe`) the clone's tail is the
    unmasked block ending at the row's end (`chunked_overlap`, for a tail of at most half the first piece; 3/8 where
    the kernel's padded rows are `narrowed`, as below), else masked there (`chunked`, a tail of at most 3/8)."""
    p = plan(kernel, extent, [], canon)
    if p is None or not splittable(p):
        return None
    size = row_element_bytes(kernel, extent)
    if size != CHUNKED_BYTES or any(isinstance(op, T.DotOp) for op in kernel.walk()):
        return None  # (1-byte rows are not measured; a product's tail piece could be narrower than tl.dot's 16)
    if not overlap_safe(p):
        return _variant(kernel, "chunked", _two_pieces_if(extent, limit, _TAIL_AT_MOST_3_8.format(e=extent)))
    cap = _TAIL_AT_MOST_3_8 if narrowed else _TAIL_BLOCK_AT_MOST_HALF
    variant = _variant(kernel, "chunked", _two_pieces_if(extent, limit, cap.format(e=extent)), suffix="chunked_overlap")
    variant.attributes[ROW_TAIL] = StringAttr(OVERLAP)
    return variant


# the tail's block at most half the first piece: past it the two blocks hold as many lanes as the padded one
_TAIL_BLOCK_AT_MOST_HALF = "4 * next_power_of_2({e} - next_power_of_2({e}) // 2) <= next_power_of_2({e})"
_TAIL_AT_MOST_3_8 = "16 * {e} <= 11 * next_power_of_2({e})"  # the tail at most 3/8 of the first piece


def _two_pieces_if(extent: str, limit: int, *more: str) -> str:
    """The launch condition of a two-piece row: past CHUNKED_MIN, within `limit`, no power of two, and `more`."""
    return " and ".join([f"{extent} > {CHUNKED_MIN}", f"{extent} <= {limit}",
                         f"next_power_of_2({extent}) != {extent}", *more])


def exact_tail_variant(chunked: T.KernelOp | None, extent: str, limit: int, narrowed: bool) -> T.KernelOp | None:
    """Beside a chunked clone, one whose tail has no mask, for rows of two powers of two (the tail, what is left past
    the first piece `next_power_of_2(N) // 2`, is a power of two itself); None without a chunked clone. A kernel whose
    padded rows are `narrowed` (SINGLE_PASS_MAX, MANY_ROWS_MAX) keeps the chunked clone's 3/8 tail there: its wider
    rows are measured faster in the online loop, and a tail of half the first piece is not measured."""
    if chunked is None:
        return None
    tail = f"({extent} - next_power_of_2({extent}) // 2)"
    cap = [_TAIL_AT_MOST_3_8.format(e=extent)] if narrowed else []
    variant = _variant(chunked, "chunked", _two_pieces_if(extent, limit, f"next_power_of_2({tail}) == {tail}", *cap),
                       base=chunked.attributes["variant_of"].data, suffix="chunked_exact")
    variant.attributes[ROW_TAIL] = StringAttr(EXACT)
    return variant


def _variant(kernel: T.KernelOp, reduction: str, launch_if: str, base: str | None = None,
             suffix: str | None = None) -> T.KernelOp:
    """A clone of `kernel` named `<base>_<suffix>` (`kernel`'s name and the reduction's by default) that
    reduction-lowering lowers by `reduction`, launched instead of `base` for `launch_if`."""
    suffix = suffix or {"online": "looped"}.get(reduction, reduction)
    variant = kernel.clone()
    name = base or kernel.sym_name.data
    variant.properties["sym_name"] = StringAttr(f"{name}_{suffix}")
    variant.attributes["reduction"] = StringAttr(reduction)
    variant.attributes["variant_of"] = StringAttr(name)
    variant.attributes["launch_if"] = StringAttr(launch_if)
    return variant


def persistent_limits(kernel: T.KernelOp, extent: str, p: Plan | None, persistent_max: int) -> tuple[int, int]:
    """(widest row held as one padded block, widest row held as two pieces): `persistent-max` for both when given,
    else by element size, narrower for a one-pass kernel (SINGLE_PASS_MAX) or one holding three row-long tensors
    (MANY_ROWS_MAX), as the online plan `p` says; a row of two pieces then holds a first piece of at most the padded
    block's width."""
    if persistent_max:
        return persistent_max, persistent_max
    size_max = PERSISTENT_MAX[row_element_bytes(kernel, extent)]
    if p is not None and p.phases == 1:
        limit = min(size_max, SINGLE_PASS_MAX)
    elif p is not None and sum(isinstance(op, T.LoadOp) for op in p.row_ops) >= 3:
        limit = min(size_max, MANY_ROWS_MAX)
    else:
        return size_max, size_max
    return limit, min(size_max, 2 * limit)


def online_variant(kernel: T.KernelOp, extent: str, p: Plan | None, limit: int) -> T.KernelOp | None:
    """The online clone of a kernel that reduces rows (along `extent`), for rows wider than `limit`; None where it
    cannot be looped (no online plan `p`)."""
    return None if p is None else _variant(kernel, "online", f"{extent} > {limit}")


@register_pass
@dataclass(frozen=True)
class ReductionVariantsPass(ModulePass):
    """Clone each row-reducing kernel as an online variant, launched for rows wider than persistent-max, and (2-byte
    rows) as a chunked one for rows just past a power of two."""

    name = "reduction-variants"
    persistent_max: int = 0  # widest row (elements) run persistently; 0: by element size

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in list(kernels(module)):
            if "variant_of" in kernel.attributes or "reduction" in kernel.attributes:
                continue  # a variant already, or a kernel with its strategy chosen
            canon = extent_classes(kernel)
            extent = looped_extent(kernel, canon)
            if extent is None:
                continue  # no reduction over a whole dim
            online = plan(kernel, extent, find_pairs(kernel, extent), canon)
            padded, pieces = persistent_limits(kernel, extent, online, self.persistent_max)
            at = kernel
            # the launcher takes the first variant whose `launch_if` holds: an exact two-piece row before the other
            # chunked one (overlapping or masked tail), both before the online loop (their widths overlap where the
            # padded block's limit is narrowed)
            narrowed = padded < PERSISTENT_MAX[row_element_bytes(kernel, extent)]
            chunked = chunked_variant(kernel, extent, canon, pieces, narrowed)
            for variant in (exact_tail_variant(chunked, extent, pieces, narrowed), chunked,
                            online_variant(kernel, extent, online, padded)):
                if variant is not None:
                    module.body.block.insert_op_after(variant, at)
                    at = variant
