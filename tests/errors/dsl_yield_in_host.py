# `yield` in host code would make the launcher a generator.
# EXPECT: FILE:13:5: error: `yield` is not supported in a kernel
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = x[t]
    yield out
