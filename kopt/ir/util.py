"""Small helpers shared by kopt's passes: walking kernels, retyping values, located errors, running patterns."""

from __future__ import annotations

from collections.abc import Iterator

from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import GreedyRewritePatternApplier, PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.rewriter import InsertPoint
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import DiagnosticException

from kopt.dialects import tile as T
from kopt.dialects.interfaces import ShapeError
from kopt.dialects.shape_rules import fmt_shape
from kopt.errors import KoptError, SourceLoc

__all__ = ["kernels", "set_type", "op_error", "shape_error", "fmt_shape", "apply_patterns", "replace_keeping_names"]


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


def shape_error(op: Operation, e: ShapeError) -> KoptError:
    """A shape rule's error, located at the op whose rule it is."""
    return op_error(op, e.message, *e.notes)


def apply_patterns(root: Operation, *patterns: RewritePattern, recursive: bool = False, reverse: bool = False) -> bool:
    """Run rewrite patterns over the ops nested in `root` with xDSL's walker; True if anything changed.

    The walker reports an exception a pattern raises as a diagnostic of the op; a KoptError (a user's
    mistake, already located) comes out as itself."""
    walker = PatternRewriteWalker(patterns[0] if len(patterns) == 1 else GreedyRewritePatternApplier(list(patterns)),
                                  apply_recursively=recursive, walk_reverse=reverse)
    try:
        return walker.rewrite_region(root.regions[0]) if root.regions else False
    except DiagnosticException as e:
        cause = e.__cause__
        while cause is not None and not isinstance(cause, KoptError):
            cause = cause.__cause__
        if cause is not None:
            raise cause from None
        raise


def replace_keeping_names(rewriter: PatternRewriter, op: Operation, new_ops: list[Operation], value: SSAValue) -> None:
    """Put `new_ops` before `op` (at its source location), make `value` take the place of its one result,
    and erase it. Unlike `rewriter.replace`, the new ops' results keep the names they have (unnamed ones
    stay unnamed: the backend numbers them), so rewrites do not rename the generated code."""
    for new in new_ops:
        new.location = op.location
    rewriter.insert(new_ops, InsertPoint.before(op))
    rewriter.replace_all_uses_with(op.results[0], value)
    rewriter.erase(op)
