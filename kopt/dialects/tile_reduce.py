"""Reductions of the tile dialect: `tile.reduce`, `tile.softmax`, `tile.dim_size`, `tile.mask_fill`, the scans,
and the reductions and scans with a user's combine function (`tile.reduce_fn`, `tile.scan_fn`).

`tile.reduce` states its neutral element and combiner per kind (masking fills lanes past a
range's end with the neutral element; a looped reduction folds chunks with the combiner).

`tile.dim_size`: how many elements a tile value really holds along one dim. `x.mean(1)` is
`x.sum(1) / (size of dim 1)`, but a tile's dims are `?` until `shape-inference`, so the frontend
cannot name the divisor; the `resolve-dim-sizes` pass replaces the op once shapes are known: a
whole dim gives its extent (`_m`, never the padded `_RDIM_SIZE_1`), a loop tile's dim its valid
lanes (`end - begin`, shorter for the last tile), a literal dim its value.

`tile.mask_fill`: set the lanes of a tile that lie past the end of a range (along one dim) to a
value; `masking` inserts it before a reduction, `mask-elision` removes it where proven useless.

`tile.reduce_fn` / `tile.scan_fn`: `hl.reduce(combine_fn, x, dim)` / `hl.associative_scan(combine_fn, x, dim)`,
as Triton's `tt.reduce` / `tt.scan`: the combine function is the op's region, one block whose arguments are
two sets of scalars (the left operands, then the right ones) and which yields one scalar per input. Inputs
may be several tiles of one shape (an argmax as a reduce of (value, index)); the results follow them.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import I64, ArrayAttr, IntegerAttr, StringAttr, UnitAttr
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import (IRDLOperation, irdl_op_definition, operand_def, opt_prop_def, prop_def, region_def,
                       result_def, traits_def, var_operand_def, var_result_def)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import IsolatedFromAbove, Pure
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.dtypes import i32, is_float, short_name
from kopt.dialects.enums import ReduceKindAttr, enum_attr
from kopt.dialects.interfaces import DimRef, HasDimMap, InfersShape, OrdersLanes, Reduces, ShapeError
from kopt.dialects.shape_rules import fmt_shape, reduced_map, reduced_shape, renumbered_dim, right_aligned
from kopt.dialects.tile_elementwise import AddOp, AndOp, GtOp, LtOp, MaximumOp, MinimumOp, MulOp, OrOp, WhereOp
from kopt.dialects.types import RangeType, TileType

# the value that leaves a reduction unchanged; integers use the i32 extremes (Triton's max/min of int blocks)
_NEUTRAL = {"sum": "0", "prod": "1", "max": "-inf", "argmax": "-inf", "min": "inf", "argmin": "inf"}
_INT_NEUTRAL = {"max": "-2147483648", "argmax": "-2147483648", "min": "2147483647", "argmin": "2147483647"}
_COMBINER = {"sum": AddOp, "prod": MulOp, "max": MaximumOp, "min": MinimumOp}
_ARG = {"argmax": ("max", GtOp), "argmin": ("min", LtOp)}  # strict: the first occurrence wins, as in torch


def neutral_of(kind: str, element_type: Attribute) -> str:
    return _NEUTRAL[kind] if is_float(element_type) or kind not in _INT_NEUTRAL else _INT_NEUTRAL[kind]


def _dim(op) -> int:
    return op.dim.value.data


@irdl_op_definition
class ReduceOp(IRDLOperation, InfersShape, HasDimMap, Reduces):
    """Reduce one dim: `tile.reduce sum %v dim 1 keepdim : ... -> ...`."""

    name = "tile.reduce"
    operand = operand_def(TileType)
    result = result_def(TileType)
    kind = prop_def(ReduceKindAttr)
    dim = prop_def(IntegerAttr[I64])
    keepdim = opt_prop_def(UnitAttr)
    nan = opt_prop_def(UnitAttr)  # max/min/argmax/argmin as torch: a NaN wins (the user's reductions)
    traits = traits_def(Pure())
    assembly_format = ("$kind $operand `dim` $dim (`keepdim` $keepdim^)? (`nan` $nan^)? attr-dict `:` type($operand) "
                       "`->` type($result)")

    def __init__(self, kind: str, operand: SSAValue, dim: int, keepdim: bool, result_type: Attribute,
                 nan: bool = False):
        props = {"kind": enum_attr(ReduceKindAttr, kind, "tile.reduce"), "dim": IntegerAttr(dim, 64)}
        if keepdim:
            props["keepdim"] = UnitAttr()
        if nan and kind in ("max", "min", "argmax", "argmin") and is_float(operand.type.element_type):
            props["nan"] = UnitAttr()
        super().__init__(operands=[operand], result_types=[result_type], properties=props)

    @property
    def propagates_nan(self) -> bool:
        """A NaN in the reduced lanes is the result (its index, for argmax/argmin), as in torch. Internal maxima
        (softmax's, logsumexp's) leave it off: a NaN reaches their result through the exp anyway."""
        return self.nan is not None

    @property
    def kind_name(self) -> str:
        return self.kind.data.value

    @property
    def keeps_dim(self) -> bool:
        return self.keepdim is not None

    @property
    def reduced_size(self) -> str:
        """The size of the dim it reduces."""
        return self.operand.type.dims[_dim(self)]

    def infer_dims(self, sizes) -> list[str]:
        return reduced_shape(self.operand.type.dims, _dim(self), self.keeps_dim)

    def result_dims(self) -> list[list[DimRef] | None]:
        return reduced_map(self.operand, _dim(self), self.keeps_dim)

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        if self.keeps_dim and _dim(self) in dropped.get(self.result, []) and _dim(self) not in dropped.get(self.operand, []):
            return None  # the kept unit dim is tied to a dropped one, but the property makes it
        return renumbered_dim(_dim(self), self.operand, dropped)

    def reduced_dims(self) -> list[DimRef]:
        return [(self.operand, _dim(self))]

    def neutral(self, element_type: Attribute) -> str:
        return neutral_of(self.kind_name, element_type)

    def combiner(self) -> type | None:
        """The binary op that folds two partial results (None for argmax/argmin, which carry an index)."""
        return _COMBINER.get(self.kind_name)

    def arg_parts(self) -> tuple[str, type] | None:
        """For argmax/argmin: the kind of the value reduction beside it and the strict comparison that
        says a chunk's best beats the running one."""
        return _ARG.get(self.kind_name)

    def verify_(self) -> None:
        rank = self.operand.type.rank
        if not 0 <= _dim(self) < rank:
            raise VerifyException(f"tile.reduce: dim {_dim(self)} out of range for rank {rank}")


