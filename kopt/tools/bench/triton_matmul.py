"""Hand-written Triton matmul peer: the classic tiled kernel with grouped program ids.

Each program computes one BM x BN tile of C, walking K in BK steps with an fp32 accumulator.
Programs are ordered in groups of GROUP_M tile rows so that consecutive programs share
A rows and B columns in L2. On CUDA a small autotune (``triton.autotune``, keyed on M, N, K)
picks among a few configurations that are good on an H100; on the CPU (the Triton
interpreter) a fixed small tile is used, since autotuning needs CUDA timing.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, sam, sak, sbk, sbn, scm, scn,
                   BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP_M: tl.constexpr,
                   EVEN_K: tl.constexpr):
    pid = tl.program_id(0)
    tiles_m = tl.cdiv(M, BM)
    tiles_n = tl.cdiv(N, BN)
    per_group = GROUP_M * tiles_n
    first_m = (pid // per_group) * GROUP_M
    group_rows = tl.minimum(tiles_m - first_m, GROUP_M)
    pid_m = first_m + (pid % per_group) % group_rows
    pid_n = (pid % per_group) // group_rows

    offs_m = pid_m * BM + tl.arange(0, BM)
    offs_n = pid_n * BN + tl.arange(0, BN)
    offs_k = tl.arange(0, BK)
    # Out-of-range rows/columns wrap around instead of being masked: the loads stay in bounds
    # and unmasked along M and N; the wrapped results are dropped by the masked store.
    a_ptrs = a_ptr + (offs_m % M)[:, None] * sam + offs_k[None, :] * sak
    b_ptrs = b_ptr + offs_k[:, None] * sbk + (offs_n % N)[None, :] * sbn
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BK)):
        if EVEN_K:
            a = tl.load(a_ptrs)
            b = tl.load(b_ptrs)
        else:
            k_left = K - k * BK
            a = tl.load(a_ptrs, mask=offs_k[None, :] < k_left, other=0.0)
            b = tl.load(b_ptrs, mask=offs_k[:, None] < k_left, other=0.0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BK * sak
        b_ptrs += BK * sbk
    c_ptrs = c_ptr + offs_m[:, None] * scm + offs_n[None, :] * scn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(offs_m < M)[:, None] & (offs_n < N)[None, :])


# K divisible by BK: drop the K masks (decided per launch, after the config is chosen).
_matmul = triton.heuristics({"EVEN_K": lambda args: args["K"] % args["BK"] == 0})(_matmul_kernel)


def _cfg(bm, bn, bk, warps, stages):
    return triton.Config({"BM": bm, "BN": bn, "BK": bk, "GROUP_M": 8}, num_warps=warps, num_stages=stages)


# H100 fp16/bf16: large 128x256 / 256x128 tiles with 8 warps (warpgroup MMA) for big problems,
# smaller tiles for small or skinny ones. Shared memory stays below the 227 KB per block.
H100_CONFIGS = [
    _cfg(128, 256, 64, 8, 3),
    _cfg(256, 128, 64, 8, 3),
    _cfg(128, 128, 64, 8, 4),
    _cfg(128, 128, 64, 4, 4),
    _cfg(128, 64, 64, 4, 4),
    _cfg(64, 128, 64, 4, 4),
    _cfg(64, 64, 64, 4, 5),
]

_matmul_tuned = triton.autotune(configs=H100_CONFIGS, key=["M", "N", "K"])(_matmul)

# Interpreter tile: small, so that the CPU smoke tests stay fast.
CPU_TILE = {"BM": 32, "BN": 32, "BK": 32, "GROUP_M": 4}


def matmul(a: torch.Tensor, b: torch.Tensor, *, config: dict | None = None) -> torch.Tensor:
    """``a @ b`` for 2-D tensors. Autotuned on CUDA unless ``config`` (BM, BN, BK, GROUP_M and
    optionally num_warps / num_stages) fixes the launch."""
    m, k = a.shape
    k2, n = b.shape
    if k != k2:
        raise ValueError(f"inner dimensions differ: {tuple(a.shape)} @ {tuple(b.shape)}")
    c = torch.empty((m, n), dtype=a.dtype, device=a.device)
    args = (a, b, c, m, n, k, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1))
    if config is None and a.is_cuda:
        grid = lambda meta: (triton.cdiv(m, meta["BM"]) * triton.cdiv(n, meta["BN"]),)  # noqa: E731
        _matmul_tuned[grid](*args)
        return c
    cfg = dict(config or CPU_TILE)
    grid = (triton.cdiv(m, cfg["BM"]) * triton.cdiv(n, cfg["BN"]),)
    _matmul[grid](*args, **cfg)
    return c
