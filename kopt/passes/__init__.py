"""kopt's passes. Importing this package registers every built-in pass by name."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.canonicalize import CanonicalizePass as _XdslCanonicalize
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination as _XdslCse
from xdsl.transforms.dead_code_elimination import DeadCodeElimination as _XdslDce

from kopt.passes.registry import available_passes, load_plugin, register_pass
from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
from kopt.passes import (  # noqa: F401 - registration side effects
    decompose,
    shape_inference,
    bounds_checks,
    tiling,
    batch_to_grid,
    split_k,
    unify_extents,
    resolve_dim_sizes,
    reciprocal_divisions,
    reduction_variants,
    reduction_lowering,
    loop_peeling,
    masking,
    jagged_masks,
    mask_elision,
    tensor_descriptors,
    lower_to_tt,
    reread_hints,
)


@register_pass
@dataclass(frozen=True)
class CanonicalizePass(ModulePass):
    """Fold and simplify with each op's canonicalization patterns; remove dead pure ops (xDSL's)."""

    name = "canonicalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        _XdslCanonicalize().apply(ctx, op)


@register_pass
@dataclass(frozen=True)
class CsePass(ModulePass):
    """Common subexpression elimination of pure ops (xDSL's)."""

    name = "cse"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        _XdslCse().apply(ctx, op)


@register_pass
@dataclass(frozen=True)
class DcePass(ModulePass):
    """Remove pure ops whose results are unused (xDSL's)."""

    name = "dce"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        _XdslDce().apply(ctx, op)


__all__ = ["register_pass", "available_passes", "load_plugin", "Pipeline", "DEFAULT_PIPELINE"]
