"""tensor-descriptors: dot kernels whose operands and results move as tensor-descriptor (TMA) blocks where the
tensors allow it, picked at launch (Helion's `indexing="tensor_descriptor"`).

Hopper's tensor memory accelerator copies a block of a tensor between global and shared memory from a descriptor
(base, sizes, strides, block shape): no pointer block in registers, no masks (lanes past the sizes read 0, writes
past them are dropped). It needs the tensor's last stride to be 1, every other stride and the base address to be
multiples of 16 bytes, and a block at least 16 bytes wide along the last dim - facts of the call, not of the code.
So beside each kernel with a `tile.dot` this pass makes a clone, `<name>_tma`, whose accesses that fit are marked
`indexing = "tensor_descriptor"` (lower-to-tt lowers them to `tt.make_descriptor` once per kernel and
`tt.descriptor_load` / `tt.descriptor_store` per access), with `variant_of` the kernel and `launch_if`
`descriptors_fit(t, ...)` over the tensors it reads or writes so (kopt/launch/hostmath.py: strides and base checked on
every call). A call with a misaligned tensor (4097 x 4095 x 1023 fp16: rows of 8190 bytes) launches the pointer kernel.

An access fits where it is a plain block of a kernel tensor: every subscript a range (a tile or a whole dim) whose end the
host knows, or a scalar index (one batch of a bmm, one head of attention: a block of 1 there, reshaped away), no views, no tile of
indices, no new axes, no device index checks; a load whose masked lanes read 0 (TMA's padding); a store that is no
atomic; along the last dim a dot's m, n or k block (16 elements or more) or a whole dim whose block is 16 bytes or
more (a launch condition). A descriptor's size along a dim is the end of the range that subscripts it (a loop that
stops short of the tensor's end reads 0 past it, as its mask did). A dot's blocks are 16 to 256 elements
(kopt/launch/dot_tiles.py), within TMA's limit of 256 a dim. Kernels with
persistent programs (`pid_type`) and split-K's pair keep pointers.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import BlockArgument
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import elem_bytes, is_bool, is_float
from kopt.dialects.types import RangeType, TileType
from kopt.ir.util import kernels
from kopt.passes.registry import register_pass

_ZERO = ("0", "0.0", "-0.0", "False", "false")


def _is_scalar_index(v) -> bool:
    t = v.type
    return isinstance(t, TileType) and t.rank == 0 and not is_float(t.element_type) and not is_bool(t.element_type)


def _inner_width(op: T.LoadOp | T.StoreOp, roles: set[str]) -> str | None:
    """A launch condition that the block is at least 16 bytes wide along the last dim ("" where every launch has it:
    a dot's m, n or k block, 16 elements or more), or None where it cannot be (a scalar index there)."""
    last = op.indices[-1]
    if not isinstance(last.type, RangeType):
        return None
    if last.type.block.data in roles:
        return ""
    if isinstance(last.owner, T.WholeRangeOp):  # a whole dim: its block is the dim's next power of two
        return f"next_power_of_2({last.type.extent.data}) * {elem_bytes(op.tensor.type.element_type)} >= 16"
    return None


def _fits(op: T.LoadOp | T.StoreOp) -> bool:
    """A plain block of a kernel tensor argument, as TMA moves it (see the module docstring)."""
    tensor = op.tensor
    if not isinstance(tensor, BlockArgument) or "device_index_checks" in op.attributes:
        return False
    if any(s != "i" for s in op.spec_list) or len(op.indices) != tensor.type.rank or not 1 <= tensor.type.rank <= 5:
        return False
    if not all(isinstance(i.type, RangeType) or _is_scalar_index(i) for i in op.indices):
        return False
    # the descriptor is made at the kernel's start: a range whose end the kernel computes (`hl.tile(t.begin, t.end)`,
    # split-K's runs: `_dyn_*` values) has no size there
    if any(isinstance(i.type, RangeType) and T.computed_in_kernel(i.type.end) for i in op.indices):
        return False
    element = tensor.type.element_type
    if elem_bytes(element) not in (1, 2, 4) or is_bool(element):  # Triton's bool is i1: no whole byte to move
        return False
    blocks = [i.type.block.data for i in op.indices if isinstance(i.type, RangeType)]  # the access's own shape
    if isinstance(op, T.LoadOp):
        return list(op.result.type.dims) == blocks and (not any(op.masked_flags) or op.other.data in _ZERO)
    return list(op.value.type.dims) == blocks


def descriptor_variant(kernel: T.KernelOp) -> T.KernelOp | None:
    """The clone of a dot kernel with its fitting accesses marked, or None where none fits."""
    variant = kernel.clone()
    roles = {sym for sym in variant.attributes["dot_dims"].data} if "dot_dims" in variant.attributes else set()
    conditions, names = [], []  # (in order, once each)
    for op in variant.walk():
        if isinstance(op, (T.LoadOp, T.StoreOp)) and _fits(op) and (width := _inner_width(op, roles)) is not None:
            op.attributes[tt.INDEXING] = StringAttr(tt.TENSOR_DESCRIPTOR)
            if width and width not in conditions:
                conditions.append(width)
            if (name := variant.arg_names[op.tensor.index]) not in names:
                names.append(name)
    if not names:
        return None
    variant.properties["sym_name"] = StringAttr(f"{kernel.sym_name.data}_tma")
    variant.attributes["variant_of"] = StringAttr(kernel.sym_name.data)
    variant.attributes["launch_if"] = StringAttr(" and ".join([f"descriptors_fit({', '.join(names)})", *conditions]))
    variant.attributes[tt.INDEXING] = StringAttr(tt.TENSOR_DESCRIPTOR)
    return variant


@register_pass
@dataclass(frozen=True)
class TensorDescriptorsPass(ModulePass):
    """Beside each dot kernel, a clone whose plain block accesses use tensor descriptors (TMA), launched where the
    tensors' strides and base addresses allow them."""

    name = "tensor-descriptors"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in list(kernels(module)):
            attrs = kernel.attributes
            if any(a in attrs for a in ("variant_of", "split_k_of", "pid_type")):
                continue
            if not any(isinstance(op, T.DotOp) for op in kernel.walk()):
                continue
            variant = descriptor_variant(kernel)
            if variant is None:
                continue
            # after the kernel's other variants: the launcher takes the first whose `launch_if` holds (split-K first)
            at = kernel
            for other in kernels(module):
                if other.attributes.get("variant_of") == kernel.sym_name:
                    at = other
            module.body.block.insert_op_after(variant, at)
