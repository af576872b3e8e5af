# kopt 0.1.0: examples/attention.py, bf16 32x8192x128 (matmul: M x N x K; attention: batch*heads x seq x head dim), kopt's fastest shape of the run's table (471 TFLOP/s, H200).
# Tuned config: Config(block_sizes=[1, 128, 64], num_warps=8, num_stages=3) (block sizes, warps and stages are passed at launch; fields that change the code are compiled into this source).
from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

import kopt.language as hl
from kopt.errors import KoptError, SourceLoc
from kopt.launch.captured import captured
from kopt.launch.hostmath import cdiv, next_power_of_2, persistent_programs, device_programs, split_k_factor, split_k_wanted, descriptors_fit, descriptor_scratch
from kopt.launch.dot_tiles import dot_tiles


@triton.jit
def _kopt_max_nan(a, b):
    return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def _attention_kernel(q, k, v, out, qk_scale, q_stride_0, q_stride_1, q_stride_2, k_stride_0, k_stride_1, k_stride_2, v_stride_0, v_stride_1, v_stride_2, out_stride_0, out_stride_1, out_stride_2, bh, m, d, n, _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr, _RDIM_SIZE_3: tl.constexpr):
    pid = tl.program_id(0)
    group_id = pid // (8*tl.cdiv(m, _BLOCK_SIZE_1))
    first_row = group_id * 8
    v_0 = bh - first_row
    group_rows = tl.minimum(v_0, 8, propagate_nan=tl.PropagateNan.ALL)
    in_group = pid % (8*tl.cdiv(m, _BLOCK_SIZE_1))
    v_1 = in_group % group_rows
    pid_0 = first_row + v_1
    pid_1 = in_group // group_rows
    tile_b = pid_0.to(tl.int64)
    indices_3 = tl.arange(0, _RDIM_SIZE_3)
    mask_3 = indices_3 < d
    v_2 = pid_1.to(tl.int64)
    offset_1 = v_2 * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    mask_1 = indices_1 < m
    m_i = tl.full([_BLOCK_SIZE_1], float('-inf'), tl.float32)
    l_i = tl.full([_BLOCK_SIZE_1], 0.0, tl.float32)
    acc = tl.full([_BLOCK_SIZE_1, _RDIM_SIZE_3], 0.0, tl.float32)
    q_blk = tl.load(q + (((tile_b * q_stride_0) + (indices_1[:, None] * q_stride_1)) + (indices_3[None, :] * q_stride_2)), mask_1[:, None] & mask_3[None, :], other=0.0)
    for offset_2 in tl.range(0, _BLOCK_SIZE_2*(n // _BLOCK_SIZE_2), _BLOCK_SIZE_2):
        indices_2 = offset_2 + tl.arange(0, _BLOCK_SIZE_2)
        k_blk = tl.load(k + (((tile_b * k_stride_0) + (indices_2[:, None] * k_stride_1)) + (indices_3[None, :] * k_stride_2)), mask_3[None, :], other=0.0)
        trans = tl.trans(k_blk)
        dot = tl.dot(q_blk, trans)
        qk = dot * qk_scale
        max_1 = tl.reduce(qk, 1, _kopt_max_nan)
        m_ij = tl.maximum(m_i, max_1, propagate_nan=tl.PropagateNan.ALL)
        v_3 = qk - m_ij[:, None]
        p = tl.exp2(v_3)
        v_4 = m_i - m_ij
        alpha = tl.exp2(v_4)
        v_5 = l_i * alpha
        sum_1 = tl.sum(p, 1)
        l_i = v_5 + sum_1
        acc_1 = acc * alpha[:, None]
        v_6 = p.to(tl.bfloat16)
        load = tl.load(v + (((tile_b * v_stride_0) + (indices_2[:, None] * v_stride_1)) + (indices_3[None, :] * v_stride_2)), mask_3[None, :], other=0.0)
        acc = tl.dot(v_6, load, acc_1)
        m_i = m_ij
    for offset_2_1 in tl.range(_BLOCK_SIZE_2*(n // _BLOCK_SIZE_2), n, _BLOCK_SIZE_2):
        indices_2_1 = offset_2_1 + tl.arange(0, _BLOCK_SIZE_2)
        mask_2 = indices_2_1 < n
        k_blk_1 = tl.load(k + (((tile_b * k_stride_0) + (indices_2_1[:, None] * k_stride_1)) + (indices_3[None, :] * k_stride_2)), mask_2[:, None] & mask_3[None, :], other=0.0)
        trans_1 = tl.trans(k_blk_1)
        dot_1 = tl.dot(q_blk, trans_1)
        qk_1 = dot_1 * qk_scale
        masked = tl.where(mask_2[None, :], qk_1, float('-inf'))
        max_2 = tl.reduce(masked, 1, _kopt_max_nan)
        m_ij_1 = tl.maximum(m_i, max_2, propagate_nan=tl.PropagateNan.ALL)
        v_7 = qk_1 - m_ij_1[:, None]
        p_1 = tl.exp2(v_7)
        v_8 = m_i - m_ij_1
        alpha_1 = tl.exp2(v_8)
        v_9 = l_i * alpha_1
        masked_1 = tl.where(mask_2[None, :], p_1, 0.0)
        sum_2 = tl.sum(masked_1, 1)
        l_i = v_9 + sum_2
        acc_3 = acc * alpha_1[:, None]
        v_10 = p_1.to(tl.bfloat16)
        load_1 = tl.load(v + (((tile_b * v_stride_0) + (indices_2_1[:, None] * v_stride_1)) + (indices_3[None, :] * v_stride_2)), mask_2[:, None] & mask_3[None, :], other=0.0)
        masked_2 = tl.where(mask_2[None, :], v_10, 0.0)
        acc = tl.dot(masked_2, load_1, acc_3)
        m_i = m_ij_1
    v_11 = tl.full([], 1.0, tl.float32) / l_i[:, None]
    v_12 = acc * v_11
    v_13 = v_12.to(tl.bfloat16)
    tl.store(out + (((tile_b * out_stride_0) + (indices_1[:, None] * out_stride_1)) + (indices_3[None, :] * out_stride_2)), v_13, mask_1[:, None] & mask_3[None, :])


def attention(q, k, v, _config=None):
    _config = _config or {}  # launch-time overrides (autotuner): block sizes, num_warps, num_stages
    bh, m, d = q.size()
    _, n, d_k = k.size()
    assert d_k == d and v.size(1) == n and (v.size(2) == d)
    out = torch.empty_like(q)
    qk_scale = 1.44269504 / math.sqrt(d)
    if m > 0:
        _RDIM_SIZE_3 = next_power_of_2(max(d, 1))
        _BLOCK_SIZE_1, _BLOCK_SIZE_2, _, _, _num_warps, _num_stages = dot_tiles((m, n, None, bh), ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, None), elem_bytes=2, gpu=q.is_cuda, dots=2, inner=_RDIM_SIZE_3, fixed=_config)
        if not (d_k == d):
            raise KoptError('the shape fact `d_k == d` the kernel was compiled with does not hold for this call')
        if not (v.size(1) == n):
            raise KoptError('the shape fact `v_size_1 == n` the kernel was compiled with does not hold for this call')
        if not (v.size(2) == d):
            raise KoptError('the shape fact `v_size_2 == d` the kernel was compiled with does not hold for this call')
        if not (bh <= k.size(0)):
            raise KoptError(f'the tile loop over `bh` ({bh}) subscripts dim 0 of `k`, of size {k.size(0)}: it would run past its end', SourceLoc('/work/main/examples/attention.py', 32, 21), notes=['masks stop at `bh`, not at the size of `k`; make the sizes agree (torch would raise a size mismatch), or loop over the size of `k`'])
        if not (bh <= v.size(0)):
            raise KoptError(f'the tile loop over `bh` ({bh}) subscripts dim 0 of `v`, of size {v.size(0)}: it would run past its end', SourceLoc('/work/main/examples/attention.py', 39, 53), notes=['masks stop at `bh`, not at the size of `v`; make the sizes agree (torch would raise a size mismatch), or loop over the size of `v`'])
        if not (_BLOCK_SIZE_2 > 0):
            raise KoptError('max over a dim of size 0 (`_BLOCK_SIZE_2`): there is no value to give', SourceLoc('/work/main/examples/attention.py', 34, 39), notes=['torch raises on it too'])
        _attention_kernel[(bh * cdiv(m, _BLOCK_SIZE_1),)](q, k, v, out, qk_scale, q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1), k.stride(2), v.stride(0), v.stride(1), v.stride(2), out.stride(0), out.stride(1), out.stride(2), bh, m, d, n, _BLOCK_SIZE_1, _BLOCK_SIZE_2, _RDIM_SIZE_3, num_warps=_num_warps, num_stages=_num_stages)
    return out
