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
ATTRIBUTES: dict[str, Callable] = {}  # `tile.index`: handler(builder, lowered receiver, ast.Attribute node)
LOOPS: dict[str, Callable] = {}  # `for i in hl.static_range(4):`: handler(builder, ast.For node)


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


def attribute(*names: str):
    """Register a handler for an attribute read inside a tile loop (`tile.index`, `tile.block_size`)."""
    def register(fn: Callable) -> Callable:
        for n in names:
            ATTRIBUTES[n] = fn
        return fn

    return register


def loop(*names: str):
    """Register a handler for a `for` loop over something other than hl.tile (`hl.static_range`)."""
    def register(fn: Callable) -> Callable:
        for n in names:
            LOOPS[n] = fn
        return fn

    return register
