# hl.reduce / hl.associative_scan with a user's combine function: `tile.reduce_fn` / `tile.scan_fn`, the combine
# function a region of scalars ending in tile.yield (a tuple input: two scalars per side). masking fills the
# lanes past the row's end of a reduce with `other` (x is read as -inf there, so only the index needs a fill); a reverse scan gets an i1 flag per lane (`flagged`) and a
# combine that keeps the other side where one is padding. The backend writes each region as a module-level
# `@triton.jit` helper called by tl.reduce / tl.associative_scan.
# RUN: %kopt %s --print-after=masking -o %t.py 2>&1 | filecheck %s
# RUN: filecheck %s --check-prefix=PY < %t.py
# CHECK: // -----// IR Dump After masking //----- //
# CHECK-LABEL: tile.kernel @_row_argmax_kernel
# CHECK: %[[V:.*]] = tile.load %x[%tile_m, %rdim.1] masked [1, 1] other -inf
# CHECK: %[[I:.*]] = tile.mask_fill %{{.*}}, %rdim.1 dim 1 fill "0"
# CHECK-NEXT: %_, %index = tile.reduce_fn %[[V]], %[[I]] dim 1 other ["-inf", "0"] : (!tile.tile<[_BLOCK_SIZE_0, _RDIM_SIZE_1], f32>, !tile.tile<[_BLOCK_SIZE_0, _RDIM_SIZE_1], i64>) -> (!tile.tile<[_BLOCK_SIZE_0], f32>, !tile.tile<[_BLOCK_SIZE_0], i64>) {
# CHECK-NEXT: ^bb0(%left_value: !tile.tile<[], f32>, %left_index: !tile.tile<[], i64>, %right_value: !tile.tile<[], f32>, %right_index: !tile.tile<[], i64>):
# CHECK: %take = tile.or
# CHECK-NEXT: %[[W0:.*]] = tile.where %take, %left_value, %right_value
# CHECK-NEXT: %[[W1:.*]] = tile.where %take, %left_index, %right_index
# CHECK-NEXT: tile.yield %[[W0]], %[[W1]] : !tile.tile<[], f32>, !tile.tile<[], i64>
# CHECK-NEXT: }
# CHECK-LABEL: tile.kernel @_suffix_sum_kernel
# CHECK: %[[X:.*]] = tile.load %x
# CHECK-NEXT: %[[ONES:.*]] = tile.full_like %[[X]] "1" : {{.*}} -> !tile.tile<[_BLOCK_SIZE_0, _RDIM_SIZE_1], i1>
# CHECK-NEXT: %valid = tile.mask_fill %[[ONES]], %rdim.1 dim 1 fill "0"
# CHECK-NEXT: %[[S:.*]], %{{.*}} = tile.scan_fn %[[X]], %valid dim 1 reverse flagged
# CHECK-NEXT: ^bb0(%a: !tile.tile<[], f32>, %a_valid: !tile.tile<[], i1>, %b: !tile.tile<[], f32>, %b_valid: !tile.tile<[], i1>):
# CHECK-NEXT: %[[SUM:.*]] = tile.add %a, %b
# CHECK-NEXT: %[[BOTH:.*]] = tile.and %a_valid, %b_valid
# CHECK-NEXT: %[[EITHER:.*]] = tile.or %a_valid, %b_valid
# CHECK-NEXT: %[[SIDE:.*]] = tile.where %a_valid, %a, %b
# CHECK-NEXT: %[[OUT:.*]] = tile.where %[[BOTH]], %[[SUM]], %[[SIDE]]
# CHECK-NEXT: tile.yield %[[OUT]], %[[EITHER]]
# CHECK: tile.store %out[%tile_m, %rdim.1] masked [1, 1], %[[S]]
# PY-LABEL: @triton.jit
# PY-NEXT: def _kopt_combine_0(left_value, left_index, right_value, right_index):
# PY: return v_4, v_5
# PY-LABEL: @triton.jit
# PY-NEXT: def _kopt_combine_1(a, a_valid, b, b_valid):
# PY: return v_4, v_2
# PY-LABEL: def _row_argmax_kernel(
# PY: _, index = tl.reduce((load, masked), 1, _kopt_combine_0)
# PY-LABEL: def _suffix_sum_kernel(
# PY: masked = tl.where(mask_1[None, :], full, tl.full([], 0, tl.int1))
# PY-NEXT: scanned, _ = tl.associative_scan((load, masked), 1, _kopt_combine_1, reverse=True)
import torch

import kopt
import kopt.language as hl


def argmax_combine(left_value, left_index, right_value, right_index):
    take = (left_value > right_value) | ((left_value == right_value) & (left_index < right_index))
    return torch.where(take, left_value, right_value), torch.where(take, left_index, right_index)


@kopt.kernel(signature="x: f32[M, N], cols: i64[N]")
def row_argmax(x: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=torch.int64, device=x.device)
    for tile_m in hl.tile(m):
        _, index = hl.reduce(argmax_combine, (x[tile_m, :], cols[:]), dim=1, other=(float("-inf"), 0))
        out[tile_m] = index
    return out


@kopt.kernel(signature="x: f32[M, N]")
def suffix_sum(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = hl.associative_scan(lambda a, b: a + b, x[tile_m, :], dim=1, reverse=True)
    return out
