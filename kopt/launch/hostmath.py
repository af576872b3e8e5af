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


def device_programs(device) -> int:
    """Programs that fill the device: its SM count (queried once per device), or, on the CPU interpreter, a few."""
    if device.type != "cuda":
        return INTERPRETER_PROGRAMS
    sms = _SMS.get(device.index)
    if sms is None:
        import torch

        sms = _SMS[device.index] = torch.cuda.get_device_properties(device).multi_processor_count
    return sms


def persistent_programs(tiles: int, like) -> int:
    """Programs of a persistent launch (a kernel whose programs loop over tiles: Helion's persistent pid types):
    one per SM of the device `like` (a tensor) is on, as the Triton tutorial's persistent matmul launches, and never
    more than there are tiles."""
    return max(1, min(tiles, device_programs(like.device)))


SPLIT_K_MAX = 8  # splits of a split-K launch (kopt/passes/split_k.py)
SPLIT_K_MIN_BLOCKS = 8  # k-steps of 64 per split, at least


def split_k_tile(m: int) -> tuple[int, int]:
    """The m and n blocks of a split-K launch (dot_tiles' split choice, the tiles split_k_factor counts): 64 x 128,
    64 x 64 for at most 64 rows. Measured on an H200 (benchmarks/results/h200_2026-12-02e/knob_sweep.txt, fp16, each
    tiling's own split factor): 128 x 4096 x 4096 ran 177 TFLOP/s in 64 x 128 tiles (2 splits) against 155 in the
    128 x 128 tiles (4 splits) it had; 16 x 4096 x 4096 26.1 in 64 x 64 (2 splits) against 23.4 in 128 x 128."""
    return 64, 64 if m <= 64 else 128


def split_k_factor(m: int, n: int, k: int, sms: int = 132, block_m: int | None = None,
                   block_n: int | None = None) -> int:
    """Splits of k that bring a product of few output tiles (`split_k_tile`'s unless given) to about one program
    per SM: at most SPLIT_K_MAX, and at least SPLIT_K_MIN_BLOCKS k-steps of 64 each (1 where nothing is gained)."""
    tile_m, tile_n = split_k_tile(m)
    tiles = cdiv(m, block_m or tile_m) * cdiv(n, block_n or tile_n)
    return max(1, min(SPLIT_K_MAX, sms // max(1, tiles), k // (64 * SPLIT_K_MIN_BLOCKS)))


def split_k_wanted(m: int, n: int, k: int, elem_bytes: int) -> bool:
    """Whether a product launches split-K (the variant's `launch_if`, from the sizes alone: an H100's or H200's 132
    SMs): its `split_k_tile` tiles fill at most half the SMs, and the fp32 partial sums it writes and reads again
    stay under a quarter of the operands' bytes (a decode-sized m against a long k: yes; 1024^3: no)."""
    s = split_k_factor(m, n, k)
    return s > 1 and 16 * s * m * n <= (m + n) * k * elem_bytes


TMA_ALIGN = 16  # bytes: the base address and every stride but the last of a tensor TMA moves
TMA_MAX_DIM = 2**31 - 1  # a descriptor's sizes and coordinates are int32


def descriptors_fit(*tensors) -> bool:
    """Whether Hopper's TMA can move blocks of these tensors (kopt/passes/tensor_descriptors.py's `launch_if`): each
    has a last stride of 1 (or a last dim of one element), its other strides positive multiples of 16 bytes, its base
    address a multiple of 16 and every dim under 2^31. On the CPU (the interpreter) the same rule holds, so that it
    runs what a GPU would."""
    for t in tensors:
        size = t.element_size()
        strides = t.stride()
        if t.dim() == 0 or (strides[-1] != 1 and t.shape[-1] != 1) or t.data_ptr() % TMA_ALIGN:
            return False
        if any(s <= 0 or s * size % TMA_ALIGN for s in strides[:-1]) or max(t.shape) > TMA_MAX_DIM:
            return False
    return True


def descriptor_scratch(like) -> None:
    """Give Triton an allocator for the global scratch a kernel that makes tensor descriptors on the device needs
    (`triton.set_allocator`: a context variable, so asked on every call), unless one is set: torch's caching
    allocator on the current CUDA device. Nothing where `like` is on the CPU."""
    if like.device.type != "cuda":
        return
    from triton.runtime import _allocation

    if isinstance(_allocation._allocator.get(), _allocation.NullAllocator):
        import torch

        # on the current device, where Triton launches (not the first call's: a later call may run on another GPU)
        _allocation.set_allocator(lambda size, alignment, stream: torch.empty(size, dtype=torch.int8, device="cuda"))
