# the inputs of a tuple reduce have one shape.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:17:16: error: the tiles of this tuple have shapes [_BLOCK_SIZE_0, n] and [_BLOCK_SIZE_0, 1]: hl.reduce and hl.associative_scan take tiles of one shape
import torch
import kopt
import kopt.language as hl

def pick(a0, a1, b0, b1):
    return a0 + b0, a1 + b1

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :]
        s, t = hl.reduce(pick, (row, row.sum(1, keepdim=True)), dim=1)
        out[tile_m] = s + t
    return out
