"""Hand-written Triton row kernels: the fused peers kopt has to beat.

softmax, layer norm, RMS norm and cross entropy over the last dimension of a 2-D tensor.
Each keeps a whole row block in registers where it fits (one read, one write per element) and
loops over the row in chunks where it does not. Statistics are computed in fp32 whatever the
input dtype. Row offsets are int64: the long-row shapes reach 2^31 elements.

The launch heuristics: min(16, 8192 / BN) rows per program for a row block of BN, 4/8/16 warps by block
size (kopt's persistent row kernels launch the same way); every launcher takes overrides so that they can
be swept on the GPU.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

# Widest row kept in registers by one program; longer rows are processed in chunks.
MAX_BLOCK_N = 32768
# Elements of one program's row block (BM * BN) for short rows.
TILE_ELEMS = 8192
# Chunk width of the looping kernels.
LOOP_BLOCK = 8192
# Software-pipelining depth of the loops. 1 (no shared-memory staging): the loads are plain
# streams, latency is hidden by several programs per SM, and a staged 8192-wide fp32 chunk
# would take 32 KB of shared memory per stage (a 32K-wide norm row block more than an SM has).
LOOP_STAGES = 1


def row_block(n: int) -> tuple[int, int]:
    """(BM, BN) for rows of length ``n``: BN covers the row, BM = min(16, 8192 // BN) rows."""
    bn = triton.next_power_of_2(n)
    return min(16, max(1, TILE_ELEMS // bn)), bn


def warps_for(bn: int) -> int:
    """Warps for a row block BN wide: 4 below 2048 columns, 8 below 4096, else 16."""
    return 4 if bn < 2048 else (8 if bn < 4096 else 16)


def _num_sms(device: torch.device) -> int:
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).multi_processor_count
    return 4  # interpreter: any small grid will do


def _as_rows(x: torch.Tensor) -> torch.Tensor:
    # Kernels take a row stride and assume unit column stride.
    return x if x.stride(-1) == 1 else x.contiguous()


# ----------------------------------------------------------------------------------- softmax
@triton.jit
def _softmax_block_kernel(x_ptr, y_ptr, M, N, stride_x, stride_y, BM: tl.constexpr, BN: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    cols = tl.arange(0, BN)
    col_ok = cols < N
    # Rows past the end re-read the last row: loads stay in bounds with no row mask and no
    # all -inf row (whose max-subtract would give NaN); their stores are masked off.
    src = tl.minimum(rows, M - 1).to(tl.int64)
    x = tl.load(x_ptr + src[:, None] * stride_x + cols[None, :], mask=col_ok[None, :], other=-float("inf"))
    x = x.to(tl.float32)
    e = tl.exp(x - tl.max(x, axis=1)[:, None])
    # One reciprocal per row, then a multiply per element (cheaper than a divide).
    y = e * (1.0 / tl.sum(e, axis=1))[:, None]
    dst = y_ptr + rows.to(tl.int64)[:, None] * stride_y + cols[None, :]
    tl.store(dst, y.to(y_ptr.dtype.element_ty), mask=(rows < M)[:, None] & col_ok[None, :])


@triton.jit
def _online_max_sum(x_row, N, BLOCK: tl.constexpr):
    """Running max and rescaled sum of exp over one row, one rescale per chunk. The first chunk is
    peeled so that the running scalars start from real values (the loop carries fp32 scalars)."""
    cols = tl.arange(0, BLOCK)
    x = tl.load(x_row + cols, mask=cols < N, other=-float("inf")).to(tl.float32)
    m = tl.max(x, axis=0)
    s = tl.sum(tl.exp(x - m), axis=0)
    for start in range(BLOCK, N, BLOCK):
        x = tl.load(x_row + start + cols, mask=start + cols < N, other=-float("inf")).to(tl.float32)
        m_new = tl.maximum(m, tl.max(x, axis=0))
        s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
        m = m_new
    return m, s


@triton.jit
def _softmax_loop_kernel(x_ptr, y_ptr, N, stride_x, stride_y, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * stride_x
    y_row = y_ptr + row * stride_y
    cols = tl.arange(0, BLOCK)
    # Pass 1: online max and sum of exp.
    m, s = _online_max_sum(x_row, N, BLOCK)
    inv = 1.0 / s
    # Pass 2: re-read (mostly from L2 for rows that fit) and write.
    for start in range(0, N, BLOCK):
        ok = start + cols < N
        x = tl.load(x_row + start + cols, mask=ok, other=-float("inf")).to(tl.float32)
        tl.store(y_row + start + cols, (tl.exp(x - m) * inv).to(y_ptr.dtype.element_ty), mask=ok)


def softmax(x: torch.Tensor, *, block_m: int | None = None, num_warps: int | None = None,
            loop_block: int | None = None, num_stages: int = LOOP_STAGES) -> torch.Tensor:
    """Softmax over the last dim of a 2-D tensor: one row block per program, or a two-pass
    chunked loop (one row per program) when the row is wider than ``MAX_BLOCK_N`` or when
    ``loop_block`` is given."""
    x = _as_rows(x)
    m, n = x.shape
    y = torch.empty_like(x)
    bm, bn = row_block(n)
    if loop_block is None and bn <= MAX_BLOCK_N:
        bm = block_m or bm
        _softmax_block_kernel[(triton.cdiv(m, bm),)](
            x, y, m, n, x.stride(0), y.stride(0), BM=bm, BN=bn, num_warps=num_warps or warps_for(bn))
    else:
        block = loop_block or LOOP_BLOCK
        _softmax_loop_kernel[(m,)](x, y, n, x.stride(0), y.stride(0), BLOCK=block,
                                   num_warps=num_warps or warps_for(block), num_stages=num_stages)
    return y


# -------------------------------------------------------------------------------- norms
@triton.jit
def _norm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, M, N, stride_x, stride_y, eps,
                 BM: tl.constexpr, BN: tl.constexpr, RMS: tl.constexpr):
    # Persistent: a grid of about one wave of programs walks the row blocks, so the weight
    # (and bias) are loaded once per program rather than once per block.
    cols = tl.arange(0, BN)
    col_ok = cols < N
    w = tl.load(w_ptr + cols, mask=col_ok, other=0.0).to(tl.float32)
    if not RMS:
        b = tl.load(b_ptr + cols, mask=col_ok, other=0.0).to(tl.float32)
    for blk in range(tl.program_id(0), tl.cdiv(M, BM), tl.num_programs(0)):
        rows = blk * BM + tl.arange(0, BM)
        src = tl.minimum(rows, M - 1).to(tl.int64)  # see _softmax_block_kernel
        x = tl.load(x_ptr + src[:, None] * stride_x + cols[None, :], mask=col_ok[None, :], other=0.0)
        x = x.to(tl.float32)
        if RMS:
            xc = x
        else:
            # Two-pass variance from registers: exact, and the row is already loaded.
            xc = tl.where(col_ok[None, :], x - (tl.sum(x, axis=1) / N)[:, None], 0.0)
        rstd = tl.rsqrt(tl.sum(xc * xc, axis=1) / N + eps)
        y = xc * rstd[:, None] * w[None, :]
        if not RMS:
            y = y + b[None, :]
        dst = y_ptr + rows.to(tl.int64)[:, None] * stride_y + cols[None, :]
        tl.store(dst, y.to(y_ptr.dtype.element_ty), mask=(rows < M)[:, None] & col_ok[None, :])


def _norm(x, w, b, eps, rms, block_m, num_warps, programs_per_sm, num_stages):
    x = _as_rows(x)
    m, n = x.shape
    bm, bn = row_block(n)
    if bn > MAX_BLOCK_N:
        raise NotImplementedError(f"rows of {n} > {MAX_BLOCK_N} elements do not fit one program")
    bm = block_m or bm
    warps = num_warps or warps_for(bn)
    # About one full wave: up to 32 warps per SM (half the H100 maximum, leaving registers).
    per_sm = programs_per_sm or max(1, 32 // warps)
    grid = (max(1, min(triton.cdiv(m, bm), _num_sms(x.device) * per_sm)),)
    y = torch.empty_like(x)
    _norm_kernel[grid](x, w, w if b is None else b, y, m, n, x.stride(0), y.stride(0), eps,
                       BM=bm, BN=bn, RMS=rms, num_warps=warps, num_stages=num_stages)
    return y


def layer_norm(x, w, b, eps=1e-5, *, block_m=None, num_warps=None, programs_per_sm=None,
               num_stages=LOOP_STAGES):
    """LayerNorm over the last dim of a 2-D tensor with weight ``w`` and bias ``b``."""
    return _norm(x, w, b, eps, False, block_m, num_warps, programs_per_sm, num_stages)


def rms_norm(x, w, eps=1e-5, *, block_m=None, num_warps=None, programs_per_sm=None,
             num_stages=LOOP_STAGES):
    """RMSNorm over the last dim of a 2-D tensor: ``x * rsqrt(mean(x^2) + eps) * w``."""
    return _norm(x, w, None, eps, True, block_m, num_warps, programs_per_sm, num_stages)


# -------------------------------------------------------------------------- cross entropy
@triton.jit
def _cross_entropy_kernel(x_ptr, label_ptr, loss_ptr, N, stride_x, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * stride_x
    # Online logsumexp in one pass over the logits.
    m, s = _online_max_sum(x_row, N, BLOCK)
    target = tl.load(x_row + tl.load(label_ptr + row)).to(tl.float32)
    tl.store(loss_ptr + row, m + tl.log(s) - target)


def cross_entropy(x: torch.Tensor, labels: torch.Tensor, *, block: int | None = None,
                  num_warps: int | None = None, num_stages: int = LOOP_STAGES) -> torch.Tensor:
    """Mean cross entropy of logits ``x`` [M, N] and int labels [M]: a per-row loss kernel,
    then a torch mean (the per-row write is M floats against M*N logits read)."""
    x = _as_rows(x)
    m, n = x.shape
    block = block or min(triton.next_power_of_2(n), LOOP_BLOCK)
    loss = torch.empty(m, dtype=torch.float32, device=x.device)
    _cross_entropy_kernel[(m,)](x, labels, loss, n, x.stride(0), BLOCK=block,
                                num_warps=num_warps or warps_for(block), num_stages=num_stages)
    return loss.mean()