@irdl_op_definition
class SoftmaxOp(IRDLOperation, InfersShape, HasDimMap, Reduces):
    """softmax (or log_softmax with `log`) along one dim; the `decompose` pass expands it."""

    name = "tile.softmax"
    operand = operand_def(TileType)
    result = result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    log = opt_prop_def(UnitAttr)
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim (`log` $log^)? attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int, log: bool, result_type: Attribute):
        props = {"dim": IntegerAttr(dim, 64)}
        if log:
            props["log"] = UnitAttr()
        super().__init__(operands=[operand], result_types=[result_type], properties=props)

    @property
    def is_log(self) -> bool:
        return self.log is not None

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return right_aligned(self.result, [self.operand])

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return renumbered_dim(_dim(self), self.operand, dropped)

    def reduced_dims(self) -> list[DimRef]:
        return [(self.operand, _dim(self))]

    def neutral(self, element_type: Attribute) -> str:
        return "-inf"  # exp(-inf) = 0: a lane past the end takes no share


@irdl_op_definition
class DimSizeOp(IRDLOperation, InfersShape, HasDimMap):
    """`%n = tile.dim_size %x dim 1 : !tile.tile<[B, _m], f32> -> !tile.tile<[], i32>`."""

    name = "tile.dim_size"
    operand = operand_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    result = result_def(TileType)
    traits = traits_def(Pure())
    assembly_format = "$operand `dim` $dim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, operand: SSAValue, dim: int):
        super().__init__(operands=[operand], result_types=[TileType([], i32)], properties={"dim": IntegerAttr(dim, 64)})

    def infer_dims(self, sizes) -> list[str]:
        return []

    def result_dims(self) -> list[list[DimRef] | None]:
        return []

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return renumbered_dim(_dim(self), self.operand, dropped)

    def verify_(self) -> None:
        if not 0 <= _dim(self) < self.operand.type.rank:
            raise VerifyException(f"tile.dim_size: dim {_dim(self)} out of range for rank {self.operand.type.rank}")


