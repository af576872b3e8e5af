"""The tt dialect: the Triton level.

It holds what Triton's Python API has and the tile dialect has not: program ids,
`arange`, pointer arithmetic and loads/stores through pointer blocks with an
explicit mask and `other`. Elementwise math, reductions, `where` and `expand`
keep using the tile dialect's ops (as MLIR's `arith` is shared by every level);
their operands are then Triton blocks with block-size shapes.
"""

from __future__ import annotations

from xdsl.dialects.builtin import I64, IntegerAttr, StringAttr
from xdsl.ir import Attribute, Block, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.traits import Pure

from kopt.dialects.dtypes import i32
from kopt.dialects.enums import AtomicKindAttr, Eviction, EvictionAttr, enum_attr
from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape
from kopt.dialects.sizes import SizeAttr, parse_size, print_size
from kopt.dialects.tile import CarriesIterArgs, parse_iter_args, print_iter_args
from kopt.dialects.types import DescriptorType, PointerType, TensorType, TileType


class _GridQuery(IRDLOperation):
    """A scalar about the launch grid along one axis."""

    axis = prop_def(IntegerAttr[I64])
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "`axis` $axis attr-dict `:` type($result)"

    def __init__(self, axis: int, result_type: TileType):
        super().__init__(properties={"axis": IntegerAttr(axis, 64)}, result_types=[result_type])


@irdl_op_definition
class ProgramIdOp(_GridQuery):
    """`tl.program_id(axis)`."""

    name = "tt.program_id"


@irdl_op_definition
class NumProgramsOp(_GridQuery):
    """`tl.num_programs(axis)`: the programs launched along a grid axis (a persistent kernel's stride over tiles)."""

    name = "tt.num_programs"


@irdl_op_definition
class ArangeOp(IRDLOperation, InfersShape, HasDimMap):
    """`tl.arange(0, BLOCK)`: the block size is the one dim of the result type (also at the tile level:
    `hl.arange`); a dim of its own, from no range."""

    name = "tt.arange"
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, result_type: TileType):
        super().__init__(result_types=[result_type])

    def infer_dims(self, sizes) -> list[str]:
        return list(self.result.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[]]


@irdl_op_definition
class AddPtrOp(IRDLOperation):
    """`base + offsets`: a block of pointers into a tensor argument."""

    name = "tt.addptr"
    base = operand_def(TensorType)
    offsets = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$base `,` $offsets attr-dict `:` type($base) `,` type($offsets) `->` type($result)"

    def __init__(self, base: SSAValue, offsets: SSAValue, result_type: Attribute):
        super().__init__(operands=[base, offsets], result_types=[result_type])


EVICTION_POLICIES = tuple(e.value for e in Eviction)


