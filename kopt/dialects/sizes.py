"""Symbolic sizes as typed attributes: `SizeAttr` (one size expression) and `FactAttr` (one shape fact).

A size is text in the shape language (`n`, `_BLOCK_SIZE_0`, `cdiv(n, _BLOCK_SIZE_0)`, `n // 2`,
or `?` before shape inference), kept in canonical form: the text is parsed once into sympy and
printed back by the analysis package's printer, so two sizes that are the same expression are the
same attribute (`(n) - (1)` and `n - 1` compare equal) and `.expr` hands out the parsed form
without parsing again (one cache for the process). A size prints bare when it is a name or an
integer and quoted otherwise, so IR text round-trips.

A fact is a chain of comparisons of sizes (`n % 16 == 0`, `1 <= n <= 4096`) or `s is a power of 2`:
what `assert`s on sizes, static sizes, config block sizes and `--assume` state. It prints as its
text and keeps its sides as sizes, so consumers read the relation and the expressions, not text.
"""

from __future__ import annotations

import functools
import re
from abc import ABCMeta
from collections.abc import Hashable, Sequence

import sympy
from xdsl.ir import Data
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer

from kopt.analysis import format_expr, parse_expr
from kopt.errors import KoptError

UNKNOWN = "?"
_BARE = re.compile(r"^(\?|-?\d+|[A-Za-z_][A-Za-z0-9_]*)$")
_NAME = re.compile(r"[A-Za-z_]\w*")
_FUNCTIONS = frozenset({"cdiv", "next_power_of_2", "min", "max"})


@functools.lru_cache(maxsize=8192)
def canonical(text: str) -> str:
    """The canonical spelling of a size (KoptError for text outside the shape language)."""
    text = str(text).strip()
    if text == UNKNOWN or _BARE.match(text):
        return text
    return format_expr(parse_expr(text))


@functools.lru_cache(maxsize=8192)
def _expr(text: str) -> sympy.Expr:
    return parse_expr(text)


@functools.lru_cache(maxsize=8192)
def _names(text: str) -> frozenset[str]:
    return frozenset(_NAME.findall(text)) - _FUNCTIONS


class Interned(ABCMeta):
    """Metaclass of immutable attributes built very often (sizes, tile types): the same arguments give the
    same object, built once. xDSL attributes are frozen and compare by value, so sharing one is safe; it
    saves the construction and verification of a new one (a third of a pass's time on tile types,
    measured with cProfile on warm compiles). A class says how its arguments make a key (`intern_key`)."""

    _LIMIT = 1 << 16  # distinct attributes a process keeps: far more than kernels make; past it, start again

    def __call__(cls, *args):
        key = cls.intern_key(*args)
        cache = cls.__dict__.get("_interned")
        if cache is None:
            cache = {}
            type.__setattr__(cls, "_interned", cache)
        found = cache.get(key)
        if found is None:
            if len(cache) >= Interned._LIMIT:
                cache.clear()
            found = cache[key] = super().__call__(*args)
        return found


def print_size(printer: Printer, text: str) -> None:
    printer.print_string(text if _BARE.match(text) else f'"{text}"')


def parse_size(parser: AttrParser) -> str:
    """A size as written in the IR: a name, an integer, `?` or a quoted expression (canonicalised)."""
    if parser.parse_optional_punctuation("?") is not None:
        return UNKNOWN
    if (value := parser.parse_optional_integer(allow_boolean=False)) is not None:
        return str(value)
    if (name := parser.parse_optional_identifier()) is not None:
        return name
    pos = parser.pos
    text = parser.parse_optional_str_literal()
    if text is None:
        parser.raise_error("expected a size: a name, an integer, `?` or a quoted expression")
    try:
        return canonical(text)
    except KoptError as e:
        parser.raise_error(f"not a size expression: {e.message}", pos, parser.pos)


