# a reduction over a dim the tile does not have.
# EXPECT: FILE:12:41: error: dim 2 is out of range for a tile of rank 2
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty([n], device=x.device)
    for t in hl.tile(n):
        out[t] = torch.sum(x[t, :], dim=2)
    return out
