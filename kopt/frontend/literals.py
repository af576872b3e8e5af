"""Number literals the frontend reads: a constant expression's value (`2**20`, `-1 << 4`) and whether it fits
the integer dtype it goes into (a located error otherwise: Triton would overflow or refuse, torch refuses too)."""

from __future__ import annotations

import ast

_INT_RANGE = {"i8": 8, "i16": 16, "i32": 32, "i64": 64}
_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
         ast.FloorDiv: lambda a, b: a // b, ast.LShift: lambda a, b: a << b, ast.Pow: lambda a, b: a ** b}
TRITON_MAX_NUMEL = 2**20  # triton.TRITON_MAX_TENSOR_NUMEL: elements in one block (a tensor inside a kernel)
_MAX_BITS = 256  # a literal wider than this is no size nor fill value anyone means


def literal_int(node: ast.expr) -> int | None:
    """The value of an integer constant expression (`4096`, `2**20`, `1 << 10`, `-3`), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = literal_int(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
        a, b = literal_int(node.left), literal_int(node.right)
        if a is None or b is None or (isinstance(node.op, (ast.Pow, ast.LShift)) and not 0 <= b <= _MAX_BITS) \
                or (isinstance(node.op, ast.FloorDiv) and b == 0):
            return None
        v = _FOLD[type(node.op)](a, b)
        return v if abs(v).bit_length() <= _MAX_BITS else None
    return None


def int_range(dtype: str) -> tuple[int, int] | None:
    """The values a signed integer dtype (`i32`) holds; None for floats and bool."""
    bits = _INT_RANGE.get(dtype)
    return None if bits is None else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def out_of_range(value: int, dtype: str) -> str | None:
    """Why an integer literal does not fit `dtype` (None when it does, or when dtype is no integer type)."""
    bounds = int_range(dtype)
    if bounds is None or bounds[0] <= value <= bounds[1]:
        return None
    return f"the literal {value} does not fit in {dtype} (it holds {bounds[0]} to {bounds[1]})"


OVERFLOW_NOTE = "torch refuses it too (`value cannot be converted to type ... without overflow`)"
