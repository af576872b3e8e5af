"""reduction-variants: beside each kernel that reduces rows, an online-softmax variant for rows too
wide to hold in registers, picked by the launcher from the sizes (one compile serves every width).

A persistent kernel holds a whole row in registers (one `next_power_of_2(N)` block); past about
32768 columns that spills (measured on an H100, benchmarks/reduction_sweep.py: persistent softmax
reaches copy bandwidth up to 32768 columns in fp32 and fp16; at 65536 it ran at 2170 GB/s fp32 and
1840 fp16, where the online kernel's two reads gave about 2000 in both). So a kernel that can be
looped gets a clone, `<name>_looped`, marked `reduction = "online"` (reduction-lowering lowers it
so), `variant_of` its original and `launch_if` the row is wider than `persistent-max` (by element
size when 0): the launcher runs the clone when that holds, the original otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.ir.extents import extent_classes
from kopt.ir.online_pairs import find_pairs
from kopt.ir.row_plan import looped_extent, plan, row_element_bytes
from kopt.ir.util import kernels
from kopt.passes.registry import register_pass

# Widest row (elements) a persistent program holds, by element size of the row's tensor: beyond it
# the launcher runs the online variant (see the module docstring for the measurement).
PERSISTENT_MAX = {1: 32768, 2: 32768, 4: 32768, 8: 16384}


def online_variant(kernel: T.KernelOp, persistent_max: int) -> T.KernelOp | None:
    """The online clone of a kernel that reduces rows and can be looped; None for any other kernel."""
    canon = extent_classes(kernel)
    extent = looped_extent(kernel, canon)
    if extent is None or plan(kernel, extent, find_pairs(kernel, extent), canon) is None:
        return None
    variant = kernel.clone()
    name = kernel.sym_name.data
    variant.properties["sym_name"] = StringAttr(f"{name}_looped")
    limit = persistent_max or PERSISTENT_MAX[row_element_bytes(kernel, extent)]
    variant.attributes["reduction"] = StringAttr("online")
    variant.attributes["variant_of"] = StringAttr(name)
    variant.attributes["launch_if"] = StringAttr(f"{extent} > {limit}")
    return variant


@register_pass
@dataclass(frozen=True)
class ReductionVariantsPass(ModulePass):
    """Clone each row-reducing kernel as an online variant, launched for rows wider than persistent-max."""

    name = "reduction-variants"
    persistent_max: int = 0  # widest row (elements) run persistently; 0: by element size

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in list(kernels(module)):
            if "variant_of" in kernel.attributes or "reduction" in kernel.attributes:
                continue  # a variant already, or a kernel with its strategy chosen
            variant = online_variant(kernel, self.persistent_max)
            if variant is not None:
                module.body.block.insert_op_after(variant, kernel)
