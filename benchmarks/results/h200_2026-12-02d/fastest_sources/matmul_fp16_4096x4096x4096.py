# kopt 0.1.0: examples/matmul.py, fp16 4096x4096x4096 (matmul: M x N x K; attention: batch*heads x seq x head dim), kopt's fastest shape of the run's table (723 TFLOP/s, H200).
# Tuned config: Config() (block sizes, warps and stages are passed at launch; fields that change the code are compiled into this source).
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
def _matmul_kernel(x, y, out, x_stride_0, x_stride_1, y_stride_0, y_stride_1, out_stride_0, out_stride_1, m, k, n, _BLOCK_SIZE_0: tl.constexpr, _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr):
    pid = tl.program_id(0)
    group_id = pid // (8*tl.cdiv(n, _BLOCK_SIZE_1))
    first_row = group_id * 8
    v_0 = tl.cdiv(m, _BLOCK_SIZE_0) - first_row
    group_rows = tl.minimum(v_0, 8, propagate_nan=tl.PropagateNan.ALL)
    in_group = pid % (8*tl.cdiv(n, _BLOCK_SIZE_1))
    v_1 = in_group % group_rows
    pid_0 = first_row + v_1
    pid_1 = in_group // group_rows
    v_2 = pid_0.to(tl.int64)
    offset_0 = v_2 * _BLOCK_SIZE_0
    indices_0 = offset_0 + tl.arange(0, _BLOCK_SIZE_0)
    mask_0 = indices_0 < m
    v_3 = pid_1.to(tl.int64)
    offset_1 = v_3 * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    mask_1 = indices_1 < n
    acc = tl.full([_BLOCK_SIZE_0, _BLOCK_SIZE_1], 0.0, tl.float32)
    for offset_2 in tl.range(0, _BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), _BLOCK_SIZE_2):
        indices_2 = offset_2 + tl.arange(0, _BLOCK_SIZE_2)
        load = tl.load(x + ((indices_0[:, None] * x_stride_0) + (indices_2[None, :] * x_stride_1)), mask_0[:, None], other=0.0)
        load_1 = tl.load(y + ((indices_2[:, None] * y_stride_0) + (indices_1[None, :] * y_stride_1)), mask_1[None, :], other=0.0)
        acc = tl.dot(load, load_1, acc)
    for offset_2_1 in tl.range(_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), k, _BLOCK_SIZE_2):
        indices_2_1 = offset_2_1 + tl.arange(0, _BLOCK_SIZE_2)
        mask_2 = indices_2_1 < k
        load_2 = tl.load(x + ((indices_0[:, None] * x_stride_0) + (indices_2_1[None, :] * x_stride_1)), mask_0[:, None] & mask_2[None, :], other=0.0)
        load_3 = tl.load(y + ((indices_2_1[:, None] * y_stride_0) + (indices_1[None, :] * y_stride_1)), mask_2[:, None] & mask_1[None, :], other=0.0)
        acc = tl.dot(load_2, load_3, acc)
    v_4 = acc.to(tl.float16)
    tl.store(out + ((indices_0[:, None] * out_stride_0) + (indices_1[None, :] * out_stride_1)), v_4, mask_0[:, None] & mask_1[None, :])


