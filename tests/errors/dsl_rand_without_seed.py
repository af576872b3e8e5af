# hl.rand without a seed: Helion's rand takes one explicitly.
# ARGS: FILE --signature "x: f32[M, N]"
# EXPECT: FILE:13:31: error: hl.rand takes a shape of tiles and a seed: hl.rand([tile_m, tile_n], seed)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = hl.rand([tile_m, tile_n])
    return out
