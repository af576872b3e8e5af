"""Which loop range each dim of a tile value runs along (its provenance), for masking tiles of indices.

A gather `x[idx, ...]` must not read past the tensor in the lanes a range's last block
overhangs, so each dim of `idx` is masked with its range's mask. Block sizes are not
enough to find that range: `hl.tile([m, n], block_size=[16, 16])` gives two ranges the
block `16`. So this walks the kernel once, before lowering, and follows each dim from
where it appears (`tile.index`, a load indexed by a range) through expands, broadcasts,
elementwise ops, reductions and transposes. A dim it cannot follow (a reshape, an op it
does not know) is `None`: the caller then falls back on the block size when that is
unambiguous.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TileType

Dims = list  # one entry per dim: a range (SSAValue), EMPTY (from no range: constants, unit dims) or None (unknown)
EMPTY = ()


def _broadcast(op: Operation, prov: dict) -> Dims | None:
    result = op.results[0].type
    out: Dims = [EMPTY] * result.rank
    for operand in op.operands:
        t = operand.type
        if not isinstance(t, TileType):
            continue
        dims = prov.get(operand)
        for i in range(1, t.rank + 1):
            if t.dims[-i] == "1":
                continue
            here = None if dims is None else dims[-i]
            if out[-i] == EMPTY:
                out[-i] = here
            elif here is not None and out[-i] is not None and here != out[-i]:
                out[-i] = None  # two ranges meet in one dim: neither is known to guard it
    return out


def _load(op: T.LoadOp, prov: dict) -> Dims:
    out: Dims = []
    indices = iter(op.indices)
    for s in op.spec_list:
        if s == "None":
            out.append(EMPTY)
        elif s == ":":
            out.append(None)
        else:
            idx = next(indices)
            if isinstance(idx.type, RangeType):
                out.append(idx)
            else:
                out += prov.get(idx) or [None] * idx.type.rank
    return out


def _one(op: Operation, prov: dict) -> Dims | None:
    if isinstance(op, T.TileAttrOp):
        return [op.range] if op.attr.data == "index" else []
    if isinstance(op, T.LoadOp):
        return _load(op, prov)
    if isinstance(op, (T.ConstantOp, T.SymbolOp, T.FullLikeOp)):
        return [EMPTY] * op.results[0].type.rank
    if isinstance(op, T.ExpandOp):
        src = iter(prov.get(op.operand) or [None] * op.operand.type.rank)
        return [next(src) if s.data == ":" else EMPTY for s in op.spec.data]
    if isinstance(op, T.ReduceOp):
        dims = list(prov.get(op.operand) or [None] * op.operand.type.rank)
        d = op.dim.value.data
        if op.keepdim.value.data:
            dims[d] = EMPTY
        else:
            del dims[d]
        return dims
    if isinstance(op, T.TransposeOp):
        dims = prov.get(op.operand) or [None] * op.operand.type.rank
        return [dims[p] for p in op.permutation]
    if isinstance(op, (*T.BINARY_OPS, T.WhereOp, T._Unary, T.CastOp, T.MaskFillOp, T.BroadcastToOp)):
        return _broadcast(op, prov)
    return None


def index_provenance(kernel: T.KernelOp) -> dict[SSAValue, Dims]:
    """Provenance of every tile value of a kernel (values of unknown provenance are absent)."""
    prov: dict[SSAValue, Dims] = {}
    for op in kernel.walk():
        if isinstance(op, T.ForOp):
            for arg, init in zip(op.carried, op.iter_args):
                if init in prov:
                    prov[arg] = prov[init]
            for res, init in zip(op.results, op.iter_args):
                if init in prov:
                    prov[res] = prov[init]
            continue
        if len(op.results) != 1 or not isinstance(op.results[0].type, TileType):
            continue
        dims = _one(op, prov)
        if dims is not None and len(dims) == op.results[0].type.rank:
            prov[op.results[0]] = dims
    return prov


def access_index_ranges(kernel: T.KernelOp) -> dict[tuple[Operation, int], Dims]:
    """For every load/store and every tile-of-indices operand k: the range behind each of its dims."""
    prov = index_provenance(kernel)
    out = {}
    for op in kernel.walk():
        if isinstance(op, (T.LoadOp, T.StoreOp)):
            for k, idx in enumerate(op.indices):
                if isinstance(idx.type, TileType):
                    out[(op, k)] = prov.get(idx) or [None] * idx.type.rank
    return out
