"""Which loop range each dim of a tile value runs along (its provenance), for masking.

A gather `x[idx, ...]` must not read past the tensor in the lanes a range's last block
overhangs, so each dim of `idx` is masked with its range's mask; a reduction fills the
lanes past its range's end with its neutral element. Block sizes are not enough to find
that range: `hl.tile([m, n], block_size=[16, 16])` gives two ranges the block `16`. So
this walks the kernel once and follows each dim from where it appears (`tile.index`, a
load indexed by a range) through every op's dim map (the `HasDimMap` interface: expands,
broadcasts, elementwise ops, reductions, transposes, products) and loop-carried values.
A dim an op cannot map (a reshape) is `None`: the caller then falls back on the block size
when that is unambiguous. An op without a dim map is an error naming it.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.interfaces import HasDimMap, LoopCarried, missing
from kopt.dialects.types import RangeType, TileType

Dims = list  # one entry per dim: a range (SSAValue), EMPTY (from no range: constants, unit dims) or None (unknown)
EMPTY = ()


def _dims_of(op: HasDimMap, prov: dict) -> Dims:
    out: Dims = []
    result_dims = op.results[0].type.dims
    for sources, size in zip(op.result_dims(), result_dims):
        if sources is None:
            out.append(None)
            continue
        here = EMPTY
        for value, dim in sources:
            if isinstance(value.type, RangeType):
                found = value
            elif value.type.dims[dim] == "1" and size != "1":
                continue  # a unit dim stretched along the others: it says nothing of their range
            else:
                found = (prov.get(value) or [None] * value.type.rank)[dim]
            if here == EMPTY:
                here = found
            elif found is not None and here is not None and found != here:
                here = None  # two ranges meet in one dim: neither is known to guard it
        out.append(here)
    return out


def index_provenance(kernel: T.KernelOp) -> dict[SSAValue, Dims]:
    """Provenance of every tile value of a kernel (values of unknown provenance are absent)."""
    prov: dict[SSAValue, Dims] = {}
    for op in kernel.body.walk():
        if isinstance(op, LoopCarried):
            for c in op.carried_values():
                if c.init in prov:
                    prov[c.arg] = prov[c.result] = prov[c.init]
            continue
        if len(op.results) != 1 or not isinstance(op.results[0].type, TileType):
            continue
        if not isinstance(op, HasDimMap):
            raise missing(op, HasDimMap, "masking (the provenance of tile dims)")
        dims = _dims_of(op, prov)
        if len(dims) == op.results[0].type.rank:
            prov[op.results[0]] = dims
    return prov


def access_index_ranges(kernel: T.KernelOp) -> dict[tuple[Operation, int], Dims]:
    """For every load/store and every tile-of-indices operand k: the range behind each of its dims."""
    prov = index_provenance(kernel)
    out = {}
    for op in kernel.walk():
        if isinstance(op, T.ACCESS_OPS):
            for k, idx in enumerate(op.indices):
                if isinstance(idx.type, TileType):
                    out[(op, k)] = prov.get(idx) or [None] * idx.type.rank
    return out


class LazyProvenance:
    """`index_provenance(kernel)`, computed on first use: passes that rarely need it (masking, on kernels with no
    reduction or flip) do not pay for the walk."""

    def __init__(self, kernel: T.KernelOp):
        self.kernel = kernel
        self._prov: dict[SSAValue, Dims] | None = None

    def _get(self) -> dict[SSAValue, Dims]:
        if self._prov is None:
            self._prov = index_provenance(self.kernel)
        return self._prov

    def get(self, value: SSAValue, default=None):
        return self._get().get(value, default)

    def __getitem__(self, value: SSAValue) -> Dims:
        return self._get()[value]

    def __setitem__(self, value: SSAValue, dims: Dims) -> None:
        self._get()[value] = dims

    def __contains__(self, value: SSAValue) -> bool:
        return value in self._get()
