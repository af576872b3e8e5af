"""`kopt --emit=shapes`: per kernel, the fact base, every value's symbolic shape, and each mask decision.

The report reads tile-level IR after `mask-elision` (the CLI stops the pipeline
before `lower-to-tt`, see `shapes_pipeline`): values are named as the IR
printer names them, facts are printed as `FactBase.describe()` writes them,
and masks are read from the `mask_notes` that mask-elision recorded, one line
per indexed dim.
"""

from __future__ import annotations

import io

from xdsl.dialects.builtin import ArrayAttr, FileLineColLoc
from xdsl.ir import Operation, SSAValue
from xdsl.printer import Printer

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType, TensorType, TileType

LOWERING_PASSES = ("lower-to-tt",)  # after these, tile-level shapes and mask notes are gone


def shapes_pipeline(pipeline):
    """The part of `pipeline` the report describes: everything before the lowering to tt."""
    from kopt.passes.pipeline import Pipeline

    names = pipeline.names()
    cut = next((i for i, n in enumerate(names) if n in LOWERING_PASSES), len(names))
    return Pipeline(pipeline.passes[:cut])


def _ir_names(module) -> dict[SSAValue, str]:
    # The printer's own names (`%0`, `%amax`, `%rdim.1`), so the report matches --print-after output.
    printer = Printer(stream=io.StringIO())
    printer.print_op(module)
    return {v: f"%{n}" for v, n in getattr(printer, "_ssa_values", {}).items()}


def _type_text(t) -> str:
    if isinstance(t, TensorType):
        return f"tensor [{', '.join(t.dims)}] {t.element_type}, strides [{', '.join(t.stride_names)}]"
    if isinstance(t, TileType):
        return f"[{', '.join(t.dims)}] {t.element_type}"
    if isinstance(t, RangeType):
        begin = f" from {t.begin.data}" if t.begin.data != "0" else ""
        return f"range over {t.extent.data}{begin} by {t.block.data}"
    return str(t)


def _where(op: Operation, with_file: bool = False) -> str:
    loc = op.location
    if not isinstance(loc, FileLineColLoc):
        return "no location"
    return f"{loc.filename.data}:{loc.line.data}" if with_file else f"line {loc.line.data}"


def _notes(op: Operation, key: str = "mask_notes") -> list[str]:
    return [n.data for n in op.attributes.get(key, ArrayAttr([])).data]


class _Report:
    def __init__(self, module):
        self.names = _ir_names(module)
        self.lines: list[str] = []
        self.kept = self.elided = 0

    def name(self, v: SSAValue) -> str:
        return self.names.get(v) or (f"%{v.name_hint}" if v.name_hint else "%?")

    def kernel(self, k: T.KernelOp) -> None:
        from kopt.ir.facts import kernel_facts

        out = self.lines
        out.append(f"kernel @{k.sym_name.data}  ({_where(k, with_file=True)})")
        facts = kernel_facts(k).describe()
        out.append(f"  facts ({len(facts)}):")
        out += [f"    {f}" for f in facts] or ["    (none: every size is unknown)"]
        spec = k.attributes.get("specialized")
        if spec is not None:
            out.append("  specialized (the runtime states their values): " + ", ".join(s.data for s in spec.data))
        assumed = k.attributes.get("assumed")
        if assumed is not None:
            out.append(f"  assumed, checked at launch ({len(assumed.data)}):")
            for entry in assumed.data:
                a, b, *where = (e.data for e in entry.data)
                out.append(f"    {a} == {b}" + (f"  (line {where[1]})" if where else ""))
        computed = [op for op in k.walk() if isinstance(op, T.LetOp)]
        if computed:
            out.append(f"  sizes the kernel computes ({len(computed)}: nonnegative symbols, unknown to the host):")
            for op in computed:
                bound = f", at most {op.bound.data}" if op.bound is not None else ""
                out.append(f"    {op.symbol.data} = {self.name(op.value)}{bound}  ({_where(op)})")
        out.append("  values:")
        out += self.values(k)
        masks = self.masks(k)
        out.append(f"  masks ({self.kept} kept, {self.elided} elided):")
        out += masks or ["    (no masked access)"]
        out.append("")

    def values(self, k: T.KernelOp) -> list[str]:
        rows = [(self.name(a), "argument", _type_text(a.type)) for a in k.body.block.args]
        for op in k.walk():
            if op is k:
                continue
            for b in (b for r in op.regions for b in r.blocks):
                rows += [(self.name(a), f"{op.name} argument", _type_text(a.type)) for a in b.args]
            rows += [(self.name(r), op.name, _type_text(r.type)) for r in op.results]
        width = max((len(n) for n, _, _ in rows), default=0)
        opw = max((len(o) for _, o, _ in rows), default=0)
        return [f"    {n:<{width}}  {o:<{opw}}  {t}" for n, o, t in rows]

    def masks(self, k: T.KernelOp) -> list[str]:
        self.kept = self.elided = 0
        out = []
        for op in k.walk():
            notes, jagged = _notes(op), _notes(op, "jagged_notes")
            self.kept += len(jagged)
            if not notes and isinstance(op, (T.LoadOp, T.StoreOp)) and any(op.masked_flags):
                out.append(f"    {self.what(op)}  ({_where(op)})")
                out.append("      masked, no decision recorded (mask-elision has not run)")
            if not notes:
                if jagged:
                    out.append(f"    {self.what(op)}  ({_where(op)})")
                    out += [f"      kept: {n}" for n in jagged]
                continue
            self.kept += sum(n.startswith("kept:") for n in notes)
            self.elided += sum(n.startswith("elided:") for n in notes)
            out.append(f"    {self.what(op)}  ({_where(op)})")
            if isinstance(op, (T.LoadOp, T.StoreOp)) and len(notes) == len(op.indices):
                out += [f"      {self.name(i)}: {n}" for i, n in zip(op.indices, notes)]
            else:
                out += [f"      {n}" for n in notes]
            out += [f"      kept: {n}" for n in jagged]
        return out

    def what(self, op: Operation) -> str:
        if isinstance(op, (T.LoadOp, T.StoreOp)):
            idx = iter(op.indices)
            subs = [self.name(next(idx)) if s == "i" else s for s in op.spec_list]
            verb = "load" if isinstance(op, T.LoadOp) else "store"
            other = f", masked lanes read {op.other.data}" if isinstance(op, T.LoadOp) and any(op.masked_flags) else ""
            tensor = op.tensor
            while isinstance(tensor.owner, (T.MaskedViewOp, T.AtomicViewOp)):  # hl.load(extra_mask=), jagged
                tensor = tensor.owner.tensor
            return f"{verb} {self.name(tensor)}[{', '.join(subs)}]{other}"
        if isinstance(op, T.MaskFillOp):
            return (f"mask_fill {self.name(op.operand)} with {op.fill.data} past the end of "
                    f"{self.name(op.range)} (dim {op.dim.value.data})")
        if isinstance(op, T.ReduceOp):
            return f"reduce {op.kind_name} {self.name(op.operand)} dim {op.dim.value.data} (the neutral fill before it)"
        return op.name


def shapes_report(module) -> str:
    """The report for every kernel of a (tile-level) module."""
    report = _Report(module)
    for op in module.ops:
        if isinstance(op, T.KernelOp):
            report.kernel(op)
    return "\n".join(report.lines)