@triton.jit
def _matmul_kernel_splitk(x, y, out, _splitk_ws, x_stride_0, x_stride_1, y_stride_0, y_stride_1, _splitk_ws_stride_0, _splitk_ws_stride_1, _splitk_ws_stride_2, m, k, n, _SPLIT_CHUNK, _BLOCK_SIZE_0: tl.constexpr, _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr):
    pid = tl.program_id(0)
    pid_0 = pid // (tl.cdiv(m, _BLOCK_SIZE_0)*tl.cdiv(n, _BLOCK_SIZE_1))
    pid_plane = pid % (tl.cdiv(m, _BLOCK_SIZE_0)*tl.cdiv(n, _BLOCK_SIZE_1))
    group_id = pid_plane // (8*tl.cdiv(n, _BLOCK_SIZE_1))
    first_row = group_id * 8
    v_0 = tl.cdiv(m, _BLOCK_SIZE_0) - first_row
    group_rows = tl.minimum(v_0, 8, propagate_nan=tl.PropagateNan.ALL)
    in_group = pid_plane % (8*tl.cdiv(n, _BLOCK_SIZE_1))
    v_1 = in_group % group_rows
    pid_1 = first_row + v_1
    pid_2 = in_group // group_rows
    v_2 = pid_0.to(tl.int64)
    v_3 = pid_1.to(tl.int64)
    offset_0 = v_3 * _BLOCK_SIZE_0
    indices_0 = offset_0 + tl.arange(0, _BLOCK_SIZE_0)
    mask_0 = indices_0 < m
    v_4 = pid_2.to(tl.int64)
    offset_1 = v_4 * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    mask_1 = indices_1 < n
    acc = tl.full([_BLOCK_SIZE_0, _BLOCK_SIZE_1], 0.0, tl.float32)
    v_5 = v_2 * _SPLIT_CHUNK
    v_6 = k - v_5
    v_7 = tl.minimum(_SPLIT_CHUNK, v_6, propagate_nan=tl.PropagateNan.ALL)
    v_8 = tl.maximum(v_7, 0, propagate_nan=tl.PropagateNan.ALL)
    _dyn_begin_0 = v_5
    _dyn_extent_0 = v_8
    for offset_2 in tl.range(_dyn_begin_0, _BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2) + _dyn_begin_0, _BLOCK_SIZE_2):
        indices_2 = offset_2 + tl.arange(0, _BLOCK_SIZE_2)
        load = tl.load(x + ((indices_0[:, None] * x_stride_0) + (indices_2[None, :] * x_stride_1)), mask_0[:, None], other=0.0)
        load_1 = tl.load(y + ((indices_2[:, None] * y_stride_0) + (indices_1[None, :] * y_stride_1)), mask_1[None, :], other=0.0)
        acc = tl.dot(load, load_1, acc)
    for offset_2_1 in tl.range(_BLOCK_SIZE_2*(_dyn_extent_0 // _BLOCK_SIZE_2) + _dyn_begin_0, _dyn_begin_0 + _dyn_extent_0, _BLOCK_SIZE_2):
        indices_2_1 = offset_2_1 + tl.arange(0, _BLOCK_SIZE_2)
        mask_2 = indices_2_1 < (_dyn_begin_0 + _dyn_extent_0)
        load_2 = tl.load(x + ((indices_0[:, None] * x_stride_0) + (indices_2_1[None, :] * x_stride_1)), mask_0[:, None] & mask_2[None, :], other=0.0)
        load_3 = tl.load(y + ((indices_2_1[:, None] * y_stride_0) + (indices_1[None, :] * y_stride_1)), mask_2[:, None] & mask_1[None, :], other=0.0)
        acc = tl.dot(load_2, load_3, acc)
    tl.store(_splitk_ws + (((v_2 * _splitk_ws_stride_0) + (indices_0[:, None] * _splitk_ws_stride_1)) + (indices_1[None, :] * _splitk_ws_stride_2)), acc, mask_0[:, None] & mask_1[None, :])


@triton.jit
def _matmul_kernel_splitk_sum(x, y, out, _splitk_ws, out_stride_0, out_stride_1, _splitk_ws_stride_0, _splitk_ws_stride_1, _splitk_ws_stride_2, m, n, _SPLIT_K, _BLOCK_SIZE_0: tl.constexpr, _BLOCK_SIZE_1: tl.constexpr):
    pid = tl.program_id(0)
    group_id = pid // (8*tl.cdiv(n, _BLOCK_SIZE_1))
    first_row = group_id * 8
    v_0 = tl.cdiv(m, _BLOCK_SIZE_0) - first_row
    group_rows = tl.minimum(v_0, 8, propagate_nan=tl.PropagateNan.ALL)
    in_group = pid % (8*tl.cdiv(n, _BLOCK_SIZE_1))
    v_1 = in_group % group_rows
    pid_0 = first_row + v_1
    pid_1 = in_group // group_rows
    v_2 = pid_0.to(tl.int64)
    offset_0 = v_2 * _BLOCK_SIZE_0
    indices_0 = offset_0 + tl.arange(0, _BLOCK_SIZE_0)
    mask_0 = indices_0 < m
    v_3 = pid_1.to(tl.int64)
    offset_1 = v_3 * _BLOCK_SIZE_1
    indices_1 = offset_1 + tl.arange(0, _BLOCK_SIZE_1)
    mask_1 = indices_1 < n
    acc = tl.full([_BLOCK_SIZE_0, _BLOCK_SIZE_1], 0.0, tl.float32)
    for split in tl.range(0, _SPLIT_K, 1):
        partial = tl.load(_splitk_ws + (((split * _splitk_ws_stride_0) + (indices_0[:, None] * _splitk_ws_stride_1)) + (indices_1[None, :] * _splitk_ws_stride_2)), mask_0[:, None] & mask_1[None, :], other=0.0)
        acc = acc + partial
    v_5 = acc.to(tl.float16)
    tl.store(out + ((indices_0[:, None] * out_stride_0) + (indices_1[None, :] * out_stride_1)), v_5, mask_0[:, None] & mask_1[None, :])


def matmul(x, y, _config=None):
    _config = _config or {}  # launch-time overrides (autotuner): block sizes, num_warps, num_stages
    m, k = x.size()
    k2, n = y.size()
    assert k == k2, f'size mismatch {k} != {k2}'
    out = torch.empty([m, n], dtype=torch.promote_types(x.dtype, y.dtype), device=x.device)
    _x_stride_0 = x.stride(0)
    _x_stride_1 = x.stride(1)
    _y_stride_0 = y.stride(0)
    _y_stride_1 = y.stride(1)
    _out_stride_0 = out.stride(0)
    _out_stride_1 = out.stride(1)
    if split_k_wanted(m, n, k, 2):
        if m > 0 and n > 0:
            _BLOCK_SIZE_0, _BLOCK_SIZE_1, _BLOCK_SIZE_2, _num_warps, _num_stages = dot_tiles((m, n, k), ("_BLOCK_SIZE_0", "_BLOCK_SIZE_1", "_BLOCK_SIZE_2"), elem_bytes=2, gpu=x.is_cuda, split=True, fixed=_config)
            if not (k == k2):
                raise KoptError('the shape fact `k == k2` the kernel was compiled with does not hold for this call')
            _SPLIT_K = split_k_factor(m, n, k, device_programs(x.device), _BLOCK_SIZE_0, _BLOCK_SIZE_1)
            _SPLIT_CHUNK = cdiv(cdiv(k, _SPLIT_K), _BLOCK_SIZE_2) * _BLOCK_SIZE_2
            _splitk_ws = torch.empty((_SPLIT_K, m, n), dtype=torch.float32, device=x.device)
            _splitk_ws_stride_0, _splitk_ws_stride_1, _splitk_ws_stride_2 = _splitk_ws.stride()
            _matmul_kernel_splitk[(_SPLIT_K * cdiv(m, _BLOCK_SIZE_0) * cdiv(n, _BLOCK_SIZE_1),)](x, y, out, _splitk_ws, _x_stride_0, _x_stride_1, _y_stride_0, _y_stride_1, _splitk_ws_stride_0, _splitk_ws_stride_1, _splitk_ws_stride_2, m, k, n, _SPLIT_CHUNK, _BLOCK_SIZE_0, _BLOCK_SIZE_1, _BLOCK_SIZE_2, num_warps=_num_warps, num_stages=_num_stages)
            _matmul_kernel_splitk_sum[(cdiv(m, _BLOCK_SIZE_0) * cdiv(n, _BLOCK_SIZE_1),)](x, y, out, _splitk_ws, _out_stride_0, _out_stride_1, _splitk_ws_stride_0, _splitk_ws_stride_1, _splitk_ws_stride_2, m, n, _SPLIT_K, _BLOCK_SIZE_0, _BLOCK_SIZE_1, num_warps=_config.get("num_warps") or (4 if _BLOCK_SIZE_0 * _BLOCK_SIZE_1 <= 2048 else 8 if _BLOCK_SIZE_0 * _BLOCK_SIZE_1 <= 8192 else 16), num_stages=_config.get("num_stages"))
    else:
        if m > 0 and n > 0:
            _BLOCK_SIZE_0, _BLOCK_SIZE_1, _BLOCK_SIZE_2, _num_warps, _num_stages = dot_tiles((m, n, k), ("_BLOCK_SIZE_0", "_BLOCK_SIZE_1", "_BLOCK_SIZE_2"), elem_bytes=2, gpu=x.is_cuda, fixed=_config)
            if not (k == k2):
                raise KoptError('the shape fact `k == k2` the kernel was compiled with does not hold for this call')
            _matmul_kernel[(cdiv(m, _BLOCK_SIZE_0) * cdiv(n, _BLOCK_SIZE_1),)](x, y, out, _x_stride_0, _x_stride_1, _y_stride_0, _y_stride_1, _out_stride_0, _out_stride_1, m, k, n, _BLOCK_SIZE_0, _BLOCK_SIZE_1, _BLOCK_SIZE_2, num_warps=_num_warps, num_stages=_num_stages)
    return out
