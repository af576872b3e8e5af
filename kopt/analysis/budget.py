"""Step budgets and size caps that keep every shape query bounded.

A query owns one `Budget` (no global state, so queries on several threads do not
interfere); every node visited or rule tried spends a step. When the steps run
out the query answers UNKNOWN, which callers treat as "keep the mask".
"""

from __future__ import annotations

import sympy

DEFAULT_BUDGET = 4000
# Inputs with more nodes than this are refused before any work (the tree count
# stops early, so a huge or heavily shared expression costs at most this many steps).
MAX_NODES = 2000
# Constants wider than this many bits are refused too (10**300 is ~1000 bits).
MAX_CONST_BITS = 1 << 14
# And nesting deeper than this: the analyses recurse (a few frames per level)
# and must stay well inside Python's default recursion limit of 1000.
MAX_DEPTH = 200


class Exhausted(Exception):
    """The query ran out of steps."""


class TooLarge(Exception):
    """An input or an intermediate result is over a size cap."""


class Budget:
    """A countdown of deterministic steps for one query."""

    __slots__ = ("left", "total")

    def __init__(self, steps: int = DEFAULT_BUDGET):
        self.total = int(steps)
        self.left = int(steps)

    def tick(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise Exhausted

    @property
    def used(self) -> int:
        return self.total - self.left


def check_size(expr: sympy.Basic, limit: int = MAX_NODES) -> None:
    """Raise TooLarge if `expr` has more than `limit` nodes (counted as a tree),
    is nested deeper than MAX_DEPTH, or has a constant wider than MAX_CONST_BITS."""
    stack = [(expr, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > limit or depth > MAX_DEPTH:
            raise TooLarge
        if node.is_Rational and max(abs(node.p), node.q).bit_length() > MAX_CONST_BITS:
            raise TooLarge
        stack.extend((a, depth + 1) for a in node.args)
