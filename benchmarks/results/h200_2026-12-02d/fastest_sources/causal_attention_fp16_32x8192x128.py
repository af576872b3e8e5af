# kopt 0.1.0: examples/causal_attention.py, fp16 32x8192x128 (matmul: M x N x K; attention: batch*heads x seq x head dim), kopt's fastest shape of the run's table (419 TFLOP/s, H200).
# Tuned config: Config(indexing='tensor_descriptor') (block sizes, warps and stages are passed at launch; fields that change the code are compiled into this source).
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
def _causal_attention_kernel(q, k, v, out, qk_scale, q_stride_0, q_stride_1, q_stride_2, k_stride_0, k_stride_1, k_stride_2, v_stride_0, v_stride_1, v_stride_2, out_stride_0, out_stride_1, out_stride_2, bh, m, d, _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr, _BLOCK_SIZE_3: tl.constexpr, _RDIM_SIZE_4: tl.constexpr):
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
    indices_4 = tl.arange(0, _RDIM_SIZE_4)
    mask_4 = indices_4 < d
    v_2 = pid_1.to(tl.int64)
    offset_1 = v_2 * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    mask_1 = indices_1 < m
    m_i = tl.full([_BLOCK_SIZE_1], float('-inf'), tl.float32)
    l_i = tl.full([_BLOCK_SIZE_1], 0.0, tl.float32)
    acc = tl.full([_BLOCK_SIZE_1, _RDIM_SIZE_4], 0.0, tl.float32)
    q_blk = tl.load(q + (((tile_b * q_stride_0) + (indices_1[:, None] * q_stride_1)) + (indices_4[None, :] * q_stride_2)), mask_1[:, None] & mask_4[None, :], other=0.0)
    _dyn_extent_0 = offset_1
    for offset_2 in tl.range(0, _BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2), _BLOCK_SIZE_2):
        indices_2 = offset_2 + tl.arange(0, _BLOCK_SIZE_2)
        load = tl.load(k + (((tile_b * k_stride_0) + (indices_2[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_4[None, :], other=0.0)
        trans = tl.trans(load)
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
        v_6 = acc * alpha[:, None]
        v_7 = p.to(tl.float16)
        load_1 = tl.load(v + (((tile_b * v_stride_0) + (indices_2[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_4[None, :], other=0.0)
        acc = tl.dot(v_7, load_1, v_6)
        m_i = m_ij
    for offset_2_1 in tl.range(_BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2), _dyn_extent_0, _BLOCK_SIZE_2):
        indices_2_1 = offset_2_1 + tl.arange(0, _BLOCK_SIZE_2)
        mask_2 = indices_2_1 < _dyn_extent_0
        load_2 = tl.load(k + (((tile_b * k_stride_0) + (indices_2_1[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_2[:, None] & mask_4[None, :], other=0.0)
        trans_1 = tl.trans(load_2)
        dot_1 = tl.dot(q_blk, trans_1)
        qk_1 = dot_1 * qk_scale
        masked = tl.where(mask_2[None, :], qk_1, float('-inf'))
        max_2 = tl.reduce(masked, 1, _kopt_max_nan)
        m_ij_1 = tl.maximum(m_i, max_2, propagate_nan=tl.PropagateNan.ALL)
        v_8 = qk_1 - m_ij_1[:, None]
        p_1 = tl.exp2(v_8)
        v_9 = m_i - m_ij_1
        alpha_1 = tl.exp2(v_9)
        v_10 = l_i * alpha_1
        masked_1 = tl.where(mask_2[None, :], p_1, 0.0)
        sum_2 = tl.sum(masked_1, 1)
        l_i = v_10 + sum_2
        v_11 = acc * alpha_1[:, None]
        v_12 = p_1.to(tl.float16)
        load_3 = tl.load(v + (((tile_b * v_stride_0) + (indices_2_1[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_2[:, None] & mask_4[None, :], other=0.0)
        masked_2 = tl.where(mask_2[None, :], v_12, 0.0)
        acc = tl.dot(masked_2, load_3, v_11)
        m_i = m_ij_1
    v_13 = offset_1 + _BLOCK_SIZE_1
    v_14 = tl.minimum(v_13, m, propagate_nan=tl.PropagateNan.ALL)
    _dyn_begin_1 = offset_1
    v_15 = v_14 - offset_1
    _dyn_extent_1 = v_15
    for offset_3 in tl.range(_dyn_begin_1, _BLOCK_SIZE_3*(_dyn_extent_1 // _BLOCK_SIZE_3) + _dyn_begin_1, _BLOCK_SIZE_3):
        indices_3 = offset_3 + tl.arange(0, _BLOCK_SIZE_3)
        load_4 = tl.load(k + (((tile_b * k_stride_0) + (indices_3[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_4[None, :], other=0.0)
        trans_2 = tl.trans(load_4)
        dot_2 = tl.dot(q_blk, trans_2)
        qk_2 = dot_2 * qk_scale
        v_16 = indices_1[:, None] >= indices_3[None, :]
        qk_3 = tl.where(v_16, qk_2, float('-inf'))
        max_3 = tl.reduce(qk_3, 1, _kopt_max_nan)
        m_ij_2 = tl.maximum(m_i, max_3, propagate_nan=tl.PropagateNan.ALL)
        v_17 = qk_3 - m_ij_2[:, None]
        p_2 = tl.exp2(v_17)
        v_18 = m_i - m_ij_2
        alpha_2 = tl.exp2(v_18)
        v_19 = l_i * alpha_2
        sum_3 = tl.sum(p_2, 1)
        l_i = v_19 + sum_3
        v_20 = acc * alpha_2[:, None]
        v_21 = p_2.to(tl.float16)
        load_5 = tl.load(v + (((tile_b * v_stride_0) + (indices_3[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_4[None, :], other=0.0)
        acc = tl.dot(v_21, load_5, v_20)
        m_i = m_ij_2
    for offset_3_1 in tl.range(_BLOCK_SIZE_3*(_dyn_extent_1 // _BLOCK_SIZE_3) + _dyn_begin_1, _dyn_begin_1 + _dyn_extent_1, _BLOCK_SIZE_3):
        indices_3_1 = offset_3_1 + tl.arange(0, _BLOCK_SIZE_3)
        mask_3 = indices_3_1 < (_dyn_begin_1 + _dyn_extent_1)
        load_6 = tl.load(k + (((tile_b * k_stride_0) + (indices_3_1[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_3[:, None] & mask_4[None, :], other=0.0)
        trans_3 = tl.trans(load_6)
        dot_3 = tl.dot(q_blk, trans_3)
        qk_4 = dot_3 * qk_scale
        v_22 = indices_1[:, None] >= indices_3_1[None, :]
        qk_5 = tl.where(v_22, qk_4, float('-inf'))
        masked_3 = tl.where(mask_3[None, :], qk_5, float('-inf'))
        max_4 = tl.reduce(masked_3, 1, _kopt_max_nan)
        m_ij_3 = tl.maximum(m_i, max_4, propagate_nan=tl.PropagateNan.ALL)
        v_23 = qk_5 - m_ij_3[:, None]
        p_3 = tl.exp2(v_23)
        v_24 = m_i - m_ij_3
        alpha_3 = tl.exp2(v_24)
        v_25 = l_i * alpha_3
        masked_4 = tl.where(mask_3[None, :], p_3, 0.0)
        sum_4 = tl.sum(masked_4, 1)
        l_i = v_25 + sum_4
        v_26 = acc * alpha_3[:, None]
        v_27 = p_3.to(tl.float16)
        load_7 = tl.load(v + (((tile_b * v_stride_0) + (indices_3_1[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_3[:, None] & mask_4[None, :], other=0.0)
        masked_5 = tl.where(mask_3[None, :], v_27, 0.0)
        acc = tl.dot(masked_5, load_7, v_26)
        m_i = m_ij_3
    v_28 = tl.full([], 1.0, tl.float32) / l_i[:, None]
    v_29 = acc * v_28
    v_30 = v_29.to(tl.float16)
    tl.store(out + (((tile_b * out_stride_0) + (indices_1[:, None] * out_stride_1)) + (indices_4[None, :] * out_stride_2)), v_30, mask_1[:, None] & mask_4[None, :])


@triton.jit
def _causal_attention_kernel_tma(q, k, v, out, qk_scale, q_stride_0, q_stride_1, k_stride_0, k_stride_1, k_stride_2, v_stride_0, v_stride_1, v_stride_2, out_stride_0, out_stride_1, bh, m, d, _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr, _BLOCK_SIZE_3: tl.constexpr, _RDIM_SIZE_4: tl.constexpr):
    out_desc = tl.make_tensor_descriptor(out, shape=[bh, m, d], strides=[out_stride_0, out_stride_1, 1], block_shape=[1, _BLOCK_SIZE_1, _RDIM_SIZE_4])
    q_desc = tl.make_tensor_descriptor(q, shape=[bh, m, d], strides=[q_stride_0, q_stride_1, 1], block_shape=[1, _BLOCK_SIZE_1, _RDIM_SIZE_4])
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
    indices_4 = tl.arange(0, _RDIM_SIZE_4)
    mask_4 = indices_4 < d
    v_2 = pid_1.to(tl.int64)
    offset_1 = v_2 * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    m_i = tl.full([_BLOCK_SIZE_1], float('-inf'), tl.float32)
    l_i = tl.full([_BLOCK_SIZE_1], 0.0, tl.float32)
    acc = tl.full([_BLOCK_SIZE_1, _RDIM_SIZE_4], 0.0, tl.float32)
    v_3 = tile_b.to(tl.int32)
    v_4 = offset_1.to(tl.int32)
    q_blk = q_desc.load([v_3, v_4, 0])
    q_blk_1 = tl.reshape(q_blk, [_BLOCK_SIZE_1, _RDIM_SIZE_4])
    _dyn_extent_0 = offset_1
    for offset_2 in tl.range(0, _BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2), _BLOCK_SIZE_2):
        indices_2 = offset_2 + tl.arange(0, _BLOCK_SIZE_2)
        load = tl.load(k + (((tile_b * k_stride_0) + (indices_2[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_4[None, :], other=0.0)
        trans = tl.trans(load)
        dot = tl.dot(q_blk_1, trans)
        qk = dot * qk_scale
        max_1 = tl.reduce(qk, 1, _kopt_max_nan)
        m_ij = tl.maximum(m_i, max_1, propagate_nan=tl.PropagateNan.ALL)
        v_5 = qk - m_ij[:, None]
        p = tl.exp2(v_5)
        v_6 = m_i - m_ij
        alpha = tl.exp2(v_6)
        v_7 = l_i * alpha
        sum_1 = tl.sum(p, 1)
        l_i = v_7 + sum_1
        v_8 = acc * alpha[:, None]
        v_9 = p.to(tl.float16)
        load_1 = tl.load(v + (((tile_b * v_stride_0) + (indices_2[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_4[None, :], other=0.0)
        acc = tl.dot(v_9, load_1, v_8)
        m_i = m_ij
    for offset_2_1 in tl.range(_BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2), _dyn_extent_0, _BLOCK_SIZE_2):
        indices_2_1 = offset_2_1 + tl.arange(0, _BLOCK_SIZE_2)
        mask_2 = indices_2_1 < _dyn_extent_0
        load_2 = tl.load(k + (((tile_b * k_stride_0) + (indices_2_1[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_2[:, None] & mask_4[None, :], other=0.0)
        trans_1 = tl.trans(load_2)
        dot_1 = tl.dot(q_blk_1, trans_1)
        qk_1 = dot_1 * qk_scale
        masked = tl.where(mask_2[None, :], qk_1, float('-inf'))
        max_2 = tl.reduce(masked, 1, _kopt_max_nan)
        m_ij_1 = tl.maximum(m_i, max_2, propagate_nan=tl.PropagateNan.ALL)
        v_10 = qk_1 - m_ij_1[:, None]
        p_1 = tl.exp2(v_10)
        v_11 = m_i - m_ij_1
        alpha_1 = tl.exp2(v_11)
        v_12 = l_i * alpha_1
        masked_1 = tl.where(mask_2[None, :], p_1, 0.0)
        sum_2 = tl.sum(masked_1, 1)
        l_i = v_12 + sum_2
        v_13 = acc * alpha_1[:, None]
        v_14 = p_1.to(tl.float16)
        load_3 = tl.load(v + (((tile_b * v_stride_0) + (indices_2_1[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_2[:, None] & mask_4[None, :], other=0.0)
        masked_2 = tl.where(mask_2[None, :], v_14, 0.0)
        acc = tl.dot(masked_2, load_3, v_13)
        m_i = m_ij_1
    v_15 = offset_1 + _BLOCK_SIZE_1
    v_16 = tl.minimum(v_15, m, propagate_nan=tl.PropagateNan.ALL)
    _dyn_begin_1 = offset_1
    v_17 = v_16 - offset_1
    _dyn_extent_1 = v_17
    for offset_3 in tl.range(_dyn_begin_1, _BLOCK_SIZE_3*(_dyn_extent_1 // _BLOCK_SIZE_3) + _dyn_begin_1, _BLOCK_SIZE_3):
        indices_3 = offset_3 + tl.arange(0, _BLOCK_SIZE_3)
        load_4 = tl.load(k + (((tile_b * k_stride_0) + (indices_3[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_4[None, :], other=0.0)
        trans_2 = tl.trans(load_4)
        dot_2 = tl.dot(q_blk_1, trans_2)
        qk_2 = dot_2 * qk_scale
        v_18 = indices_1[:, None] >= indices_3[None, :]
        qk_3 = tl.where(v_18, qk_2, float('-inf'))
        max_3 = tl.reduce(qk_3, 1, _kopt_max_nan)
        m_ij_2 = tl.maximum(m_i, max_3, propagate_nan=tl.PropagateNan.ALL)
        v_19 = qk_3 - m_ij_2[:, None]
        p_2 = tl.exp2(v_19)
        v_20 = m_i - m_ij_2
        alpha_2 = tl.exp2(v_20)
        v_21 = l_i * alpha_2
        sum_3 = tl.sum(p_2, 1)
        l_i = v_21 + sum_3
        v_22 = acc * alpha_2[:, None]
        v_23 = p_2.to(tl.float16)
        load_5 = tl.load(v + (((tile_b * v_stride_0) + (indices_3[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_4[None, :], other=0.0)
        acc = tl.dot(v_23, load_5, v_22)
        m_i = m_ij_2
    for offset_3_1 in tl.range(_BLOCK_SIZE_3*(_dyn_extent_1 // _BLOCK_SIZE_3) + _dyn_begin_1, _dyn_begin_1 + _dyn_extent_1, _BLOCK_SIZE_3):
        indices_3_1 = offset_3_1 + tl.arange(0, _BLOCK_SIZE_3)
        mask_3 = indices_3_1 < (_dyn_begin_1 + _dyn_extent_1)
        load_6 = tl.load(k + (((tile_b * k_stride_0) + (indices_3_1[:, None] * k_stride_1)) + (indices_4[None, :] * k_stride_2)), mask_3[:, None] & mask_4[None, :], other=0.0)
        trans_3 = tl.trans(load_6)
        dot_3 = tl.dot(q_blk_1, trans_3)
        qk_4 = dot_3 * qk_scale
        v_24 = indices_1[:, None] >= indices_3_1[None, :]
        qk_5 = tl.where(v_24, qk_4, float('-inf'))
        masked_3 = tl.where(mask_3[None, :], qk_5, float('-inf'))
        max_4 = tl.reduce(masked_3, 1, _kopt_max_nan)
        m_ij_3 = tl.maximum(m_i, max_4, propagate_nan=tl.PropagateNan.ALL)
        v_25 = qk_5 - m_ij_3[:, None]
        p_3 = tl.exp2(v_25)
        v_26 = m_i - m_ij_3
        alpha_3 = tl.exp2(v_26)
        v_27 = l_i * alpha_3
        masked_4 = tl.where(mask_3[None, :], p_3, 0.0)
        sum_4 = tl.sum(masked_4, 1)
        l_i = v_27 + sum_4
        v_28 = acc * alpha_3[:, None]
        v_29 = p_3.to(tl.float16)
        load_7 = tl.load(v + (((tile_b * v_stride_0) + (indices_3_1[:, None] * v_stride_1)) + (indices_4[None, :] * v_stride_2)), mask_3[:, None] & mask_4[None, :], other=0.0)
        masked_5 = tl.where(mask_3[None, :], v_29, 0.0)
        acc = tl.dot(masked_5, load_7, v_28)
        m_i = m_ij_3
    v_30 = tl.full([], 1.0, tl.float32) / l_i[:, None]
    v_31 = acc * v_30
    v_32 = v_31.to(tl.float16)
    v_33 = tile_b.to(tl.int32)
    v_34 = offset_1.to(tl.int32)
    view = tl.reshape(v_32, [1, _BLOCK_SIZE_1, _RDIM_SIZE_4])
    out_desc.store([v_33, v_34, 0], view)


def causal_attention(q, k, v, _config=None):
    _config = _config or {}  # launch-time overrides (autotuner): block sizes, num_warps, num_stages
    bh, m, d = q.size()
    _, n, d_k = k.size()
    assert d_k == d and v.size(1) == n and (v.size(2) == d)
    out = torch.empty_like(q)
    qk_scale = 1.44269504 / math.sqrt(d)
    _v_size_1 = v.size(1)
    _v_size_2 = v.size(2)
    _k_size_0 = k.size(0)
    _v_size_0 = v.size(0)
    _q_stride_0 = q.stride(0)
    _q_stride_1 = q.stride(1)
    _k_stride_0 = k.stride(0)
    _k_stride_1 = k.stride(1)
    _k_stride_2 = k.stride(2)
    _v_stride_0 = v.stride(0)
    _v_stride_1 = v.stride(1)
    _v_stride_2 = v.stride(2)
    _out_stride_0 = out.stride(0)
    _out_stride_1 = out.stride(1)
    if descriptors_fit(q, out) and next_power_of_2(d) * 2 >= 16:
        if m > 0:
            _RDIM_SIZE_4 = next_power_of_2(max(d, 1))
            _BLOCK_SIZE_1, _BLOCK_SIZE_2, _, _, _num_warps, _num_stages = dot_tiles((m, m, None, bh), ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, None), elem_bytes=2, gpu=q.is_cuda, dots=4, inner=_RDIM_SIZE_4, fixed=_config)
            _BLOCK_SIZE_3 = _BLOCK_SIZE_2
            if not (d_k == d):
                raise KoptError('the shape fact `d_k == d` the kernel was compiled with does not hold for this call')
            if not (_v_size_1 == n):
                raise KoptError('the shape fact `v_size_1 == n` the kernel was compiled with does not hold for this call')
            if not (_v_size_2 == d):
                raise KoptError('the shape fact `v_size_2 == d` the kernel was compiled with does not hold for this call')
            if not (bh <= _k_size_0):
                raise KoptError(f'the tile loop over `bh` ({bh}) subscripts dim 0 of `k`, of size {k.size(0)}: it would run past its end', SourceLoc('/work/main/examples/causal_attention.py', 38, 32), notes=['masks stop at `bh`, not at the size of `k`; make the sizes agree (torch would raise a size mismatch), or loop over the size of `k`'])
            if not (bh <= _v_size_0):
                raise KoptError(f'the tile loop over `bh` ({bh}) subscripts dim 0 of `v`, of size {v.size(0)}: it would run past its end', SourceLoc('/work/main/examples/causal_attention.py', 43, 73), notes=['masks stop at `bh`, not at the size of `v`; make the sizes agree (torch would raise a size mismatch), or loop over the size of `v`'])
            if not (_BLOCK_SIZE_2 > 0):
                raise KoptError('max over a dim of size 0 (`_BLOCK_SIZE_2`): there is no value to give', SourceLoc('/work/main/examples/causal_attention.py', 39, 39), notes=['torch raises on it too'])
            if not (_BLOCK_SIZE_3 > 0):
                raise KoptError('max over a dim of size 0 (`_BLOCK_SIZE_3`): there is no value to give', SourceLoc('/work/main/examples/causal_attention.py', 49, 39), notes=['torch raises on it too'])
            descriptor_scratch(q)
            _causal_attention_kernel_tma[(bh * cdiv(m, _BLOCK_SIZE_1),)](q, k, v, out, qk_scale, _q_stride_0, _q_stride_1, _k_stride_0, _k_stride_1, _k_stride_2, _v_stride_0, _v_stride_1, _v_stride_2, _out_stride_0, _out_stride_1, bh, m, d, _BLOCK_SIZE_1, _BLOCK_SIZE_2, _BLOCK_SIZE_3, _RDIM_SIZE_4, num_warps=_num_warps, num_stages=_num_stages)
    else:
        if m > 0:
            _RDIM_SIZE_4 = next_power_of_2(max(d, 1))
            _BLOCK_SIZE_1, _BLOCK_SIZE_2, _, _, _num_warps, _num_stages = dot_tiles((m, m, None, bh), ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, None), elem_bytes=2, gpu=q.is_cuda, dots=4, inner=_RDIM_SIZE_4, fixed=_config)
            _BLOCK_SIZE_3 = _BLOCK_SIZE_2
            if not (d_k == d):
                raise KoptError('the shape fact `d_k == d` the kernel was compiled with does not hold for this call')
            if not (_v_size_1 == n):
                raise KoptError('the shape fact `v_size_1 == n` the kernel was compiled with does not hold for this call')
            if not (_v_size_2 == d):
                raise KoptError('the shape fact `v_size_2 == d` the kernel was compiled with does not hold for this call')
            if not (bh <= _k_size_0):
                raise KoptError(f'the tile loop over `bh` ({bh}) subscripts dim 0 of `k`, of size {k.size(0)}: it would run past its end', SourceLoc('/work/main/examples/causal_attention.py', 38, 32), notes=['masks stop at `bh`, not at the size of `k`; make the sizes agree (torch would raise a size mismatch), or loop over the size of `k`'])
            if not (bh <= _v_size_0):
                raise KoptError(f'the tile loop over `bh` ({bh}) subscripts dim 0 of `v`, of size {v.size(0)}: it would run past its end', SourceLoc('/work/main/examples/causal_attention.py', 43, 73), notes=['masks stop at `bh`, not at the size of `v`; make the sizes agree (torch would raise a size mismatch), or loop over the size of `v`'])
            if not (_BLOCK_SIZE_2 > 0):
                raise KoptError('max over a dim of size 0 (`_BLOCK_SIZE_2`): there is no value to give', SourceLoc('/work/main/examples/causal_attention.py', 39, 39), notes=['torch raises on it too'])
            if not (_BLOCK_SIZE_3 > 0):
                raise KoptError('max over a dim of size 0 (`_BLOCK_SIZE_3`): there is no value to give', SourceLoc('/work/main/examples/causal_attention.py', 49, 39), notes=['torch raises on it too'])
            _causal_attention_kernel[(bh * cdiv(m, _BLOCK_SIZE_1),)](q, k, v, out, qk_scale, _q_stride_0, _q_stride_1, q.stride(2), _k_stride_0, _k_stride_1, _k_stride_2, _v_stride_0, _v_stride_1, _v_stride_2, _out_stride_0, _out_stride_1, out.stride(2), bh, m, d, _BLOCK_SIZE_1, _BLOCK_SIZE_2, _BLOCK_SIZE_3, _RDIM_SIZE_4, num_warps=_num_warps, num_stages=_num_stages)
    return out
