# an f64 matmul into an f32 accumulator: the update promotes it to f64.
# ARGS: FILE --signature "x: f64[M, K], y: f64[K, N]"
# EXPECT: FILE:15:9: error: loop-carried value `acc` changes dtype in the loop: f32 before, f64 after one iteration (the update promotes it)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def mm(x, y):
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = acc + x[tile_m, tile_k] @ y[tile_k, tile_n]
        out[tile_m, tile_n] = acc
    return out