@irdl_op_definition
class MaskFillOp(IRDLOperation, InfersShape, HasDimMap):
    """Set the lanes of `operand` that lie past the end of `range` (along `dim`) to `fill`."""

    name = "tile.mask_fill"
    operand = operand_def(TileType)
    range = operand_def(RangeType)
    result = result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    fill = prop_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$operand `,` $range `dim` $dim `fill` $fill attr-dict `:` type($operand) `,` type($range) `->` type($result)"

    def __init__(self, operand: SSAValue, range_: SSAValue, dim: int, fill: str):
        super().__init__(
            operands=[operand, range_],
            result_types=[operand.type],
            properties={"dim": IntegerAttr(dim, 64), "fill": StringAttr(fill)},
        )

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return right_aligned(self.result, [self.operand])

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return renumbered_dim(_dim(self), self.operand, dropped)


@irdl_op_definition
class ScanOp(IRDLOperation, InfersShape, HasDimMap, OrdersLanes):
    """`torch.cumsum(x, d)` / `torch.cumprod(x, d)`: inclusive prefix sums (products) along dim `d`
    (`tl.cumsum` / `tl.cumprod`). Forward only: lanes past a range's end come after every valid lane and
    change none of them, so no mask is needed."""

    name = "tile.scan"
    operand = operand_def(TileType)
    result = result_def(TileType)
    kind = prop_def(ReduceKindAttr)
    dim = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = "$kind $operand `dim` $dim attr-dict `:` type($operand) `->` type($result)"

    def __init__(self, kind: str, operand: SSAValue, dim: int, result_type: Attribute):
        super().__init__(operands=[operand], result_types=[result_type],
                         properties={"kind": enum_attr(ReduceKindAttr, kind, "tile.scan"), "dim": IntegerAttr(dim, 64)})

    @property
    def kind_name(self) -> str:
        return self.kind.data.value

    def infer_dims(self, sizes) -> list[str]:
        return list(self.operand.type.dims)

    def result_dims(self) -> list[list[DimRef] | None]:
        return [[(self.operand, i)] for i in range(self.operand.type.rank)]

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return renumbered_dim(_dim(self), self.operand, dropped)

    def ordered_dims(self) -> list[int]:
        return [self.dim.value.data]

    def verify_(self) -> None:
        if self.kind_name not in ("sum", "prod"):
            raise VerifyException(f"tile.scan: kind {self.kind_name} (sum or prod)")
        if not 0 <= self.dim.value.data < self.operand.type.rank:
            raise VerifyException(f"tile.scan: dim {self.dim.value.data} out of range for rank {self.operand.type.rank}")


def _others(values: Sequence[str]) -> ArrayAttr:
    return ArrayAttr([StringAttr(v) for v in values])


