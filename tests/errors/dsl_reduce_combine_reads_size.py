# a combine function sees only its arguments and numbers, not the kernel's sizes.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:9:20: error: `n` is a size of the kernel: the combine function `scaled` sees only its arguments and numbers
import torch
import kopt
import kopt.language as hl

def scaled(a, b):
    return a + b * n

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = hl.reduce(scaled, x[tile_m, :], dim=1)
    return out
