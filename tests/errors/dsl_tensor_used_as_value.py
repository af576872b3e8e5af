# a whole tensor (rank 1) in tile arithmetic.
# ARGS: FILE --signature "x: f32[N], y: f32[N]"
# EXPECT: FILE:13:18: error: expected a tile value here, not the tensor `y` (rank 1)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, y):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = x[t] * y
    return out