class _Combining(IRDLOperation, InfersShape, HasDimMap):
    """What `tile.reduce_fn` and `tile.scan_fn` share: input tiles of one shape, one result per input, a dim, and
    the combine function as a region isolated from the kernel (Triton writes it as a `@triton.jit` function of
    its own). The block takes the left scalars then the right ones and ends in a `tile.yield` of one scalar per
    input, each of its input's element type."""

    inputs = var_operand_def(TileType)
    res = var_result_def(TileType)
    dim = prop_def(IntegerAttr[I64])
    combine = region_def("single_block")
    traits = traits_def(Pure(), IsolatedFromAbove())

    def __init__(self, inputs: Sequence[SSAValue], dim: int, result_types: Sequence[Attribute], combine: Region,
                 properties: dict[str, Attribute]):
        super().__init__(operands=[list(inputs)], result_types=[list(result_types)],
                         properties={"dim": IntegerAttr(dim, 64), **properties}, regions=[combine])

    @staticmethod
    def combine_block(element_types: Sequence[Attribute]) -> Block:
        """An empty combine block for inputs of these element types: (a_0, .., a_k-1, b_0, .., b_k-1)."""
        return Block(arg_types=[TileType([], e) for e in element_types] * 2)

    @property
    def axis(self) -> int:
        return self.dim.value.data

    @property
    def body(self) -> Block:
        return self.combine.block

    def yielded(self) -> list[SSAValue]:
        """The values the combine function gives (one per input)."""
        last = self.body.last_op
        return list(last.operands) if last is not None and last.name == "tile.yield" else []

    def _shape(self, sizes) -> list[str]:
        """The inputs' one shape (a ShapeError where two differ)."""
        first = list(self.inputs[0].type.dims)
        for v in self.inputs[1:]:
            dims = list(v.type.dims)
            # a unit dim against another is no broadcast here (Triton folds tiles of one shape): only sizes that
            # may be equal are (assumed, then checked at launch)
            if len(dims) != len(first) or any((a == "1") != (b == "1") or not sizes.equal(a, b).is_true
                                              for a, b in zip(first, dims)):
                raise ShapeError(f"the tiles of this tuple have shapes {fmt_shape(first)} and {fmt_shape(dims)}: "
                                 "hl.reduce and hl.associative_scan take tiles of one shape",
                                 "broadcast them to one shape first (`idx.expand_as(values)`)")
        return first

    def dim_ties(self) -> list:
        """Every input's dims are the first input's; each result runs along its own input's dims."""
        first = self.inputs[0]
        ties = [((v, i), (first, i)) for v in self.inputs[1:] for i in range(min(v.type.rank, first.type.rank))]
        for r, v in zip(self.res, self.inputs):
            ties += [((r, i), src) for i, srcs in enumerate(self.result_map(v)) if srcs for src in srcs]
        return ties

    def result_dims(self) -> list[list[DimRef] | None]:
        return self.result_map(self.inputs[0])

    def result_map(self, operand: SSAValue) -> list[list[DimRef]]:
        raise NotImplementedError

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        return renumbered_dim(self.axis, self.inputs[0], dropped)

    def _verify_combine(self, result_rank: int) -> None:
        k, name = len(self.inputs), self.name
        if not k or len(self.res) != k:
            raise VerifyException(f"{name}: one result per input ({k} inputs, {len(self.res)} results)")
        rank = self.inputs[0].type.rank
        if not 0 <= self.axis < rank:
            raise VerifyException(f"{name}: dim {self.axis} out of range for rank {rank}")
        elems = [v.type.element_type for v in self.inputs]
        if any(v.type.rank != rank for v in self.inputs):
            raise VerifyException(f"{name}: the inputs must have one rank")
        if any(r.type.element_type != e or r.type.rank != result_rank for r, e in zip(self.res, elems)):
            raise VerifyException(f"{name}: result {len(self.res)} must be the inputs' element types, of rank "
                                  f"{result_rank}")
        args = self.body.args
        if [a.type for a in args] != [TileType([], e) for e in elems] * 2:
            raise VerifyException(f"{name}: the combine block takes two scalars per input, of its element type "
                                  "(the left ones, then the right ones)")
        out = self.yielded()
        if [v.type for v in out] != [TileType([], e) for e in elems]:
            raise VerifyException(f"{name}: the combine block must end in a tile.yield of one scalar per input, "
                                  "of its element type")

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.inputs, printer.print_ssa_value)
        printer.print_string(f" dim {self.axis}")
        self.print_flags(printer)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" : (")
        printer.print_list([v.type for v in self.inputs], printer.print_attribute)
        printer.print_string(") -> (")
        printer.print_list([r.type for r in self.res], printer.print_attribute)
        printer.print_string(") ")
        printer.print_region(self.combine, print_entry_block_args=True)

    def print_flags(self, printer: Printer) -> None:
        raise NotImplementedError

    @classmethod
    def parse(cls, parser: Parser):
        inputs = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_unresolved_operand)
        parser.parse_keyword("dim")
        props: dict[str, Attribute] = {"dim": IntegerAttr(parser.parse_integer(), 64)}
        props.update(cls.parse_flags(parser))
        attrs = parser.parse_optional_attr_dict_with_keyword()
        parser.parse_punctuation(":")
        types = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_type)
        parser.parse_punctuation("->")
        result_types = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_type)
        if len(types) != len(inputs):
            parser.raise_error(f"{cls.name}: {len(inputs)} inputs but {len(types)} input types")
        region = parser.parse_region()
        op = cls.create(operands=[parser.resolve_operand(v, t) for v, t in zip(inputs, types)],
                        result_types=result_types, properties=props, regions=[region])
        if attrs:
            op.attributes.update(attrs.data)
        return op

    @classmethod
    def parse_flags(cls, parser: Parser) -> dict[str, Attribute]:
        raise NotImplementedError


