# a name defined nowhere.
# EXPECT: FILE:12:31: error: `scale` is not defined here
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :] * scale
    return out