@irdl_attr_definition
class SizeAttr(Data[str], metaclass=Interned):
    """One symbolic size, canonical text: `#tile.size<"cdiv(n, _BLOCK_SIZE_0)">` (bare inside types and ops)."""

    name = "tile.size"

    @staticmethod
    def intern_key(text) -> Hashable:
        return str(text)

    def __init__(self, text: str | int):
        super().__init__(canonical(str(text)))

    @property
    def text(self) -> str:
        return self.data

    @property
    def known(self) -> bool:
        return self.data != UNKNOWN

    @property
    def expr(self) -> sympy.Expr:
        """The size as sympy (parsed once per process for each distinct text)."""
        if self.data == UNKNOWN:
            raise KoptError("a size of `?` (before shape inference) has no value")
        return _expr(self.data)

    @property
    def names(self) -> frozenset[str]:
        """The symbols the size mentions (sizes, strides, block sizes)."""
        return _names(self.data)

    def is_literal(self) -> bool:
        return self.data.lstrip("-").isdigit()

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            print_size(printer, self.data)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> str:
        with parser.in_angle_brackets():
            return parse_size(parser)


def sizes(texts: Sequence[str | SizeAttr]) -> tuple[SizeAttr, ...]:
    return tuple(t if isinstance(t, SizeAttr) else SizeAttr(t) for t in texts)


# ---------------------------------------------------------------- facts

RELATIONS = ("==", "<=", "<", ">=", ">")
POWER_OF_TWO = "is a power of 2"
_POW2_TEXT = re.compile(r"^\s*([A-Za-z_]\w*)\s+is\s+a\s+power\s+of\s+2\s*$")
_SPLIT = re.compile(r"(==|<=|>=|<|>)")


@functools.lru_cache(maxsize=4096)
def read_fact(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sides, relations) of a fact's text: `a <= b < c` -> ((a, b, c), ("<=", "<")); a power-of-two
    fact -> ((s,), ("is a power of 2",)). Raises KoptError on anything else."""
    if (m := _POW2_TEXT.match(text)) is not None:
        return (m.group(1),), (POWER_OF_TWO,)
    parts = _SPLIT.split(text)
    sides, rels = tuple(canonical(p) for p in parts[0::2]), tuple(parts[1::2])
    if not rels or any(not s for s in sides):
        raise KoptError(f"a shape fact must compare sizes (==, <=, <, >=, >), not '{text}'")
    return sides, rels


@irdl_attr_definition
class FactAttr(Data[str]):
    """One shape fact, printed as its text: `#tile.fact<"n % 16 == 0">` (quoted inside a kernel plan)."""

    name = "tile.fact"

    def __init__(self, text: str):
        sides, rels = read_fact(text)
        super().__init__(_fact_text(sides, rels))

    @property
    def sides(self) -> tuple[SizeAttr, ...]:
        return sizes(read_fact(self.data)[0])

    @property
    def relations(self) -> tuple[str, ...]:
        return read_fact(self.data)[1]

    @property
    def names(self) -> frozenset[str]:
        return frozenset().union(*(s.names for s in self.sides))

    def equates(self) -> tuple[str, int] | None:
        """(symbol, value) for a fact `symbol == integer` (a config's block size, a static size)."""
        sides, rels = read_fact(self.data)
        if rels == ("==",) and _BARE.match(sides[0]) and not sides[0].lstrip("-").isdigit() \
                and sides[1].lstrip("-").isdigit():
            return sides[0], int(sides[1])
        return None

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string_literal(self.data)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> str:
        with parser.in_angle_brackets():
            return _checked_fact(parser, parser.parse_str_literal())


def _fact_text(sides: Sequence[str], rels: Sequence[str]) -> str:
    if tuple(rels) == (POWER_OF_TWO,):
        return f"{sides[0]} {POWER_OF_TWO}"
    out = sides[0]
    for rel, side in zip(rels, sides[1:]):
        out += f" {rel} {side}"
    return out


def _checked_fact(parser: AttrParser, text: str) -> str:
    try:
        return _fact_text(*read_fact(text))
    except KoptError as e:
        parser.raise_error(f"not a shape fact: {e.message}")


def parse_fact(parser: AttrParser) -> FactAttr:
    """A fact as written in a kernel plan: its quoted text."""
    return FactAttr(_checked_fact(parser, parser.parse_str_literal()))
