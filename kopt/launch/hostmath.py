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


_SMS: dict = {}  # device index -> its SM count (one query per device and process)
INTERPRETER_PROGRAMS = 4  # a persistent launch on the CPU interpreter: few programs, each taking several tiles


def persistent_programs(tiles: int, like) -> int:
    """Programs of a persistent launch (a kernel whose programs loop over tiles: Helion's persistent pid types):
    one per SM of the device `like` (a tensor) is on, as the Triton tutorial's persistent matmul launches, and never
    more than there are tiles."""
    device = like.device
    if device.type != "cuda":
        return max(1, min(tiles, INTERPRETER_PROGRAMS))
    sms = _SMS.get(device.index)
    if sms is None:
        import torch

        sms = _SMS[device.index] = torch.cuda.get_device_properties(device).multi_processor_count
    return max(1, min(tiles, sms))
