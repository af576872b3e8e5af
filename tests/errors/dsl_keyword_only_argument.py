# a keyword-only argument.
# EXPECT: FILE:8:13: error: kernel arguments must be plain positional arguments
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, *, scale):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = x[t] * scale
    return out
