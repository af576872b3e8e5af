# a block of a literal size past Triton's limit of 2**20 elements per tensor.
# ARGS: FILE --signature "x: f32[N]"
# EXPECT: FILE:13:15: error: a tile of [_BLOCK_SIZE_0, 2097152] would hold at least 2097152 elements, more than Triton's 1048576 (2**20) per tensor
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        acc = hl.zeros([t, 2097152], dtype=torch.float32)
        out[t] = x[t] + acc.sum(1)
    return out
