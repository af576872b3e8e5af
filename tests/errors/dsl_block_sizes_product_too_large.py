# two blocks whose tiles hold more than 2**20 elements.
# EXPECT: FILE:11:46: error: block_size 2048 x 1024 makes tiles of 2097152 elements, more than Triton's 1048576 (2**20) per block
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty_like(x)
    for tm, tn in hl.tile([m, n], block_size=[2**11, 2**10]):
        out[tm, tn] = x[tm, tn]
    return out
