"""The kernel plan: what passes decide about a kernel's launch, as one verified attribute.

    plan = #tile.plan<grid [cdiv(n, _BLOCK_SIZE_0)],
                      blocks [_BLOCK_SIZE_0 over n, _RDIM_SIZE_1 = next_power_of_2(_m)],
                      facts ["n % 16 == 0"]>

- `grid`: programs per launch dim (`tiling`; an `hl.grid` dim has block 1, its extent is the count).
- `blocks`: every block-size symbol of the kernel, each with its kind and number (the `k` of
  `_BLOCK_SIZE_k`): a tile loop's block, chosen by the launcher, `over` the extent it tiles; a whole
  dim's block (`_RDIM_SIZE_k`) or a looped reduction's chunk (`_REDUCTION_BLOCK_k`), `=` the
  definition the launcher computes. Every block is a power of two; the definitions are facts.
- `facts`: shape facts (host `assert`s, static sizes, config block sizes, `--assume`).

Passes read and write the plan through this class (`with_blocks`, `with_facts`, ...), never by
recognising symbol names: the names are printed from (kind, number) and parsed back to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xdsl.dialects.builtin import ArrayAttr, IntAttr, StringAttr
from xdsl.ir import ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from kopt.dialects.sizes import FactAttr, SizeAttr, parse_fact, parse_size, print_size

TILE, WHOLE, CHUNK = "tile", "whole", "chunk"
# A kernel's program order beyond one program per tile (its `pid_type`, Helion's names): persistent programs, each
# looping over tiles (set by tiling, lowered by lower-to-tt)
PERSISTENT_PID_TYPES = ("persistent_interleaved", "persistent_blocked")
PREFIX = {TILE: "_BLOCK_SIZE_", WHOLE: "_RDIM_SIZE_", CHUNK: "_REDUCTION_BLOCK_"}


def block_name(kind: str, index: int) -> str:
    return f"{PREFIX[kind]}{index}"


@dataclass(frozen=True)
class Block:
    """One block-size symbol: its kind, its number, and its extent (a tile's) or definition (the others')."""

    kind: str
    index: int
    size: SizeAttr

    @property
    def name(self) -> str:
        return block_name(self.kind, self.index)

    @property
    def chosen_at_launch(self) -> bool:
        """A tile block: the launcher picks it from the extent (the others it computes from a definition)."""
        return self.kind == TILE


def read_block_name(name: str) -> tuple[str, int] | None:
    """(kind, number) of a block symbol as the frontend and the passes name them; None for other names.
    The inverse of `block_name`: how a plan's text and a range's block dim are read back."""
    for kind, prefix in PREFIX.items():
        digits = name[len(prefix):]
        if name.startswith(prefix) and digits.isdigit():
            return kind, int(digits)
    return None


def _read_block_name(parser: AttrParser) -> tuple[str, int]:
    pos = parser.pos
    name = parser.parse_identifier()
    if (found := read_block_name(name)) is not None:
        return found
    parser.raise_error(f"`{name}` is not a block symbol ({', '.join(p + 'k' for p in PREFIX.values())})",
                       pos, parser.pos)


@irdl_attr_definition
class KernelPlanAttr(ParametrizedAttribute):
    """A kernel's launch plan: grid, block-size symbols, shape facts (see the module docstring)."""

    name = "tile.plan"
    grid: ArrayAttr[SizeAttr]
    block_kinds: ArrayAttr[StringAttr]
    block_indices: ArrayAttr[IntAttr]
    block_sizes: ArrayAttr[SizeAttr]
    facts: ArrayAttr[FactAttr]

    def __init__(self, grid: Sequence[SizeAttr | str] = (), blocks: Iterable[Block] = (),
                 facts: Iterable[FactAttr | str] = ()):
        blocks = list(blocks)
        super().__init__(
            ArrayAttr(g if isinstance(g, SizeAttr) else SizeAttr(g) for g in grid),
            ArrayAttr(StringAttr(b.kind) for b in blocks),
            ArrayAttr(IntAttr(b.index) for b in blocks),
            ArrayAttr(b.size for b in blocks),
            ArrayAttr(dict.fromkeys(f if isinstance(f, FactAttr) else FactAttr(f) for f in facts)),
        )

    # ------------------------------------------------------------ reading

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(Block(k.data, i.data, s) for k, i, s in
                     zip(self.block_kinds.data, self.block_indices.data, self.block_sizes.data))

    @property
    def grid_sizes(self) -> tuple[SizeAttr, ...]:
        return tuple(self.grid.data)

    @property
    def fact_list(self) -> tuple[FactAttr, ...]:
        return tuple(self.facts.data)

    def block(self, name: str) -> Block | None:
        return next((b for b in self.blocks if b.name == name), None)

    def of_kind(self, *kinds: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind in kinds)

    @property
    def block_names(self) -> frozenset[str]:
        return frozenset(b.name for b in self.blocks)

    def next_index(self, taken: Iterable[int] = ()) -> int:
        """A block number no block of the plan (nor `taken`) has."""
        return max([b.index for b in self.blocks] + list(taken), default=-1) + 1

    def grid_blocks(self) -> list[Block]:
        """The tile blocks the grid divides by, in grid order."""
        tiles = {b.name: b for b in self.of_kind(TILE)}
        return [tiles[n] for g in self.grid_sizes for n in sorted(g.names) if n in tiles]

    # ------------------------------------------------------------ new plans (attributes are immutable)

    def with_grid(self, grid: Sequence[SizeAttr | str], blocks: Iterable[Block] | None = None) -> KernelPlanAttr:
        """A new grid (and, given, new blocks): one attribute built, as tiling does once per kernel."""
        return KernelPlanAttr(grid, self.blocks if blocks is None else blocks, self.fact_list)

    def with_blocks(self, blocks: Iterable[Block]) -> KernelPlanAttr:
        return KernelPlanAttr(self.grid_sizes, blocks, self.fact_list)

    def with_facts(self, facts: Iterable[FactAttr | str]) -> KernelPlanAttr:
        return KernelPlanAttr(self.grid_sizes, self.blocks, facts)

    def adding(self, blocks: Iterable[Block] = (), facts: Iterable[FactAttr | str] = ()) -> KernelPlanAttr:
        return KernelPlanAttr(self.grid_sizes, [*self.blocks, *blocks], [*self.fact_list, *facts])

    # ------------------------------------------------------------ text

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string("grid [")
            printer.print_list(self.grid_sizes, lambda s: print_size(printer, s.text))
            printer.print_string("], blocks [")

            def block(b: Block) -> None:
                printer.print_string(f"{b.name} {'over' if b.kind == TILE else '='} ")
                print_size(printer, b.size.text)

            printer.print_list(self.blocks, block)
            printer.print_string("], facts [")
            printer.print_list(self.fact_list, lambda f: printer.print_string_literal(f.data))
            printer.print_string("]")

    @classmethod
    def parse_parameters(cls, parser: AttrParser):
        with parser.in_angle_brackets():
            parser.parse_keyword("grid")
            grid = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: SizeAttr(parse_size(parser)))
            parser.parse_punctuation(",")
            parser.parse_keyword("blocks")

            def block() -> Block:
                kind, index = _read_block_name(parser)
                if kind == TILE:
                    parser.parse_keyword("over")
                else:
                    parser.parse_punctuation("=")
                return Block(kind, index, SizeAttr(parse_size(parser)))

            blocks = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, block)
            parser.parse_punctuation(",")
            parser.parse_keyword("facts")
            facts = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: parse_fact(parser))
        plan = KernelPlanAttr(grid, blocks, facts)
        return plan.parameters

    def verify(self) -> None:
        names = [b.name for b in self.blocks]
        if len(set(names)) != len(names):
            raise VerifyException(f"tile.plan: a block symbol is listed twice: {sorted(names)}")
        for b in self.blocks:
            if b.kind not in PREFIX:
                raise VerifyException(f"tile.plan: unknown block kind {b.kind!r}")
            if not b.size.known:
                raise VerifyException(f"tile.plan: {b.name} has no size")
