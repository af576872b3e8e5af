"""Launch-time tile choice for kernels with a `tl.dot` (called by generated launchers).

A dot kernel's blocks for its m, n and k dims (and batch, for a batched product)
come from the sizes at each call, not from the generic elementwise budget:
tensor-core tiles as in the Triton matmul tutorial's H100 configs, the largest
one that still gives (nearly) every SM a program, never below 16 (what `tl.dot`
requires of every operand dim) and never much past the problem
(`next_power_of_2` of the size). fp32 operands (TF32 on the GPU) take half the
k-step so that the pipeline's shared memory stays the same. The batch block is 1.

Blocks fixed by a config (`_BLOCK_SIZE_k` keys, as the autotuner's `_config`
has them) are kept, and checked: one below 16 is a KoptError naming it.
"""

from __future__ import annotations

import functools

from kopt.errors import KoptError
from kopt.launch.dot_registers import spills
from kopt.launch.hostmath import next_power_of_2, split_k_tile

# The kernels' constexpr that picks the 2-D form of batched dots (dot_codegen.py's `_batched`): the
# launcher sets it to 1 for one batch per program; kopt/runtime/fast_launch.py builds with 0 (the 3-D
# form) where Triton's compiler fails on the 2-D one.
DOT_2D = "_DOT_2D"
# The kernels' constexpr that turns on warp-specialized loops (`tl.range(..., warp_specialize=_WARP_SPEC)`, Helion's
# range_warp_specializes): 1 at launch; 0 where Triton's compiler fails on them (some sm_90 builds do), as above.
WARP_SPEC = "_WARP_SPEC"
DOT_MIN_BLOCK = 16
DEFAULT_SMS = 132  # an H100 / H200; the real count is read from the device when there is one
H100_SHARED = 232448  # bytes of shared memory a program may opt into on an H100 (CUDA C++ Programming Guide)
WAVE = 0.75  # a tile choice must fill this share of the SMs (2048^2 in 128 x 256 tiles: 128 of 132)
# (block_m, block_n, k-step in bytes of one operand row, num_warps, num_stages), largest first
_TILES = [
    (128, 256, 128, 8, 3),
    (128, 128, 128, 8, 4),
    (64, 128, 128, 4, 4),
    (64, 64, 128, 4, 4),
]
_ROLES = ("m", "n", "k", "batch")
# a split-K launch's k-step (bytes of one operand row), warps and stages, by its n block (hostmath.split_k_tile):
# the fastest of an H200 sweep at 128 x 4096 x 4096 and 16 x 4096 x 4096 (split_k_tile says where)
_SPLIT_STEPS = {128: (256, 4, 4), 64: (256, 4, 5)}


@functools.cache
def _shared_limit() -> int:
    """Shared memory one program may use on the current GPU (bytes); the H100's where none can be asked."""
    try:
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(torch.cuda.current_device())
            return int(getattr(props, "shared_memory_per_block_optin", H100_SHARED))
    except Exception:  # noqa: BLE001 - no device query: keep the H100's limit
        pass
    return H100_SHARED


def multi_dot_shared(bm: int, bn: int, inner: int, elem_bytes: int, stages: int, batch: int = 0) -> int:
    """An upper estimate of the shared memory (bytes) of an attention-shaped kernel: two [bn, inner] operands
    streamed per stage (k and v), then the resident [bm, inner] operand or the [bm, bn] product fed to the
    second dot, whichever is larger. Fitted to what Triton 3.9 built for sm_90 (kopt.build_for_target on
    examples/attention.py, inner 64-256, bm 64-128, bn 32-128, 2-4 stages): exact for 48 of those 54 fp16
    builds, above the other 6 (inner 64, bn 128) and the fp32 ones. `batch` > 0: the 3-D form with that many
    batches in every tile (a batch block a config fixes), whose layout conversions keep more copies: per
    batch, the resident operand three times, the product twice (never below the 3-D builds measured in fp16,
    4 or 8 warps; fp32 resident copies counted at 2 bytes, as measured)."""
    if batch:
        return batch * (elem_bytes * stages * 2 * bn * inner + min(elem_bytes, 2) * (3 * bm * inner + 2 * bm * bn))
    return elem_bytes * (stages * 2 * bn * inner + bm * max(inner, bn))


@functools.cache
def _num_sms() -> int:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_properties(torch.cuda.current_device()).multi_processor_count
    except Exception:  # noqa: BLE001 - no device query: keep the H100's count
        pass
    return DEFAULT_SMS


def _cap(block: int, size: int) -> int:
    return max(DOT_MIN_BLOCK, min(block, next_power_of_2(size)))


def check_fixed_blocks(names, fixed: dict) -> dict[str, int]:
    """The fixed blocks of this dot, by role; a dot dim below 16 is the user's mistake, said so."""
    out = {}
    for role, name in zip(_ROLES, names):
        value = fixed.get(name) if name else None
        if value is None:
            continue
        if role != "batch" and value < DOT_MIN_BLOCK:
            index = name.rsplit("_", 1)[-1]
            raise KoptError(f"kopt.Config: block_sizes[{index}] = {value} ({name}, the {role} dim of a tl.dot) is "
                            f"below {DOT_MIN_BLOCK}",
                            notes=[f"tl.dot needs every block dim of its operands to be at least {DOT_MIN_BLOCK}; "
                                   f"use {DOT_MIN_BLOCK} or more for this block"])
        out[role] = int(value)
    return out


