"""Ops own their meaning: an op that lacks an interface a pass needs, or an emitter the backend needs, is a
loud error naming the op and what it lacks (never a silent `?` shape or a skipped op); and the meaning
declared on the classes is what the passes use (folds, neutral elements, combiners, dim maps)."""

from __future__ import annotations

import sys

import pytest
from xdsl.ir import SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure

from kopt import api
from kopt.dialects import tile as T
from kopt.dialects.dtypes import f32, i32
from kopt.dialects.interfaces import HasDimMap, InfersShape
from tests.helpers import EXAMPLES


@irdl_op_definition
class NoShapeOp(IRDLOperation):
    """An elementwise op someone forgot to give a shape rule."""

    name = "test.no_shape"
    operand = operand_def(T.TileType)
    result = result_def(T.TileType)
    traits = traits_def(Pure())

    def __init__(self, v: SSAValue):
        super().__init__(operands=[v], result_types=[v.type])


@irdl_op_definition
class NoDimMapOp(IRDLOperation, InfersShape):
    """It says its shape, but not which range its dims run along."""

    name = "test.no_dim_map"
    operand = operand_def(T.TileType)
    result = result_def(T.TileType)
    traits = traits_def(Pure())

    def __init__(self, v: SSAValue):
        super().__init__(operands=[v], result_types=[v.type])

    def infer_dims(self, sizes):
        return list(self.operand.type.dims)


@irdl_op_definition
class NoEmitterOp(IRDLOperation, InfersShape, HasDimMap):
    """Meaning declared in full, but no backend knows how to write it."""

    name = "test.no_emitter"
    operand = operand_def(T.TileType)
    result = result_def(T.TileType)
    traits = traits_def(Pure())

    def __init__(self, v: SSAValue):
        super().__init__(operands=[v], result_types=[v.type])

    def infer_dims(self, sizes):
        return list(self.operand.type.dims)

    def result_dims(self):
        return [[(self.operand, i)] for i in range(self.operand.type.rank)]


def _module_with(op_cls):
    """examples/embed_build_ir.py's softmax, with `op_cls` applied to the loaded row before the softmax."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        from embed_build_ir import build_row_softmax
    finally:
        sys.path.remove(str(EXAMPLES))
    module = build_row_softmax()
    load = next(o for o in module.walk() if isinstance(o, T.LoadOp))
    new = op_cls(load.result)
    load.parent_block().insert_op_after(new, load)
    for use in list(load.result.uses):
        if use.operation is not new:
            use.operation.operands = [new.result if v is load.result else v for v in use.operation.operands]
    return module


def test_an_op_without_a_shape_rule_is_named_by_shape_inference():
    with pytest.raises(api.KoptError, match=r"`test.no_shape` does not implement InfersShape, which shape-inference needs"):
        api.compile_module(_module_with(NoShapeOp))


def test_an_op_without_a_dim_map_is_named_by_masking():
    with pytest.raises(api.KoptError, match=r"`test.no_dim_map` does not implement HasDimMap, which masking"):
        api.compile_module(_module_with(NoDimMapOp))


def test_an_op_without_an_emitter_is_named_by_the_backend():
    with pytest.raises(api.KoptError, match=r"the Triton backend cannot emit `test.no_emitter`: no emitter is registered"):
        api.compile_module(_module_with(NoEmitterOp))


def test_the_declared_meaning_is_what_the_passes_use():
    x = T.ConstantOp("1", T.TileType(["4", "8"], f32)).result
    red = T.ReduceOp("max", x, 1, True, T.TileType(["4", "1"], f32))
    assert red.neutral(f32) == "-inf" and red.neutral(i32) == "-2147483648" and red.combiner() is T.MaximumOp
    assert T.ReduceOp("argmin", x, 1, False, T.TileType(["4"], i32)).arg_parts() == ("min", T.LtOp)
    assert red.result_dims() == [[(x, 0)], []]  # the kept dim is a unit dim of its own
    assert T.FloorDivOp.py_operation(-7, 2) == -3 and T.RemOp.py_operation(-7, 2) == -1  # Triton's, as the ops
    assert T.AddOp.py_operation(2, 3) == 5 and not hasattr(T.LtOp, "py_operation")  # comparisons do not fold
    y = T.ConstantOp("2", T.TileType(["8"], f32)).result
    assert T.AddOp(x, y, T.TileType(["?", "?"], f32)).result_dims() == [[(x, 0)], [(x, 1), (y, 0)]]
    assert T.TransposeOp(x, [1, 0], T.TileType(["8", "4"], f32)).result_dims() == [[(x, 1)], [(x, 0)]]