@irdl_op_definition
class LoadOp(IRDLOperation):
    """`tl.load(ptrs, mask, other=other)`; without a mask every lane is read."""

    name = "tt.load"
    ptrs = operand_def(TileType)
    mask = opt_operand_def(TileType)
    other = prop_def(StringAttr)
    eviction = opt_prop_def(EvictionAttr)  # Triton's eviction_policy; set by the reread-hints pass
    result = result_def(TileType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = (
        "$ptrs (`mask` $mask^)? `other` $other (`evict` $eviction^)? attr-dict"
        " `:` type($ptrs) (`,` type($mask)^)? `->` type($result)"
    )

    def __init__(self, ptrs: SSAValue, mask: SSAValue | None, other: str, result_type: Attribute):
        super().__init__(
            operands=[ptrs, [mask] if mask is not None else []],
            result_types=[result_type],
            properties={"other": StringAttr(other)},
        )


class _PointerWrite(IRDLOperation):
    """Shared form of the ops that write through a block of pointers: value, optional mask."""

    ptrs = operand_def(TileType)
    value = operand_def(TileType)
    mask = opt_operand_def(TileType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = (
        "$ptrs `,` $value (`mask` $mask^)? attr-dict `:` type($ptrs) `,` type($value) (`,` type($mask)^)?"
    )

    def __init__(self, ptrs: SSAValue, value: SSAValue, mask: SSAValue | None):
        super().__init__(operands=[ptrs, value, [mask] if mask is not None else []])


@irdl_op_definition
class StoreOp(_PointerWrite):
    """`tl.store(ptrs, value, mask)`."""

    name = "tt.store"
    eviction = opt_prop_def(EvictionAttr)  # Triton's eviction_policy; set by the reread-hints pass
    assembly_format = (
        "$ptrs `,` $value (`mask` $mask^)? (`evict` $eviction^)? attr-dict"
        " `:` type($ptrs) `,` type($value) (`,` type($mask)^)?"
    )


# The attribute the tensor-descriptors pass sets on the tile-level accesses lower-to-tt gives tensor descriptors (TMA
# blocks), and on the kernel clone that holds them (its launcher sets up Triton's scratch allocator for it)
INDEXING, TENSOR_DESCRIPTOR = "indexing", "tensor_descriptor"


def by_descriptor(op: Operation) -> bool:
    """Is `op` (an access or a kernel) marked `indexing = "tensor_descriptor"`?"""
    marked = op.attributes.get(INDEXING)
    return isinstance(marked, StringAttr) and marked.data == TENSOR_DESCRIPTOR


@irdl_op_definition
class MakeDescriptorOp(IRDLOperation):
    """`tl.make_tensor_descriptor(base, shape=sizes, strides=[strides..., 1], block_shape=...)`: a kernel tensor as
    Hopper's TMA moves it, bounded by `sizes` (lanes past them read 0, writes past them are dropped). The last stride
    is 1 by the launch's check (`descriptors_fit`), so only the leading strides are operands."""

    name = "tt.make_descriptor"
    base = operand_def(TensorType)
    sizes = var_operand_def(TileType)
    strides = var_operand_def(TileType)
    result = result_def(DescriptorType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = (
        "$base `sizes` `(` $sizes `)` `strides` `(` $strides `)` attr-dict"
        " `:` type($base) `sizes` `(` type($sizes) `)` `strides` `(` type($strides) `)` `->` type($result)"
    )

    def __init__(self, base: SSAValue, sizes: list[SSAValue], strides: list[SSAValue], result_type: Attribute):
        super().__init__(operands=[base, sizes, strides], result_types=[result_type])

    def verify_(self) -> None:
        rank = len(self.result.type.dims)
        if len(self.sizes) != rank or len(self.strides) != rank - 1:
            raise VerifyException(f"tt.make_descriptor: a block of rank {rank} needs {rank} sizes and {rank - 1} "
                                  f"strides, not {len(self.sizes)} and {len(self.strides)}")


@irdl_op_definition
class DescriptorLoadOp(IRDLOperation):
    """`desc.load([offsets])`: the block at these element offsets (0 past the descriptor's sizes)."""

    name = "tt.descriptor_load"
    desc = operand_def(DescriptorType)
    offsets = var_operand_def(TileType)
    result = result_def(TileType)
    assembly_format = "$desc `[` $offsets `]` attr-dict `:` type($desc) `[` type($offsets) `]` `->` type($result)"

    def __init__(self, desc: SSAValue, offsets: list[SSAValue], result_type: Attribute):
        super().__init__(operands=[desc, offsets], result_types=[result_type])


@irdl_op_definition
class DescriptorStoreOp(IRDLOperation):
    """`desc.store([offsets], value)`: the block written at these element offsets (lanes past the sizes dropped)."""

    name = "tt.descriptor_store"
    desc = operand_def(DescriptorType)
    offsets = var_operand_def(TileType)
    value = operand_def(TileType)
    assembly_format = "$desc `[` $offsets `]` `,` $value attr-dict `:` type($desc) `[` type($offsets) `]` type($value)"

    def __init__(self, desc: SSAValue, offsets: list[SSAValue], value: SSAValue):
        super().__init__(operands=[desc, offsets, value])


@irdl_op_definition
class AtomicRMWOp(_PointerWrite):
    """`tl.atomic_<kind>(ptrs, value, mask)` (`hl.atomic_add`, `hl.atomic_max`, ...); its result (the old
    values) is not used."""

    name = "tt.atomic_rmw"
    kind = prop_def(AtomicKindAttr)
    assembly_format = (
        "$kind $ptrs `,` $value (`mask` $mask^)? attr-dict `:` type($ptrs) `,` type($value) (`,` type($mask)^)?"
    )

    def __init__(self, kind: str, ptrs: SSAValue, value: SSAValue, mask: SSAValue | None):
        IRDLOperation.__init__(self, operands=[ptrs, value, [mask] if mask is not None else []],
                               properties={"kind": enum_attr(AtomicKindAttr, kind, "tt.atomic_rmw")})


@irdl_op_definition
class IndexFlagOp(IRDLOperation):
    """KOPT_CHECK_INDICES: lanes where `bad` holds record check number `check` in the launch's flag buffer
    (`tl.atomic_max`; the launcher reads it after the call and raises the check's located error). The
    access itself is masked off on those lanes, so the kernel runs to the end instead of faulting."""

    name = "tt.index_flag"
    flags = operand_def(TensorType)
    bad = operand_def(TileType)
    check = prop_def(IntegerAttr[I64])
    assembly_format = "$flags `,` $bad `check` $check attr-dict `:` type($flags) `,` type($bad)"

    def __init__(self, flags: SSAValue, bad: SSAValue, check: int):
        super().__init__(operands=[flags, bad], properties={"check": IntegerAttr(check, 64)})


@irdl_op_definition
class ForOp(IRDLOperation, CarriesIterArgs):
    """`for offset in tl.range(start, end, step):` with loop-carried values.

    The first block argument is the loop's offset (a scalar); the others carry
    values from one iteration to the next, ended by `tile.yield`, as in `scf.for`.
    Bounds are sizes (`SizeAttr`). With the unit attribute `reverse` the offsets
    run from the last chunk down to `start` (the same set, backwards).
    """

    name = "tt.for"
    iter_args = var_operand_def()
    res = var_result_def()
    start = prop_def(SizeAttr)
    end = prop_def(SizeAttr)
    step = prop_def(SizeAttr)
    body = region_def("single_block")

    def __init__(self, start: str | SizeAttr, end: str | SizeAttr, step: str | SizeAttr, iter_args=()):
        block = Block(arg_types=[TileType([], i32), *(v.type for v in iter_args)])
        bounds = {k: v if isinstance(v, SizeAttr) else SizeAttr(v) for k, v in (("start", start), ("end", end), ("step", step))}
        super().__init__(
            operands=[list(iter_args)],
            result_types=[[v.type for v in iter_args]],
            properties=bounds,
            regions=[Region(block)],
        )

    @property
    def offset(self) -> SSAValue:
        return self.body.block.args[0]

    @property
    def carried(self):
        return self.body.block.args[1:]

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_block_argument(self.offset, print_type=False)
        printer.print_string(" = ")
        print_size(printer, self.start.data)
        printer.print_string(" to ")
        print_size(printer, self.end.data)
        printer.print_string(" step ")
        print_size(printer, self.step.data)
        print_iter_args(printer, self.carried, self.iter_args)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "ForOp":
        offset = parser.parse_argument(expect_type=False).resolve(TileType([], i32))
        parser.parse_punctuation("=")
        start = parse_size(parser)
        parser.parse_keyword("to")
        end = parse_size(parser)
        parser.parse_keyword("step")
        step = parse_size(parser)
        args, inits = parse_iter_args(parser)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        region = parser.parse_region([offset, *args])
        op = cls.create(
            operands=inits,
            result_types=[v.type for v in inits],
            properties={"start": SizeAttr(start), "end": SizeAttr(end), "step": SizeAttr(step)},
            regions=[region],
        )
        if attrs:
            op.attributes.update(attrs.data)
        return op


def phase_loops(kernel: Operation) -> list[ForOp]:
    """The loops reduction-lowering made for a looped reduction's phases (a `phase` number each), in
    phase order: what the reread-hints pass and the launcher's warp choice look for."""
    loops = [op for op in kernel.walk() if isinstance(op, ForOp) and isinstance(op.attributes.get("phase"), IntegerAttr)]
    return sorted(loops, key=lambda op: op.attributes["phase"].value.data)


TT = Dialect("tt", [ProgramIdOp, NumProgramsOp, ArangeOp, AddPtrOp, LoadOp, StoreOp, AtomicRMWOp, IndexFlagOp, ForOp,
                    MakeDescriptorOp, DescriptorLoadOp, DescriptorStoreOp], [PointerType, DescriptorType, EvictionAttr])
