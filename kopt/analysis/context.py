"""Per-query state: the facts being read, the step budget and the memo tables.

One Ctx lives for one query only, so queries never share mutable state.
"""

from __future__ import annotations

from collections import defaultdict

import sympy

from .budget import Budget
from .domain import evaluate
from .modsets import MODSETS, POW2, POWERS_OF_TWO, is_integral


class Ctx:
    """What the analyses (intervals, modsets, poly) see during one query."""

    def __init__(self, facts, budget: Budget):
        self.facts = facts  # a FactBase; read only
        self.budget = budget
        self.memos: defaultdict = defaultdict(dict)  # Domain -> {expr: value}
        self._resolving: set = set()

    def tick(self, n: int = 1) -> None:
        self.budget.tick(n)

    def resolve(self, s: sympy.Symbol):
        """What `s` stands for, if the facts pin it down: its stated value, or
        n for `s = next_power_of_2(n)` when n is itself a power of two."""
        value = self.facts._eqs.get(s)
        if value is not None:
            return value
        n = self.facts._npow2.get(s)
        if n is None or s in self._resolving:
            return None
        self._resolving.add(s)
        try:
            return n if evaluate(self, POWERS_OF_TWO, n) == POW2 else None
        finally:
            self._resolving.discard(s)

    def is_int(self, e: sympy.Basic) -> bool:
        """Whether e is provably an integer (from the modular analysis)."""
        # evaluate itself, not modular(): this sits inside the walk (see domain.py).
        return is_integral(evaluate(self, MODSETS, e))
