"""Op interfaces: what analyses and rewrites ask of an op, declared on the op's class.

kopt's passes are generic walkers over these (as MLIR's passes walk `ShapeInferenceOpInterface`
and friends, and xDSL's walk traits); an op that lacks an interface a pass needs is a `KoptError`
naming the op and the interface (`missing`), never a silent unknown. An op class inherits the
interfaces it implements:

- `InfersShape`: the dims of its tile result, from its operands' dims (`shape-inference`).
- `HasDimMap`: which operand dim (or loop range) each result dim runs along, and which operand
  dims must be one dim (masking's provenance of index tiles, `batch-to-grid`'s ties), and how its
  properties change when dims are dropped (`batch-to-grid`).
- `Reduces`: the operand dims it folds away and the neutral element lanes past a range's end must
  hold there (`masking`); `ReduceOp` adds its combiner (looped reductions).
- `LoopCarried`: a region op's loop-carried values (init, block argument, result, yielded value).
- `MovesLanes`: its result lanes hold its operand's values (masking looks through it).
- `CarriesPadding`: what its result holds in the lanes past a range's end, from what its operands hold there
  (masking: softmax's `exp(x - max(x))` is 0 there when x is -inf there, so its sum needs no fill).
- `OrdersLanes`: its lanes along a dim depend on each other in order (scans, flips): no chunked loop there.
- `Folds`: the Python function that computes it on two numbers (the frontend's constant folding).

Shape rules raise `ShapeError` (a message and notes); the pass that asked locates it at the op.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from xdsl.ir import Attribute, Operation, SSAValue

from kopt.errors import KoptError

DimRef = tuple[SSAValue, int]
"""Dim `i` of a tile value, or `(range, 0)`: the dim a loop range runs along."""


class ShapeError(Exception):
    """A shape rule that the operands' shapes break: `message` and `notes` for a located KoptError."""

    def __init__(self, message: str, *notes: str):
        super().__init__(message)
        self.message = message
        self.notes = notes


def missing(op: Operation, interface: type, needed_by: str) -> KoptError:
    """The error for an op that lacks an interface a pass needs."""
    return KoptError(f"`{op.name}` does not implement {interface.__name__}, which {needed_by} needs",
                     notes=[f"declare it on the op's class ({type(op).__module__}.{type(op).__name__}); "
                            "docs/adding-an-op.md shows how"])


class InfersShape(ABC):
    """The op computes the dims of its tile result from its operands' dims (None: it has no tile result)."""

    @abstractmethod
    def infer_dims(self, sizes) -> list[str] | None:
        """`sizes` (kopt/dialects/shape_rules.Sizes) says whether two sizes are equal under the kernel's facts."""

    def infer_results(self, sizes) -> list[list[str] | None]:
        """The dims of each result (an op with regions infers them once its regions are: a branch's results
        from what its branches yield). By default every tile result gets `infer_dims`."""
        dims = self.infer_dims(sizes)
        return [dims] * len(self.results)  # type: ignore[attr-defined]


class HasDimMap(ABC):
    """Which dim of its operands each dim of the op's tile result runs along."""

    @abstractmethod
    def result_dims(self) -> list[list[DimRef] | None]:
        """Per dim of the tile result: the operand dims it comes from ([]: a dim of its own, a constant's
        or a new unit dim; None: not known, as a reshape's). Ops without a tile result give []."""

    def dim_ties(self) -> list[tuple[DimRef, DimRef]]:
        """Pairs of dims that must be the same loop dim: by default each result dim with its sources."""
        result = self.results[0] if self.results else None  # type: ignore[attr-defined]
        return [((result, i), src) for i, srcs in enumerate(self.result_dims()) if srcs for src in srcs]

    def dims_dropped(self, dropped: dict[SSAValue, list[int]]) -> dict[str, Attribute] | None:
        """New properties for when the given dims of values vanish (`dropped`: value -> its dims that go,
        as batch-to-grid drops a unit batch dim): {} when no property names a dim, None when the op
        cannot lose them. Ops whose properties name dims override this."""
        return {}


class Reduces(ABC):
    """The op folds operand dims away (a reduction, a contraction)."""

    @abstractmethod
    def reduced_dims(self) -> list[DimRef]:
        """The operand dims whose lanes are folded together."""

    @abstractmethod
    def neutral(self, element_type: Attribute) -> str:
        """The value lanes past a range's end must hold for the result to be unchanged (IR literal text)."""

    def neutral_of_operand(self, index: int) -> str:
        """The value lanes past a range's end must hold in operand `index`: by default `neutral` of its element
        type; an op whose operands take values of their own (`hl.reduce`'s `other`) overrides it."""
        return self.neutral(self.operands[index].type.element_type)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Carried:
    """One loop-carried value: its initial value, the body's block argument, the loop's result, the
    value the body yields for the next iteration."""

    init: SSAValue
    arg: SSAValue
    result: SSAValue
    yielded: SSAValue | None


class LoopCarried(ABC):
    """A region op that carries values from one iteration to the next (as `scf.for`'s iter_args)."""

    @abstractmethod
    def carried_values(self) -> Sequence[Carried]: ...


class MovesLanes:
    """The op's result lanes hold its operand's values, moved or converted (a transpose, a cast): a
    neutral element masking put into the operand is still there in the result."""

    def keeps(self, fill: str) -> bool:
        return True


@dataclass(frozen=True)
class Pad:
    """What one operand holds in the lanes past a range's end (kopt/ir/padding.py says which):
    `value`: those lanes hold this literal (an operand that runs along the range), None when not known;
    `uniform`: the operand does not run along the range and is `"positive"` (a finite constant > 0), `"row_max"`
    (the maximum, over the range's valid lanes of this block, of the op's operand that runs along it, in a block
    with at least one valid lane) or `"any"`; None for an operand that runs along the range."""

    value: str | None = None
    uniform: str | None = None


class CarriesPadding(ABC):
    """The op's result lanes past a range's end hold a value known from what its operands hold there."""

    @abstractmethod
    def padding(self, pads: Sequence[Pad]) -> str | None:
        """The value (IR literal text) the result holds there, given each operand's `Pad`; None when not known.
        It must be exact for every value an operand may hold (a `row_max` may be -inf or NaN: see SubOp)."""


class OrdersLanes(ABC):
    """The op's result at a lane depends on other lanes of the same dim, in order (a scan, a flip): a looped
    reduction cannot cut that dim into chunks (row_plan gives such a kernel no looped plan)."""

    @abstractmethod
    def ordered_dims(self) -> list[int]:
        """The operand dims whose lanes are combined in order."""


class Folds(ABC):
    """The op computes a Python function of its operands: `py_operation(a, b)` on two numbers gives what
    the op gives on them (the frontend folds constant arithmetic with it)."""

    @staticmethod
    @abstractmethod
    def py_operation(*values): ...
