# a call kopt does not know, in a combine function: located at the call.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:9:12: error: call to `max` is not supported in a tile loop
import torch
import kopt
import kopt.language as hl

def bigger(a, b):
    return max(a, b)

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = hl.reduce(bigger, x[tile_m, :], dim=1, other=float("-inf"))
    return out
