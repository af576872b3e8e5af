# a string constant in device code.
# EXPECT: FILE:12:31: error: `'a'` (Constant) is not supported in a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :] + 'a'
    return out
