# an expression statement in a tile loop computes a value and drops it.
# EXPECT: FILE:12:9: error: the expression statement `x[t] + 1` does nothing in a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        x[t] + 1
        out[t] = x[t]
    return out