@irdl_op_definition
class ReduceFnOp(_Combining, Reduces):
    """`hl.reduce(combine_fn, x, dim, other=..., keep_dims=...)`: fold one dim with the user's combine function
    (`tl.reduce(x, dim, combine_fn)`). Lanes past a range's end take `other` (one literal per input: Helion's
    semantics, default 0), as a neutral element: masking fills them so."""

    name = "tile.reduce_fn"
    keepdim = opt_prop_def(UnitAttr)
    other = prop_def(ArrayAttr[StringAttr])

    def __init__(self, inputs: Sequence[SSAValue], dim: int, keepdim: bool, others: Sequence[str],
                 result_types: Sequence[Attribute], combine: Region):
        props: dict[str, Attribute] = {"other": _others(others)}
        if keepdim:
            props["keepdim"] = UnitAttr()
        super().__init__(inputs, dim, result_types, combine, props)

    @property
    def keeps_dim(self) -> bool:
        return self.keepdim is not None

    @property
    def others(self) -> list[str]:
        return [o.data for o in self.other.data]

    def infer_dims(self, sizes) -> list[str]:
        return reduced_shape(self.inputs[0].type.dims, self.axis, self.keeps_dim)

    def infer_results(self, sizes) -> list[list[str] | None]:
        return [reduced_shape(self._shape(sizes), self.axis, self.keeps_dim)] * len(self.res)

    def result_map(self, operand: SSAValue) -> list[list[DimRef]]:
        return reduced_map(operand, self.axis, self.keeps_dim)

    def dims_dropped(self, dropped: dict) -> dict[str, Attribute] | None:
        first = self.inputs[0]
        if self.keeps_dim and any(self.axis in dropped.get(r, []) for r in self.res) \
                and self.axis not in dropped.get(first, []):
            return None  # the kept unit dim is tied to a dropped one, but the property makes it
        return super().dims_dropped(dropped)

    def reduced_dims(self) -> list[DimRef]:
        return [(v, self.axis) for v in self.inputs]

    def neutral(self, element_type: Attribute) -> str:
        """`other` of the first input of this element type."""
        return next((o for v, o in zip(self.inputs, self.others) if v.type.element_type == element_type),
                    self.others[0])

    def neutral_of_operand(self, index: int) -> str:
        return self.others[index]

    def print_flags(self, printer: Printer) -> None:
        if self.keeps_dim:
            printer.print_string(" keepdim")
        printer.print_string(" other ")
        printer.print_attribute(self.other)

    @classmethod
    def parse_flags(cls, parser: Parser) -> dict[str, Attribute]:
        props: dict[str, Attribute] = {}
        if parser.parse_optional_keyword("keepdim"):
            props["keepdim"] = UnitAttr()
        parser.parse_keyword("other")
        props["other"] = parser.parse_attribute()
        return props

    def verify_(self) -> None:
        rank = self.inputs[0].type.rank if self.inputs else 0
        self._verify_combine(rank if self.keeps_dim else rank - 1)
        if len(self.others) != len(self.inputs):
            raise VerifyException(f"tile.reduce_fn: one `other` per input ({len(self.inputs)}), not "
                                  f"{len(self.others)}")


