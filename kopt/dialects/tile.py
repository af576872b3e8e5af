"""The tile dialect: kopt's high-level IR, the host side and the device side of a kernel.

A module holds, as MLIR's `gpu` dialect does, a host function (`tile.host_func`:
Python statements kept verbatim, and `tile.launch` of a kernel) and the device
kernels it launches (`tile.kernel`). Device values are symbolically shaped
tiles (`!tile.tile<[...], f32>`); loops run over ranges (`!tile.range<n, B>`).
Elementwise ops broadcast like torch; their result shapes are `?` until the
`shape-inference` pass fills them in.

This file defines the structure ops (kernel, for, yield) and assembles the dialect from the op
families, one file each: tile_host.py, tile_memory.py, tile_elementwise.py, tile_reduce.py,
tile_layout.py, tile_contraction.py, tile_access.py. Every op class declares its meaning through
the interfaces of interfaces.py; every name is re-exported here (`T.AddOp`, `T.LoadOp`, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Attribute, Block, Dialect, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import IsolatedFromAbove, IsTerminator, NoTerminator, Pure, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from kopt.analysis import DATA_SIZE_PREFIX
from kopt.dialects.dtypes import i1, is_float
from kopt.dialects.enums import ENUM_ATTRS, LoopKind, LoopKindAttr, enum_attr
from kopt.dialects.interfaces import Carried, DimRef, HasDimMap, InfersShape, LoopCarried, ShapeError
from kopt.dialects.shape_rules import fmt_shape
from kopt.dialects.plan import KernelPlanAttr
from kopt.dialects.sizes import FactAttr, SizeAttr, parse_size, print_size
# Every op family's names, re-exported (`T.AddOp`, `T.LoadOp`): a new op is named in its own module's
# `__all__` only, and its family's tuple puts it in the dialect below.
from kopt.dialects.tile_access import *  # noqa: F403
from kopt.dialects.tile_access import ACCESS_OPS as VIEW_OPS
from kopt.dialects.tile_contraction import *  # noqa: F403
from kopt.dialects.tile_elementwise import *  # noqa: F403
from kopt.dialects.tile_host import *  # noqa: F403
from kopt.dialects.tile_host import HostFuncOp, HostReturnOp, LaunchOp, PyStmtOp, print_sym_header
from kopt.dialects.tile_layout import *  # noqa: F403
from kopt.dialects.tile_memory import *  # noqa: F403
from kopt.dialects.tile_reduce import *  # noqa: F403
from kopt.dialects.tile_contraction import CONTRACTION_OPS
from kopt.dialects.tile_elementwise import BINARY_OPS, UNARY_CLASSES, CastOp, ConstantOp, InlineAsmOp, SymbolOp, WhereOp
from kopt.dialects.tile_layout import LAYOUT_OPS
from kopt.dialects.tile_memory import ACCESS_OPS, RANGE_OPS, BarrierOp
from kopt.dialects.tile_reduce import REDUCE_OPS
from kopt.dialects.types import PointerType, RangeType, TensorType, TileType

# ---------------------------------------------------------------- kernel


@irdl_op_definition
class KernelOp(IRDLOperation):
    """A device kernel. Entry block arguments are its tensors and scalars.

    `arg_names` names them; `plan` (a `#tile.plan`, kopt/dialects/plan.py) holds what passes decide
    about its launch: grid, block sizes, shape facts. Other attributes record single decisions
    (`dot_dims`, `l2_grouping`, `bounds`, `variant_of` / `launch_if`, ...).
    """

    name = "tile.kernel"
    sym_name = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator(), IsolatedFromAbove(), SymbolOpInterface())

    def __init__(self, name: str, arg_types: Sequence[Attribute], arg_names: Sequence[str]):
        block = Block(arg_types=arg_types)
        for arg, hint in zip(block.args, arg_names):
            arg.name_hint = hint
        super().__init__(properties={"sym_name": StringAttr(name)}, regions=[Region(block)])
        self.attributes["arg_names"] = ArrayAttr(StringAttr(n) for n in arg_names)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.data for a in self.attributes["arg_names"].data)

    @property
    def plan(self) -> KernelPlanAttr:
        plan = self.attributes.get("plan")
        return plan if isinstance(plan, KernelPlanAttr) else KernelPlanAttr()

    @plan.setter
    def plan(self, plan: KernelPlanAttr) -> None:
        self.attributes["plan"] = plan

    def add_facts(self, facts: Sequence[str | FactAttr]) -> None:
        """State shape facts about this kernel (each checked as a fact: a KoptError if it is none)."""
        self.plan = self.plan.adding(facts=facts)

    def print(self, printer: Printer) -> None:
        print_sym_header(printer, self.sym_name)
        printer.print_string("(")
        for i, arg in enumerate(self.body.block.args):
            if i:
                printer.print_string(", ")
            printer.print_block_argument(arg)
        printer.print_string(")")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "KernelOp":
        name = parser.parse_symbol_name().data
        args = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_argument)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        region = parser.parse_region(args)
        op = cls.create(properties={"sym_name": StringAttr(name)}, regions=[region])
        if attrs:
            op.attributes.update(attrs.data)
        return op

    def verify_(self) -> None:
        names = self.attributes.get("arg_names")
        if not isinstance(names, ArrayAttr) or len(names.data) != len(self.body.block.args):
            raise VerifyException("tile.kernel needs an `arg_names` attribute naming each argument")
        if "plan" in self.attributes and not isinstance(self.attributes["plan"], KernelPlanAttr):
            raise VerifyException("tile.kernel: `plan` must be a #tile.plan")


# ---------------------------------------------------------------- loops


def print_iter_args(printer: Printer, carried, inits) -> None:
    """` iter_args(%acc = %init : type, ...)`, shared by tile.for and tt.for."""
    if not inits:
        return
    printer.print_string(" iter_args(")
    for i, (arg, init) in enumerate(zip(carried, inits)):
        if i:
            printer.print_string(", ")
        printer.print_block_argument(arg, print_type=False)
        printer.print_string(" = ")
        printer.print_ssa_value(init)
        printer.print_string(" : ")
        printer.print_attribute(init.type)
    printer.print_string(")")


def parse_iter_args(parser: Parser):
    """Parse an optional ` iter_args(...)`; returns (block arguments, init operands)."""
    args, inits = [], []
    if parser.parse_optional_keyword("iter_args"):

        def parse_carried():
            arg = parser.parse_argument(expect_type=False)
            parser.parse_punctuation("=")
            init = parser.parse_unresolved_operand()
            parser.parse_punctuation(":")
            t = parser.parse_type()
            args.append(arg.resolve(t))
            inits.append(parser.resolve_operand(init, t))

        parser.parse_comma_separated_list(parser.Delimiter.PAREN, parse_carried)
    return args, inits


class CarriesIterArgs(LoopCarried):
    """LoopCarried for ops with `iter_args` operands, results, a `carried` view of their block
    arguments and a yield as the body's last op (tile.for, tt.for)."""

    def carried_values(self) -> list[Carried]:
        last = self.body.block.last_op  # type: ignore[attr-defined]
        yields = list(last.operands) if isinstance(last, YieldOp) else [None] * len(self.iter_args)  # type: ignore[attr-defined]
        return [Carried(i, a, r, y) for i, a, r, y in
                zip(self.iter_args, self.carried, self.results, yields)]  # type: ignore[attr-defined]


