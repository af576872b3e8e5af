# three subscripts on a rank-2 tensor.
# EXPECT: FILE:12:21: error: 3 subscripts for `x`, a tensor of rank 2
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :, :]
    return out
