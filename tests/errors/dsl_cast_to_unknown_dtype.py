# a cast to a dtype kopt has not.
# EXPECT: FILE:12:21: error: `.to(...)` needs a dtype such as torch.float32 or x.dtype
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :].to(torch.complex64)
    return out