@irdl_op_definition
class ForOp(IRDLOperation, CarriesIterArgs, HasDimMap):
    """A loop over tiles of one or more ranges.

    `parallel` loops become the launch grid (the `tiling` pass); `sequential` loops
    stay loops inside the kernel. Loop-carried values (accumulators) go through
    `iter_args` and `tile.yield`, as in `scf.for`.
    """

    name = "tile.for"
    iter_args = var_operand_def()
    res = var_result_def()
    kind = prop_def(LoopKindAttr)
    body = region_def("single_block")

    def __init__(self, range_types: Sequence[RangeType], kind: str, iter_args: Sequence[SSAValue] = ()):
        block = Block(arg_types=[*range_types, *(v.type for v in iter_args)])
        super().__init__(
            operands=[list(iter_args)],
            result_types=[[v.type for v in iter_args]],
            properties={"kind": enum_attr(LoopKindAttr, kind, "tile.for")},
            regions=[Region(block)],
        )

    @property
    def kind_name(self) -> str:
        return self.kind.data.value

    @property
    def ranges(self) -> tuple[SSAValue, ...]:
        return tuple(a for a in self.body.block.args if isinstance(a.type, RangeType))

    @property
    def carried(self) -> tuple[SSAValue, ...]:
        return self.body.block.args[len(self.ranges):]

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def dim_ties(self) -> list[tuple[DimRef, DimRef]]:
        """A carried value keeps its dims from the initial value to the yielded one and the result."""
        ties = []
        for c in self.carried_values():
            for v in (c.arg, c.result, c.yielded):
                if v is not None and isinstance(v.type, TileType):
                    r, o = v.type.rank, c.init.type.rank
                    ties += [((c.init, o - i), (v, r - i)) for i in range(1, min(r, o) + 1)]
        return ties

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        for i, arg in enumerate(self.ranges):
            if i:
                printer.print_string(", ")
            printer.print_block_argument(arg)
        printer.print_string(f" {self.kind_name}")
        print_iter_args(printer, self.carried, self.iter_args)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "ForOp":
        args = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_argument)
        kind = parser.parse_str_enum(LoopKind)
        carried, inits = parse_iter_args(parser)
        args += carried
        attrs = parser.parse_optional_attr_dict_with_keyword()
        region = parser.parse_region(args)
        op = cls.create(
            operands=inits,
            result_types=[v.type for v in inits],
            properties={"kind": LoopKindAttr(kind)},
            regions=[region],
        )
        if attrs:
            op.attributes.update(attrs.data)
        return op

    def verify_(self) -> None:
        if not self.ranges:
            raise VerifyException("tile.for needs at least one range")
        if len(self.carried) != len(self.iter_args):
            raise VerifyException("tile.for: loop-carried block arguments must follow the ranges")


