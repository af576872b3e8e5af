# a lambda inside a device loop.
# EXPECT: FILE:12:13: error: `lambda v: v` (Lambda) is not supported in a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        f = lambda v: v
        out[t, :] = f(x[t, :])
    return out
