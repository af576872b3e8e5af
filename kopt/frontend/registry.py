"""Extension point of the device frontend: handlers for calls inside tile loops.

`@function("torch.mean", "torch.Tensor.mean")`-style registration keeps each family
of operations (reductions, contractions, indexing, ...) in its own module:

    @function("torch.nn.functional.silu")
    def silu(b: DeviceBuilder, node: ast.Call, kwargs: dict) -> SSAValue: ...

    @method("transpose")
    def transpose(b: DeviceBuilder, receiver, node: ast.Call, kwargs: dict) -> SSAValue: ...

A function handler gets the builder, the call node and its keyword arguments (AST);
a method handler also gets the lowered receiver (`x` of `x.transpose(0, 1)`).
"""

from __future__ import annotations

from collections.abc import Callable

FUNCTIONS: dict[str, Callable] = {}
METHODS: dict[str, Callable] = {}


def function(*names: str):
    def register(fn: Callable) -> Callable:
        for n in names:
            FUNCTIONS[n] = fn
        return fn

    return register


def method(*names: str):
    def register(fn: Callable) -> Callable:
        for n in names:
            METHODS[n] = fn
        return fn

    return register