@irdl_op_definition
class IfOp(IRDLOperation, InfersShape, HasDimMap):
    """A branch on a scalar condition, as `scf.if`: `%r = tile.if %c -> (types) { ... tile.yield %a } else
    { ... tile.yield %b }`. Values assigned in a branch and used after it are its results; each branch yields
    them in order. Both regions are single blocks ended by `tile.yield` (the else region may be empty only
    when there are no results). Triton writes it as a Python `if` on a scalar."""

    name = "tile.if"
    cond = operand_def(TileType)
    res = var_result_def()
    then_region = region_def("single_block")
    else_region = region_def()

    def __init__(self, cond: SSAValue, result_types: Sequence[Attribute] = ()):
        super().__init__(operands=[cond], result_types=[list(result_types)],
                         regions=[Region(Block()), Region(Block())])

    def yielded(self) -> list[list[SSAValue]]:
        """Per result, the value each branch yields for it."""
        outs = []
        for region in (self.then_region, self.else_region):
            last = region.blocks[0].last_op if region.blocks else None
            outs.append(list(last.operands) if isinstance(last, YieldOp) else [])
        return [list(vs) for vs in zip(*outs)] if self.res else []

    def infer_dims(self, sizes) -> list[str] | None:
        return None

    def infer_results(self, sizes) -> list[list[str] | None]:
        """Each result has the shape both branches give it (they must agree)."""
        out = []
        for result, values in zip(self.res, self.yielded()):
            shapes = [v.type.dims for v in values]
            if any(not sizes.equal(a, b).is_true or len(x) != len(y) for x, y in zip(shapes, shapes[1:])
                   for a, b in zip(x, y)) or len({len(x) for x in shapes}) > 1:
                raise ShapeError(f"`{result.name_hint or 'a value'}` has shape {fmt_shape(shapes[0])} in one branch of "
                                 f"this `if` and {fmt_shape(shapes[-1])} in the other",
                                 "give it the same shape in both branches")
            out.append(list(shapes[0]))
        return out

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def dim_ties(self) -> list[tuple[DimRef, DimRef]]:
        ties = []
        for result, values in zip(self.res, self.yielded()):
            for v in values:
                if isinstance(v.type, TileType) and isinstance(result.type, TileType):
                    ties += [((result, i), (v, i)) for i in range(min(result.type.rank, v.type.rank))]
        return ties

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.cond)
        printer.print_string(" : ")
        printer.print_attribute(self.cond.type)
        if self.res:
            printer.print_string(" -> (")
            printer.print_list([r.type for r in self.res], printer.print_attribute)
            printer.print_string(")")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.then_region, print_entry_block_args=False)
        if self.else_region.blocks and self.else_region.blocks[0].ops:
            printer.print_string(" else ")
            printer.print_region(self.else_region, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "IfOp":
        cond = parser.parse_unresolved_operand()
        parser.parse_punctuation(":")
        cond = parser.resolve_operand(cond, parser.parse_type())
        types = []
        if parser.parse_optional_punctuation("->"):
            types = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_type)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        then_region = parser.parse_region()
        else_region = parser.parse_region() if parser.parse_optional_keyword("else") else Region(Block())
        op = cls.create(operands=[cond], result_types=types, regions=[then_region, else_region])
        if attrs:
            op.attributes.update(attrs.data)
        return op

    def verify_(self) -> None:
        t = self.cond.type
        if not isinstance(t, TileType) or t.rank != 0 or t.element_type != i1:
            raise VerifyException("tile.if: the condition must be a scalar i1 (`!tile.tile<[], i1>`)")
        for region in (self.then_region, self.else_region):
            if len(region.blocks) > 1:
                raise VerifyException("tile.if: each branch is one block")
        ends = [r.blocks[0].last_op if r.blocks else None for r in (self.then_region, self.else_region)]
        if self.res and not all(isinstance(e, YieldOp) and len(e.operands) == len(self.res) for e in ends):
            raise VerifyException(f"tile.if: both branches must end in a tile.yield of its {len(self.res)} results")
        for result, values in zip(self.res, self.yielded()):
            if any(not isinstance(v.type, TileType) or v.type.element_type != result.type.element_type
                   or v.type.rank != result.type.rank for v in values):
                raise VerifyException("tile.if: a branch yields a value of another element type or rank than the result")


