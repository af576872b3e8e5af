# torch.where with one argument (was an internal error).
# EXPECT: FILE:12:21: error: `torch.where` takes 3 positional arguments, got 1
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = torch.where(x[t, :])
    return out
