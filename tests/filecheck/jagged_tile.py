# hl.jagged_tile(lengths): the frontend loops to the largest length (a `tile.reduce max` named by a `tile.let`)
# and states the per-lane ends with `tile.jagged`; jagged-masks turns that into `index < lengths` at the top of
# the loop body, an extra mask on the load (a `tile.masked_view`) and the neutral element in the lanes a max
# folds (a `tile.where`), and drops the range's own fill there (the ends imply it). A sum of the masked load
# needs no fill: the load reads 0 past each end.
# RUN: %kopt %s --emit=tile 2>&1 | filecheck %s --check-prefix=TILE
# RUN: %kopt %s --print-after=jagged-masks -o %t.py 2>&1 | filecheck %s
# RUN: filecheck %s --check-prefix=PY < %t.py
# TILE: %[[MAX:.*]] = tile.reduce max %lengths dim 0
# TILE-NEXT: tile.let _dyn_extent_0 = %[[MAX]] : !tile.tile<[], i64>
# TILE: tile.for %tile_k: !tile.range<_dyn_extent_0, _BLOCK_SIZE_1> sequential
# TILE-NEXT: tile.jagged %tile_k, %lengths
# CHECK: // -----// IR Dump After jagged-masks //----- //
# CHECK: tile.for %tile_k
# CHECK-NEXT: %[[I:.*]] = tile.tile_attr %tile_k index
# CHECK-NEXT: %[[I64:.*]] = tile.cast %[[I]]
# CHECK-NEXT: %[[K:.*]] = tile.expand %[[I64]] ["None", ":"]
# CHECK-NEXT: %[[ENDS:.*]] = tile.expand %lengths [":", "None"]
# CHECK-NEXT: %[[IN:in_tile_k.*]] = tile.lt %[[K]], %[[ENDS]]
# CHECK-NOT: tile.jagged
# CHECK: %[[VIEW:.*]] = tile.masked_view %x, %[[IN]]
# CHECK-NEXT: %[[X:.*]] = tile.load %[[VIEW]][%tile_b, %tile_k]
# CHECK: %[[W:.*]] = tile.where %[[IN]], %[[X]], %{{.*}}
# CHECK-NEXT: tile.reduce max %[[W]] dim 1
# CHECK-NOT: tile.mask_fill
# CHECK: tile.reduce sum %[[X]] dim 1
# PY: in_tile_k = {{.*}}[None, :] < lengths[:, None]
# PY: tl.load({{.*}} & in_tile_k, other=0.0)
import torch

import kopt
import kopt.language as hl


@kopt.kernel(signature="x: f32[B, N], row_lengths: i64[B]")
def jagged_row_max_and_sum(x: torch.Tensor, row_lengths: torch.Tensor) -> torch.Tensor:
    b = row_lengths.size(0)
    out = torch.zeros([b], dtype=x.dtype, device=x.device)
    for tile_b in hl.tile(b):
        lengths = row_lengths[tile_b]
        best = hl.full([tile_b], float("-inf"), dtype=x.dtype)
        total = hl.zeros([tile_b], dtype=x.dtype)
        for tile_k in hl.jagged_tile(lengths):
            chunk = x[tile_b, tile_k]
            best = torch.maximum(best, chunk.amax(1))
            total = total + chunk.sum(1)
        out[tile_b] = best + total
    return out
