"""Argument types of a kernel: `"x: f32[M, N], y: f32[M, N], eps: f32"`.

A tensor is `dtype[dims]` (dims are names or integers; `[]` is a 0-d tensor),
a scalar is a bare dtype. The runtime makes the same specs from real tensors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kopt.dialects.dtypes import SHORT_NAMES
from kopt.errors import KoptError, SourceLoc


@dataclass(frozen=True)
class TensorSpec:
    dtype: str  # short name: f32, f16, ...
    rank: int
    dims: tuple[str, ...] | None = None  # names from a signature, or static sizes as text

    def describe(self) -> str:
        dims = ", ".join(self.dims) if self.dims else ", ".join("?" * self.rank)
        return f"{self.dtype}[{dims}]"


@dataclass(frozen=True)
class ScalarSpec:
    dtype: str

    def describe(self) -> str:
        return self.dtype


@dataclass(frozen=True)
class DtypeValue:
    """A `torch.dtype` passed as an argument or named in host code (`acc_dtype = torch.float32`): its short name."""

    short: str


@dataclass(frozen=True)
class ConstSpec:
    """An argument the generated code depends on by value: None (an optional tensor left out), a bool, a tuple of
    ints, a dtype. Compiled in (branches on it fold), and part of the cache key."""

    value: object

    def describe(self) -> str:
        if isinstance(self.value, DtypeValue):
            return f"dtype {self.value.short}"
        return f"constant {self.value!r}"


ArgSpec = TensorSpec | ScalarSpec | ConstSpec
_ENTRY = re.compile(r"^\s*([A-Za-z_]\w*)\s*:\s*([A-Za-z0-9_]+)\s*(\[(.*)\])?\s*$")


def _split_top(text: str) -> list[tuple[int, str]]:
    """Split on commas outside brackets: (offset of the part in `text`, part)."""
    parts, depth, cur, start = [], 0, "", 0
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append((start, cur))
            cur, start = "", i + 1
        else:
            cur += ch
    if cur.strip():
        parts.append((start, cur))
    return parts


def signature_error(text: str, offset: int, message: str, *notes: str, where: str = "--signature") -> KoptError:
    """An error about a signature string, at a character of it (`<signature>:1:COL`)."""
    return KoptError(f"{where}: {message}", SourceLoc("<signature>", 1, offset + 1), notes=notes, source_line=text)


def entry_offsets(text: str) -> dict[str, int]:
    """Where each entry's name starts in a signature string (for errors about an entry)."""
    out = {}
    for start, part in _split_top(text):
        m = _ENTRY.match(part)
        if m:
            out.setdefault(m.group(1), start + part.index(m.group(1)))
    return out


def dim_offsets(text: str) -> dict[tuple[str, int], int]:
    """Where each dim of each tensor entry starts in a signature string: (name, index) -> offset."""
    out = {}
    for start, part in _split_top(text):
        m = _ENTRY.match(part)
        if not m or m.group(3) is None:
            continue
        at = start + m.start(4)
        for i, piece in enumerate(m.group(4).split(",")):
            out[(m.group(1), i)] = at + len(piece) - len(piece.lstrip())
            at += len(piece) + 1
    return out


def parse_signature(text: str, where: str = "--signature") -> dict[str, ArgSpec]:
    """Parse a signature string; errors are located in it (`<signature>:1:COL`), name the bad entry and the
    accepted forms."""
    specs: dict[str, ArgSpec] = {}

    def error(offset: int, message: str, *notes: str) -> KoptError:
        return signature_error(text, offset, message, *notes, where=where)

    for start, part in _split_top(text):
        at = start + len(part) - len(part.lstrip())
        m = _ENTRY.match(part)
        if not part.strip():
            raise error(at, "an empty entry (two commas in a row, or a comma at the end)",
                        "separate entries with one comma: \"x: f32[M, N], eps: f32\"")
        if not m:
            raise error(at, f"cannot read {part.strip()!r}",
                        "write `name: dtype[dim, ...]` for a tensor or `name: dtype` for a scalar, "
                        "e.g. \"x: f32[M, N], eps: f32\"")
        name, dtype, bracket, dims = m.groups()
        if name in specs:
            raise error(at, f"`{name}` is given twice", "give each argument one type")
        if dtype not in SHORT_NAMES:
            raise error(start + part.index(dtype, part.index(":")), f"unknown dtype {dtype!r} for {name!r}",
                        f"known dtypes: {', '.join(SHORT_NAMES)}")
        if bracket is None:
            specs[name] = ScalarSpec(dtype)
            continue
        dim_names = tuple(d.strip() for d in dims.split(",") if d.strip())
        for d in dim_names:
            if not re.match(r"^([A-Za-z_]\w*|\d+)$", d):
                raise error(start + part.index(d, part.index("[")), f"dim {d!r} of {name!r} must be a name or an integer")
        specs[name] = TensorSpec(dtype, len(dim_names), dim_names)
    return specs
