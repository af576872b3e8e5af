"""Search-space fragments for `hl.register_tunable(name, fragment)` (Helion's `helion.autotuner` names).

`x = hl.register_tunable("x", PowerOfTwoFragment(16, 256, 64))` in host code gives `x` the config's value of
field `x` (`kopt.Config(x=128)`), else the fragment's default; the autotuner tries the fragment's choices. An
integer tunable is a size kopt compiles in (a fact `x == 128`, usable in block shapes); a config with another
value is another compile, as Helion's tunables are.
"""

from __future__ import annotations

from dataclasses import dataclass

from kopt.errors import KoptError

MAX_CHOICES = 8  # the autotuner tries at most this many values of one fragment (spread over its range)


@dataclass(frozen=True)
class PowerOfTwoFragment:
    low: int
    high: int
    default_val: int | None = None

    def __post_init__(self):
        for v in (self.low, self.high):
            if not isinstance(v, int) or v < 1 or v & (v - 1):
                raise KoptError(f"PowerOfTwoFragment: {v!r} is not a positive power of two")
        if self.low > self.high:
            raise KoptError(f"PowerOfTwoFragment: low {self.low} is above high {self.high}")

    def default(self):
        return self.default_val if self.default_val is not None else self.low

    def choices(self) -> list:
        out, v = [], self.low
        while v <= self.high:
            out.append(v)
            v *= 2
        return _spread(out)


@dataclass(frozen=True)
class IntegerFragment:
    low: int
    high: int
    default_val: int | None = None

    def default(self):
        return self.default_val if self.default_val is not None else self.low

    def choices(self) -> list:
        return _spread(list(range(self.low, self.high + 1)))


@dataclass(frozen=True)
class EnumFragment:
    choices_: tuple

    def __init__(self, choices):
        object.__setattr__(self, "choices_", tuple(choices))
        if not self.choices_:
            raise KoptError("EnumFragment needs at least one choice")

    def default(self):
        return self.choices_[0]

    def choices(self) -> list:
        return list(self.choices_)


@dataclass(frozen=True)
class BooleanFragment:
    default_val: bool = False

    def default(self):
        return self.default_val

    def choices(self) -> list:
        return [self.default_val, not self.default_val]


FRAGMENTS = (PowerOfTwoFragment, IntegerFragment, EnumFragment, BooleanFragment)


def _spread(values: list) -> list:
    if len(values) <= MAX_CHOICES:
        return values
    step = (len(values) - 1) / (MAX_CHOICES - 1)
    return [values[round(i * step)] for i in range(MAX_CHOICES)]