def dot_tiles(sizes: tuple, names: tuple, elem_bytes: int, gpu: bool = True, fixed: dict | None = None,
              dots: int = 1, inner: int | None = None, shared_limit: int | None = None, split: bool = False) -> tuple:
    """(block per role of `names` — m, n, k[, batch] —, num_warps, num_stages) for these sizes.

    `sizes` and `names` go by role; a name of None is a dim the launcher does not choose
    (its block is None in the result). `fixed` maps block names and `num_warps` /
    `num_stages` to values that override the choice. `inner`: the block of a whole dim the
    dots of a multi-dot kernel share (attention's head dim), whose operands must fit in
    shared memory (`shared_limit`, default the GPU's) with every pipeline stage. `split`: a split-K launch
    (kopt/passes/split_k.py), whose splits fill the SMs: `split_k_tile`'s tiles (cut to the sizes), whatever their count.
    """
    fixed = fixed or {}
    given = check_fixed_blocks(names, fixed)
    m, n, k = (int(s) if s is not None else 1 for s in sizes[:3])
    batch = int(sizes[3]) if len(sizes) > 3 and sizes[3] is not None else 1
    sms = _num_sms() if gpu else 1  # the interpreter runs programs one by one: fewest programs is fastest
    # A kernel of several dots (attention: q k^T, then p v) holds the first one's [m, n] result as the
    # second one's operand: its n block is also a k-step. 128 x 256 fp32 ran out of shared memory on an
    # H100 there; cap n as the flash-attention tutorial's H100 configs do (64 / 128 for 4 / 2 bytes), and at
    # 64 for a head dim of 64 or less: 2-D fp16 attention ran 229 / 300 TFLOP/s at 128 x 64 (4 warps) against
    # 195 / 268 at 128 x 128 (8 warps), seq 1024 / 4096; at head dim 128, 128 x 128 stayed best (391)
    # (benchmarks/results/h100_2026-11-25c/attention_tiles.txt).
    n_cap = (64 if elem_bytes >= 4 or (inner and inner <= 64) else 128) if dots > 1 else None
    tiles = [(_cap(bm, m), _cap(min(bn, n_cap or bn), n), _cap(kb // elem_bytes, k), w, s) for bm, bn, kb, w, s in _TILES]
    if split:
        sm, sn = split_k_tile(m)
        kb, warps, stages = _SPLIT_STEPS[sn]
        # (on the GPU the m block stays 64 however few the rows: Hopper's warp-group MMA takes 64 rows, and the
        # sweep's 16-row product ran at 64; the interpreter runs programs one by one, where fewer lanes are faster)
        bm, bn, bk = sm if gpu else _cap(sm, m), _cap(sn, n), _cap(kb // elem_bytes, k)
    else:
        bm, bn, bk, warps, stages = next(
            (t for t in tiles if -(-m // t[0]) * -(-n // t[1]) * batch >= WAVE * sms), tiles[-1])
    bm, bn, bk = given.get("m", bm), given.get("n", bn), given.get("k", bk)
    if dots > 1 and inner and gpu:
        limit = shared_limit or _shared_limit()
        # a batch block to choose: the 3-D form, whose every tile holds that many batches (0: the 2-D form)
        batch_block = given.get("batch", 1) if len(names) > 3 and names[3] is not None else 0
        bm, bn, stages = _fit_shared(bm, bn, int(inner), elem_bytes, fixed.get("num_stages") or stages, limit, given,
                                     "num_stages" in fixed, batch_block)
    if bm * bn < 128 * 128:  # tiles cut down by the sizes need fewer warps
        warps = 4
        if dots > 1 and inner and spills(True, bm, bn, int(inner), warps):  # unless their threads would spill:
            warps = 8  # attention at head dim 256, 128 x 64 on 4 warps spilled 1240 bytes (sm_90 build)
    blocks = {"m": bm, "n": bn, "k": bk, "batch": given.get("batch", 1)}
    out = [blocks[role] if name else None for role, name in zip(_ROLES, names)]
    return (*out, fixed.get("num_warps") or warps, fixed.get("num_stages") or stages)


def _fit_shared(bm: int, bn: int, inner: int, elem_bytes: int, stages: int, limit: int, given: dict,
                stages_fixed: bool, batch_block: int) -> tuple[int, int, int]:
    """The longest m block, then the widest n block, then the most stages (not below 2) whose shared memory
    fits (head dim 128 in fp16 asked 288 KB of an H100's 227 at 128 x 128 x 3 stages in the 3-D form). Blocks and stages a
    config fixes stay; where nothing fits by the estimate, the smallest tiles are tried (Triton says at launch
    if they do not fit either)."""
    def halvings(value: int, floor: int, keep: bool) -> list[int]:
        out = [value]
        while not keep and out[-1] // 2 >= floor:
            out.append(out[-1] // 2)
        return out

    stage_options = [stages] if stages_fixed else list(range(stages, 1, -1)) or [stages]
    for m_block in halvings(bm, DOT_MIN_BLOCK, "m" in given):
        for n_block in halvings(bn, DOT_MIN_BLOCK, "n" in given):
            for s in stage_options:
                if multi_dot_shared(m_block, n_block, inner, elem_bytes, s, batch_block) <= limit:
                    return m_block, n_block, s
    return m_block, n_block, stage_options[-1]  # the smallest: the estimate may be above what Triton needs
