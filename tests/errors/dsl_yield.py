# `yield` in a tile loop: a kernel is no generator.
# EXPECT: FILE:12:9: error: `yield` is not supported in a kernel
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        yield x[t]
        out[t] = x[t]
    return out