KERNEL_SIZE_PREFIX = "_dyn_"  # the names of the sizes a kernel computes (`tile.let`)


def computed_in_kernel(size: SizeAttr) -> bool:
    """Does `size` name a size the kernel computes (a `tile.let`), which the host cannot know?"""
    return any(name.startswith(KERNEL_SIZE_PREFIX) for name in size.names)


@irdl_op_definition
class LetOp(IRDLOperation, InfersShape, HasDimMap):
    """`tile.let _dyn_extent_0 = %v : !tile.tile<[], i32>`: a size the kernel computes from data (a loop bound
    loaded from a tensor, a tile's end), named so that types and loop bounds can use it as any size. The name
    starts with `_dyn_`: such sizes are nonnegative (an empty group has extent 0) and the host cannot know
    them. `bound`, where known, is a size the host knows that it never exceeds (the launcher picks the
    block of a loop over it from the bound). Not pure: the names it defines are read through types, which
    dead-code elimination does not see."""

    name = "tile.let"
    value = operand_def(TileType)
    symbol = prop_def(SizeAttr)
    bound = opt_prop_def(SizeAttr)

    def __init__(self, symbol: str, value: SSAValue, bound: str | None = None):
        props = {"symbol": SizeAttr(symbol)}
        if bound is not None:
            props["bound"] = SizeAttr(bound)
        super().__init__(operands=[value], properties=props)

    def infer_dims(self, sizes) -> None:
        return None

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.symbol.data} = ")
        printer.print_ssa_value(self.value)
        if self.bound is not None:
            printer.print_string(" bound ")
            print_size(printer, self.bound.data)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.value.type)

    @classmethod
    def parse(cls, parser: Parser) -> "LetOp":
        symbol = parser.parse_identifier()
        parser.parse_punctuation("=")
        value = parser.parse_unresolved_operand()
        bound = parse_size(parser) if parser.parse_optional_keyword("bound") else None
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        op = cls(symbol, parser.resolve_operand(value, parser.parse_type()), bound)
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        if not self.symbol.data.startswith(DATA_SIZE_PREFIX):
            raise VerifyException(f"tile.let: a size computed in the kernel is named `{DATA_SIZE_PREFIX}...`, "
                                  f"not `{self.symbol.data}`")
        t = self.value.type
        if not isinstance(t, TileType) or t.rank != 0 or is_float(t.element_type):
            raise VerifyException("tile.let: the value must be a scalar integer")


