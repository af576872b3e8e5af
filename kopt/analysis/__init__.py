"""Symbolic shapes for kopt: symbols, shape-expression text, and explicit facts.

Pure math on sympy; imports nothing of kopt but `kopt.errors`. Queries are
bounded (step budget, size caps) and answer TRUE/FALSE only with a proof.
"""

from .answer import Answer, Tri
from .budget import DEFAULT_BUDGET
from .facts import FactBase
from .symbols import (
    DATA_SIZE_PREFIX,
    block_symbol,
    cdiv,
    floordiv,
    format_expr,
    maximum,
    minimum,
    mod,
    next_power_of_2,
    parse_expr,
    size_symbol,
    stride_symbol,
)

__all__ = [
    "Answer",
    "DATA_SIZE_PREFIX",
    "DEFAULT_BUDGET",
    "FactBase",
    "Tri",
    "block_symbol",
    "cdiv",
    "floordiv",
    "format_expr",
    "maximum",
    "minimum",
    "mod",
    "next_power_of_2",
    "parse_expr",
    "size_symbol",
    "stride_symbol",
]
