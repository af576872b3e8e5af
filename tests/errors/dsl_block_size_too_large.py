# a block of more elements than Triton allows in one tensor (2**20).
# EXPECT: FILE:11:36: error: block_size 2097152 is more than Triton's 1048576 (2**20) elements per block
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n, block_size=2**21):
        out[t] = x[t]
    return out
