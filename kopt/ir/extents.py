"""Whole-dim extents that the kernel's facts prove equal, and the one name each class goes by.

`x[tile, :] * weight[:]` with `assert weight.size(0) == n` is one row: one range, one mask, one
loop; not two rows that merely agree at run time. The classes are a pure function of the kernel
(its subscripts and its facts), so every pass that needs them computes the same ones.
"""

from __future__ import annotations

from kopt.dialects import tile as T
from kopt.dialects.types import TileType
from kopt.ir.facts import kernel_sizes
from kopt.ir.util import set_type


def whole_extents(kernel: T.KernelOp) -> list[str]:
    """The extents the kernel's `:` subscripts run over, in program order."""
    return list(dict.fromkeys(d for op in kernel.walk() if isinstance(op, T.ACCESS_OPS)
                              for d, s in zip(op.tensor_dims(), op.spec_list) if s == ":"))


def extent_classes(kernel: T.KernelOp) -> dict[str, str]:
    """extent -> the first equal extent of its class, for extents that are not their own representative."""
    extents = whole_extents(kernel)
    if len(extents) < 2:
        return {}
    sizes = kernel_sizes(kernel)
    canon: dict[str, str] = {}
    reps: list[str] = []
    for e in extents:
        canon[e] = next((r for r in reps if sizes.same(r, e).is_true), e)
        if canon[e] == e:
            reps.append(e)
    return {k: v for k, v in canon.items() if k != v}


def canonical_tensor_dims(op: T.LoadOp | T.StoreOp, canon: dict[str, str] | None) -> list[str]:
    """The tensor dim under each subscript entry ('' for `None`), as its class's extent."""
    return [(canon or {}).get(d, d) for d in op.tensor_dims()]


def rename_dims(kernel: T.KernelOp, names: dict[str, str]) -> None:
    """Every tile dim named in `names` takes its new name (results and block arguments alike)."""
    for op in kernel.walk():
        for v in (*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)):
            if isinstance(v.type, TileType) and any(d in names for d in v.type.dims):
                set_type(v, v.type.with_dims([names.get(d, d) for d in v.type.dims]))
