# storing a 2-D tile into a 1-D slice.
# EXPECT: FILE:12:9: error: cannot store a tile of shape [_BLOCK_SIZE_0, m] into `out[...]` of shape [_BLOCK_SIZE_0]
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty([n], device=x.device)
    for t in hl.tile(n):
        out[t] = x[t, :]
    return out
