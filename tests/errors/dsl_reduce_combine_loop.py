# a loop in a combine function of hl.reduce: located at the loop, in the combine function.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:10:5: error: a `for` loop is not supported in the combine function `combine`
import torch
import kopt
import kopt.language as hl

def combine(a, b):
    out = a
    for _ in hl.static_range(2):
        out = out + b
    return out

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = hl.reduce(combine, x[tile_m, :], dim=1)
    return out
