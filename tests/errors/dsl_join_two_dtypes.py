# hl.join of tiles of two dtypes.
# ARGS: FILE --signature "x: f32[M, N], y: f16[M, N]"
# EXPECT: FILE:13:34: error: hl.join of tiles of two dtypes: convert one first
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, y):
    m, n = x.size()
    out = torch.empty([m, n, 2], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n, :] = hl.join(x[tile_m, tile_n], y[tile_m, tile_n])
    return out
