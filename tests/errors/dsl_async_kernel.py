# an `async def` kernel.
# EXPECT: FILE:8:1: error: kernel k is an `async def`
import torch
import kopt
import kopt.language as hl

@kopt.kernel
async def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = x[t]
    return out
