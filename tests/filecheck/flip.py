# torch.flip of a tile: a `tile.flip` per dim; masking turns the flip of a load along a range whose last block
# may be partial into a load that reads backwards within the valid lanes (a gather at begin + end - 1 - index),
# and a flip along a whole block stays `tl.flip`.
# RUN: %kopt %s --print-after=masking -o %t.py 2>&1 | filecheck %s
# RUN: filecheck %s --check-prefix=PY < %t.py
# CHECK: // -----// IR Dump After masking //----- //
# CHECK-LABEL: tile.kernel @_flip_rows_kernel
# CHECK: %[[I:.*]] = tile.tile_attr %[[R:.*]] index : !tile.range<n, _RDIM_SIZE_1> -> !tile.tile<[_RDIM_SIZE_1], i32>
# CHECK-NEXT: %[[B:.*]] = tile.tile_attr %[[R]] begin
# CHECK-NEXT: %[[E:.*]] = tile.tile_attr %[[R]] end
# CHECK: %[[LAST:.*]] = tile.sub
# CHECK-NEXT: %[[BACK:.*]] = tile.sub %[[LAST]], %[[I]] : !tile.tile<[], i32>, !tile.tile<[_RDIM_SIZE_1], i32> -> !tile.tile<[_RDIM_SIZE_1], i32>
# CHECK-NEXT: tile.load %x[%tile_m, %[[BACK]]] masked [1, 0]
# CHECK-NOT: tile.flip
# CHECK-LABEL: tile.kernel @_flip_16_kernel
# CHECK: tile.flip %{{.*}} dim 0 : !tile.tile<[16], f32> -> !tile.tile<[16], f32>
# PY-LABEL: def _flip_rows_kernel(
# PY-NOT: tl.flip
# PY-LABEL: def _flip_16_kernel(
# PY: tl.flip(load, 0)
import torch

import kopt
import kopt.language as hl


@kopt.kernel(signature="x: f32[M, N]")
def flip_rows(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.flip(x[tile_m, :], [1])
    return out


@kopt.kernel(signature="x: f32[N]")
def flip_16(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(16, block_size=16):
        out[tile] = torch.flip(x[tile], [0])
    return out
