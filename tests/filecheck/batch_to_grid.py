# batch-to-grid: a batched product's batch tile becomes a program index. The batch range gets block 1 and a
# scalar `begin` that loads and stores take; every tile, expand (also one the user wrote: `[None, :, None]`),
# reduction and transpose loses the batch dim; the products are 2-D; the batch leaves the plan's blocks and
# dot_dims and the grid runs over bh. A fact fixing the batch block to 2 (a config) leaves the kernel 3-D.
# RUN: %kopt %s --print-after=batch-to-grid -o %t.py 2>&1 | filecheck %s
# RUN: filecheck %s --check-prefix=PY < %t.py
# RUN: %kopt %s --assume "_BLOCK_SIZE_0 == 2" --print-after=batch-to-grid -o /dev/null 2>&1 | filecheck %s --check-prefix=KEPT
# CHECK: // -----// IR Dump After batch-to-grid //----- //
# CHECK: plan = #tile.plan<grid [bh, "cdiv(m, _BLOCK_SIZE_1)"], blocks [_BLOCK_SIZE_1 over m, _BLOCK_SIZE_2 over n]
# CHECK-SAME: dot_dims = {_BLOCK_SIZE_1 = "m", _BLOCK_SIZE_2 = "n"}
# CHECK-SAME: dot_batch = "bh"
# CHECK: %[[R:.*]] = tile.program_range axis 0 : !tile.range<bh, 1>
# CHECK-NEXT: %[[B:.*]] = tile.tile_attr %[[R]] begin : !tile.range<bh, 1> -> !tile.tile<[], i32>
# CHECK: tile.load %q[%[[B]], %tile_m, :] {{.*}} -> !tile.tile<[_BLOCK_SIZE_1, d], f32>
# CHECK: tile.constant "-inf" : !tile.tile<[_BLOCK_SIZE_1], f32>
# CHECK: tile.transpose %k_blk [1, 0] : !tile.tile<[_BLOCK_SIZE_2, d_k], f32> -> !tile.tile<[d_k, _BLOCK_SIZE_2], f32>
# CHECK: tile.dot {{.*}} -> !tile.tile<[_BLOCK_SIZE_1, _BLOCK_SIZE_2], f32>
# CHECK: tile.expand %{{.*}} [":", "None"] : !tile.tile<[_BLOCK_SIZE_1], i32> -> !tile.tile<[_BLOCK_SIZE_1, 1], i32>
# CHECK: tile.reduce max %{{.*}} dim 1 nan {nonempty} : !tile.tile<[_BLOCK_SIZE_1, _BLOCK_SIZE_2], f32> -> !tile.tile<[_BLOCK_SIZE_1], f32>
# CHECK: tile.store %out[%[[B]], %tile_m], %{{.*}} : !tile.tensor<[bh, m], f32, [out_stride_0, out_stride_1]> [!tile.tile<[], i32>, !tile.range<m, _BLOCK_SIZE_1>], !tile.tile<[_BLOCK_SIZE_1], f32>
# PY: def _scores_kernel(
# PY-NOT: _BLOCK_SIZE_0
# PY: tile_b = pid_0.to(tl.int64)
# PY: tl.dot(q_blk, trans, input_precision="ieee")
# PY: _BLOCK_SIZE_1, _BLOCK_SIZE_2, _, _, _num_warps, _num_stages = dot_tiles((m, n, None, bh), ("_BLOCK_SIZE_1", "_BLOCK_SIZE_2", None, None)
# PY: _scores_kernel[(bh * cdiv(m, _BLOCK_SIZE_1),)]
# KEPT: blocks [_BLOCK_SIZE_0 over bh, _BLOCK_SIZE_1 over m, _BLOCK_SIZE_2 over n]
# KEPT: tile.program_range axis 0 : !tile.range<bh, _BLOCK_SIZE_0>
# KEPT: tile.dot {{.*}} -> !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1, _BLOCK_SIZE_2], f32>
import torch

import kopt
import kopt.language as hl


@kopt.kernel
def scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Causally masked row maxima of q k^T, per batch."""
    bh, m, d = q.size()
    _, n, d_k = k.size()
    assert d_k == d
    out = torch.empty([bh, m], dtype=torch.float32, device=q.device)
    for tile_b, tile_m in hl.tile([bh, m]):
        q_blk = q[tile_b, tile_m, :]
        best = hl.full([tile_b, tile_m], float("-inf"), dtype=torch.float32)
        for tile_n in hl.tile(n):
            k_blk = k[tile_b, tile_n, :]
            s = torch.bmm(q_blk, k_blk.transpose(1, 2))
            s = torch.where(tile_m.index[None, :, None] >= tile_n.index[None, None, :], s, float("-inf"))
            best = torch.maximum(best, torch.amax(s, -1))
        out[tile_b, tile_m] = best
    return out
