# a tile value used by host code after its loop.
# EXPECT: FILE:14:9: error: `v` is a value computed in the device loop on line 11: it exists only inside the loop and cannot be used after it
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        v = x[t] * 2
        out[t] = v
    y = v + out
    return y
