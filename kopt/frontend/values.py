"""Values the frontend binds to names besides SSA values: host tensors and scalars, Python numbers,
groups of loop indices.

In a module of their own so that the modules that make them (host.py, host_views.py, device.py, the
op families in frontend/ops/) import them from here, and none imports another for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import SSAValue


@dataclass
class PyScalar:
    """A Python number literal: weakly typed, as in torch (`x * 2.0` keeps x's dtype)."""

    value: int | float


@dataclass
class ScalarGroup:
    """The indices of a multi-dim `hl.grid` bound to one name (`for ij in hl.grid([m, n])`)."""

    indices: list[SSAValue]


@dataclass
class TileGroup:
    """A multi-dim tile bound to one name (`for tile in hl.tile([m, n])`)."""

    ranges: list[SSAValue]


@dataclass
class HostTensor:
    name: str
    dtype: str
    dims: list[str]
    strides: list[str]


@dataclass
class HostScalar:
    name: str
    is_size: bool  # an integer that may size a loop (a symbol) vs. a runtime value
    dtype: str


@dataclass(frozen=True)
class NoneValue:
    """`None` as an argument's value (an optional tensor left out): only `is None` / `is not None` read it."""


def python_constant(value):
    """An argument compiled in, as the device builder binds it: numbers and bools as PyScalar, a tuple of
    ints as a tuple of them, None as NoneValue."""
    if value is None:
        return NoneValue()
    if isinstance(value, tuple):
        return tuple(PyScalar(int(v)) for v in value)
    return PyScalar(int(value) if isinstance(value, bool) else value)
