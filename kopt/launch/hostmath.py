"""Integer helpers for the generated launchers' host code.

`triton.cdiv` and `triton.next_power_of_2` are `constexpr_function`s in recent Triton: each call
unwraps its arguments and costs ~3 us of Python on the device machine's host, and a launcher
makes two or three of them on every call (benchmarks/launch_profile.py). These are the same
integer functions, without the wrapping.
"""

from __future__ import annotations


def cdiv(a: int, b: int) -> int:
    """ceil(a / b) for integers, as triton.cdiv."""
    return -(-a // b)


def next_power_of_2(n: int) -> int:
    """The smallest power of 2 >= n (0 for n <= 0), as triton.next_power_of_2 for n >= 0."""
    return 1 << (int(n) - 1).bit_length() if n > 0 else 0  # int(): numpy integers have no bit_length