@irdl_op_definition
class ScanFnOp(_Combining, OrdersLanes):
    """`hl.associative_scan(combine_fn, x, dim, reverse=...)`: inclusive prefix combination along one dim with
    the user's combine function (`tl.associative_scan`). A forward scan meets lanes past a range's end after
    every valid lane, so they change none; a reverse one meets them first, and a combine function has no
    neutral element to fill them with: `masking` then adds an input of flags (1 on a valid lane) and makes the
    combine function keep the other side where a side is not valid (`flagged`: the last input and result are
    those flags)."""

    name = "tile.scan_fn"
    reverse = opt_prop_def(UnitAttr)
    flagged = opt_prop_def(UnitAttr)

    def __init__(self, inputs: Sequence[SSAValue], dim: int, reverse: bool, result_types: Sequence[Attribute],
                 combine: Region, flagged: bool = False):
        props: dict[str, Attribute] = {}
        if reverse:
            props["reverse"] = UnitAttr()
        if flagged:
            props["flagged"] = UnitAttr()
        super().__init__(inputs, dim, result_types, combine, props)

    @property
    def is_reverse(self) -> bool:
        return self.reverse is not None

    @property
    def is_flagged(self) -> bool:
        return self.flagged is not None

    def infer_dims(self, sizes) -> list[str]:
        return list(self.inputs[0].type.dims)

    def infer_results(self, sizes) -> list[list[str] | None]:
        return [self._shape(sizes)] * len(self.res)

    def result_map(self, operand: SSAValue) -> list[list[DimRef]]:
        return [[(operand, i)] for i in range(operand.type.rank)]

    def ordered_dims(self) -> list[int]:
        return [self.axis]

    def with_valid_flags(self, flags: SSAValue) -> ScanFnOp:
        """This scan with `flags` (i1, 1 on a valid lane, of the inputs' shape) as one more input: a side whose
        flag is 0 is dropped (the other side is the result), so lanes that are not valid change no valid one.
        (x, 1) * (y, 1) = (f(x, y), 1), (x, 1) * (y, 0) = (x, 1), (x, 0) * (y, f) = (y, f): associative when f is."""
        k = len(self.inputs)
        elems = [v.type.element_type for v in self.inputs] + [flags.type.element_type]
        block = self.combine_block(elems)
        a, fa, b, fb = block.args[:k], block.args[k], block.args[k + 1: 2 * k + 1], block.args[2 * k + 1]
        old = self.body.args
        for new, arg in zip((*a, *b), old):
            new.name_hint = arg.name_hint
        fa.name_hint, fb.name_hint = "a_valid", "b_valid"
        mapping: dict = dict(zip(old, (*a, *b)))
        end = self.body.last_op
        for op in self.body.ops:
            if op is not end:
                block.add_op(op.clone(value_mapper=mapping))
        scalar = TileType([], flags.type.element_type)
        both, either = AndOp(fa, fb, scalar), OrOp(fa, fb, scalar)
        ops: list = [both, either]
        out = []
        for x, y, v in zip(a, b, self.yielded()):
            side = WhereOp(fa, x, y, x.type)
            pick = WhereOp(both.result, mapping.get(v, v), side.result, x.type)
            ops += [side, pick]
            out.append(pick.result)
        for op in ops:
            block.add_op(op)
        ends = end.clone(value_mapper=mapping)
        ends.operands = [*out, either.result]
        block.add_op(ends)
        new = ScanFnOp([*self.inputs, flags], self.axis, self.is_reverse,
                       [*(r.type for r in self.res), flags.type], Region(block), flagged=True)
        new.attributes.update(self.attributes)
        return new

    def print_flags(self, printer: Printer) -> None:
        if self.is_reverse:
            printer.print_string(" reverse")
        if self.is_flagged:
            printer.print_string(" flagged")

    @classmethod
    def parse_flags(cls, parser: Parser) -> dict[str, Attribute]:
        props: dict[str, Attribute] = {}
        if parser.parse_optional_keyword("reverse"):
            props["reverse"] = UnitAttr()
        if parser.parse_optional_keyword("flagged"):
            props["flagged"] = UnitAttr()
        return props

    def verify_(self) -> None:
        self._verify_combine(self.inputs[0].type.rank if self.inputs else 0)
        if self.is_flagged and short_name(self.inputs[-1].type.element_type) != "i1":
            raise VerifyException("tile.scan_fn: a flagged scan's last input is its i1 valid-lane flags")


REDUCE_OPS = (ReduceOp, SoftmaxOp, DimSizeOp, MaskFillOp, ScanOp, ReduceFnOp, ScanFnOp)

__all__ = ["ReduceOp", "SoftmaxOp", "DimSizeOp", "MaskFillOp", "ScanOp", "ReduceFnOp", "ScanFnOp", "REDUCE_OPS",
           "neutral_of"]
