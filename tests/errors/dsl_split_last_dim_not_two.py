# hl.split of a tile whose last dim is not of size 2.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:13:16: error: hl.split needs a last dim of size 2, not a tile of shape [_BLOCK_SIZE_0, n]
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        a, b = hl.split(x[tile_m, :])
        out[tile_m] = a
    return out
