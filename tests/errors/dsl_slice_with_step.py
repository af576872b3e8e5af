# a slice with a step: kopt's slices are views with the tensor's strides.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:13:40: error: a slice with a step is not supported
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, ::2] = x[tile_m, ::2]
    return out
