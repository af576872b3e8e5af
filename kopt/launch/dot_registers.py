"""Registers a dot kernel's thread needs, estimated from its tiles: the autotuner's register-pressure prune.

On Hopper a `tl.dot` keeps its fp32 accumulator in registers (wgmma reads the operands from shared memory), spread
over the program's threads; an attention program also holds its block of scores (and their exponentials). A thread
has at most 255 registers: past that ptxas spills to local memory, and the build is slow however its tiles look.
The estimate is linear in the fp32 elements a thread holds (`features`: the accumulator, and the scores of an
attention program), fitted per kind on Triton's own sm_90 builds of kopt's matmul and attention examples
(`python benchmarks/register_fit.py`: benchmarks/results/cpu_2026-12-02d_registers/, 32 matmul and 24 attention
builds, each one's registers and stack as cuobjdump reads the cubin). The dot autotune space
(kopt/runtime/dot_space.py) leaves out configs estimated past `MAX_REGISTERS + MARGIN`, as it leaves out those whose
pipeline's shared memory is past the device's.
"""

from __future__ import annotations

MAX_REGISTERS = 255  # a thread's registers on sm_80 / sm_90 (CUDA C++ Programming Guide, compute capabilities)
# registers ~ accumulator * a + scores * c + b, by kind: the least squares over the builds that did not spill
# (fit.json: largest residuals 42 registers for matmul, 101 for attention, whose 8-warp programs of 64 rows
# hold more than an even share)
FIT = {"matmul": (1.461, 0.0, 26.0), "attention": (0.790, 2.558, 45.6)}
# Estimates within this of the limit are kept: there the fit cannot tell (an attention build estimated at 260 spilled
# 8 bytes, two others so estimated did not spill, at 242 and 248 registers); every build estimated past it spilled
# (16 to 1024 bytes)
MARGIN = 15


def features(attention: bool, block_m: int, block_n: int, inner: int, num_warps: int) -> tuple[float, float]:
    """fp32 elements a thread holds: (the accumulator, the scores): a matmul's [block_m, block_n] accumulator; an
    attention program's [block_m, head dim] accumulator (`inner`) and its [block_m, block_n] scores."""
    threads = 32 * num_warps
    if attention:
        return block_m * inner / threads, block_m * block_n / threads
    return block_m * block_n / threads, 0.0


def estimated_registers(attention: bool, block_m: int, block_n: int, inner: int, num_warps: int) -> float:
    a, c, b = FIT["attention" if attention else "matmul"]
    acc, scores = features(attention, block_m, block_n, inner, num_warps)
    return a * acc + c * scores + b


def spills(attention: bool, block_m: int, block_n: int, inner: int, num_warps: int) -> bool:
    """Whether a program of these tiles is estimated to need clearly more registers than a thread has."""
    return estimated_registers(attention, block_m, block_n, inner, num_warps) > MAX_REGISTERS + MARGIN