@irdl_op_definition
class JaggedOp(IRDLOperation, InfersShape, HasDimMap):
    """`tile.jagged %tile_k, %ends : !tile.range<...>, !tile.tile<[B0], i64>`: the lanes of range `%tile_k`
    (a loop to the largest end, `hl.jagged_tile(ends)`) run, for each lane of the enclosing tiles that `ends`
    runs along, only while `index < ends`. `jagged-masks` turns it into the masks of the accesses and the
    neutral fills of the reductions that see both, and erases it."""

    name = "tile.jagged"
    range = operand_def(RangeType)
    ends = operand_def(TileType)
    assembly_format = "$range `,` $ends attr-dict `:` type($range) `,` type($ends)"

    def __init__(self, range_: SSAValue, ends: SSAValue):
        super().__init__(operands=[range_, ends])

    def infer_dims(self, sizes) -> None:
        return None

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def verify_(self) -> None:
        t = self.ends.type
        if t.rank == 0 or is_float(t.element_type):
            raise VerifyException("tile.jagged: the ends must be a tile of integers of rank >= 1")


@irdl_op_definition
class YieldOp(IRDLOperation, InfersShape, HasDimMap):
    """Ends a `tile.for` body, passing loop-carried values to the next iteration."""

    name = "tile.yield"
    values = var_operand_def()
    traits = traits_def(IsTerminator(), Pure())
    assembly_format = "($values^ `:` type($values))? attr-dict"

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[list(values)])

    def infer_dims(self, sizes) -> None:
        return None  # the loop checks what it yields against what it carries

    def result_dims(self) -> list[list[DimRef] | None]:
        return []


Tile = Dialect(
    "tile",
    [
        HostFuncOp, PyStmtOp, LaunchOp, HostReturnOp, KernelOp, ForOp, IfOp, LetOp, JaggedOp, YieldOp, *ACCESS_OPS,
        BarrierOp, *RANGE_OPS,
        *BINARY_OPS, *UNARY_CLASSES, CastOp, ConstantOp, SymbolOp, WhereOp, InlineAsmOp, *REDUCE_OPS, *LAYOUT_OPS,
        *CONTRACTION_OPS, *VIEW_OPS,
    ],
    [TensorType, TileType, RangeType, SizeAttr, FactAttr, KernelPlanAttr, *ENUM_ATTRS],
)

__all__ = ["Tile", "PointerType", "KernelOp", "ForOp", "IfOp", "LetOp", "JaggedOp", "YieldOp", "CarriesIterArgs", "print_iter_args",
           "parse_iter_args", "computed_in_kernel", "KERNEL_SIZE_PREFIX"]
