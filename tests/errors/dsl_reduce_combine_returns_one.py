# a combine function of a tuple returns one value per input.
# ARGS: FILE --signature "x: f32[M, N], y: f32[M, N]"
# EXPECT: FILE:9:5: error: the combine function `pick` returns 1 value for 2 inputs
import torch
import kopt
import kopt.language as hl

def pick(left, right):
    return left[0] + right[0]

@kopt.kernel
def k(x, y):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        best, total = hl.reduce(pick, (x[tile_m, :], y[tile_m, :]), dim=1)
        out[tile_m] = best + total
    return out
