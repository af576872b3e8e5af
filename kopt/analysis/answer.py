"""Three-valued answers with a reason a person can read."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Tri(enum.Enum):
    """TRUE / FALSE only when proven; UNKNOWN otherwise (callers keep the mask)."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    def __bool__(self) -> bool:
        # `if facts.divides(...)` would treat UNKNOWN as true: make that an error.
        raise TypeError("Tri has no truth value: use .is_true / .is_false")

    @property
    def is_true(self) -> bool:
        return self is Tri.TRUE

    @property
    def is_false(self) -> bool:
        return self is Tri.FALSE


@dataclass(frozen=True)
class Answer:
    """A query result: the value and a short sentence saying why."""

    value: Tri
    reason: str

    @property
    def is_true(self) -> bool:
        return self.value is Tri.TRUE

    @property
    def is_false(self) -> bool:
        return self.value is Tri.FALSE

    def __bool__(self) -> bool:
        raise TypeError("Answer has no truth value: use .is_true / .is_false")

    def __str__(self) -> str:
        return f"{self.value.value}: {self.reason}"


def true(reason: str) -> Answer:
    return Answer(Tri.TRUE, reason)


def false(reason: str) -> Answer:
    return Answer(Tri.FALSE, reason)


def unknown(reason: str) -> Answer:
    return Answer(Tri.UNKNOWN, reason)
