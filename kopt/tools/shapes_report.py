"""`kopt --emit=shapes`: every value's symbolic shape, the fact base and each mask decision."""

from __future__ import annotations

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TensorType, TileType


def _type_text(t) -> str:
    if isinstance(t, (TileType, TensorType)):
        return f"[{', '.join(t.dims)}]"
    if isinstance(t, RangeType):
        return f"range over {t.extent.data} by {t.block.data}"
    return str(t)


def shapes_report(module) -> str:
    from kopt.passes.mask_elision import kernel_facts

    out = []
    for op in module.ops:
        if not isinstance(op, T.KernelOp):
            continue
        out.append(f"kernel @{op.sym_name.data}")
        out.append("  facts:")
        out += [f"    {f}" for f in kernel_facts(op).describe()] or ["    (none)"]
        out.append("  values:")
        for inner in op.walk():
            for r in inner.results:
                out.append(f"    %{r.name_hint or '_'} = {inner.name}: {_type_text(r.type)}")
        out.append("  masks:")
        for inner in op.walk():
            notes = inner.attributes.get("mask_notes")
            if notes is not None:
                out += [f"    {inner.name}: {n.data}" for n in notes.data]
        out.append("")
    return "\n".join(out)
