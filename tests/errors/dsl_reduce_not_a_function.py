# hl.reduce of a name that is no function kopt can read.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:13:33: error: `combine` is not a function kopt can read here: hl.reduce takes a combine function first
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = hl.reduce(combine, x[tile_m, :], dim=1)
    return out
