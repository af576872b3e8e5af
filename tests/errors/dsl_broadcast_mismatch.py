# adding tiles whose widths provably differ (unproven ones are assumed equal and checked at launch).
# ARGS: FILE --signature "x: f32[N, 8], y: f32[N, 16]"
# EXPECT: FILE:14:21: error: cannot broadcast shapes [_BLOCK_SIZE_0, m] and [_BLOCK_SIZE_0, q]
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, y):
    n, m = x.size()
    p, q = y.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :] + y[t, :]
    return out
