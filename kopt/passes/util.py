"""Small helpers shared by kopt's passes: walking kernels, retyping values, located errors."""

from __future__ import annotations

from collections.abc import Iterator

from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import Rewriter

from kopt.dialects import tile as T
from kopt.errors import KoptError, SourceLoc


def kernels(module: ModuleOp) -> Iterator[T.KernelOp]:
    for op in module.ops:
        if isinstance(op, T.KernelOp):
            yield op


def set_type(value: SSAValue, new_type: Attribute) -> SSAValue:
    """Give a value a new type, keeping its uses and name."""
    if value.type == new_type:
        return value
    hint = value.name_hint
    new = Rewriter.replace_value_with_new_type(value, new_type)
    new.name_hint = hint
    return new


def op_error(op: Operation, message: str, *notes: str) -> KoptError:
    """A KoptError at the user's source line that produced `op` (if the IR knows it)."""
    loc = op.location if isinstance(op.location, FileLineColLoc) else None
    if loc is None:
        return KoptError(message, notes=notes)
    return KoptError(message, SourceLoc(loc.filename.data, loc.line.data, loc.column.data), notes=notes)


def fmt_shape(dims) -> str:
    return "[" + ", ".join(dims) + "]"
