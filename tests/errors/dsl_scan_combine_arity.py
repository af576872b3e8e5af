# a combine function of three parameters for one input: located at the lambda.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:13:46: error: the combine function `<lambda>` takes 3 parameters; hl.associative_scan of 1 input calls it with 2 parameters
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = hl.associative_scan(lambda a, b, c: a + b, x[tile_m, :], dim=1)
    return out
