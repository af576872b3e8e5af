# `other` of hl.reduce gives one value per input of a tuple.
# ARGS: FILE --signature "x: f32[M, N], y: f32[M, N]"
# EXPECT: FILE:16:82: error: `other` gives 3 values for 2 inputs
import torch
import kopt
import kopt.language as hl

def pick(a0, a1, b0, b1):
    return torch.maximum(a0, b0), a1 + b1

@kopt.kernel
def k(x, y):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        best, total = hl.reduce(pick, (x[tile_m, :], y[tile_m, :]), dim=1, other=(0.0, 0.0, 0.0))
        out[tile_m] = best + total
    return out
