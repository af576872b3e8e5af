# hl.associative_scan needs the dim to scan along.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:13:26: error: hl.associative_scan needs `dim`
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = hl.associative_scan(torch.add, x[tile_m, :])
    return out
