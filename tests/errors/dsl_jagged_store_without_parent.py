# a store along a jagged tile that does not index the enclosing tile: whose end would it respect?
# ARGS: FILE --signature "x: f32[N, M], lengths: i64[N]"
# EXPECT: FILE:16:13: error: a store along a jagged tile must also index the tiles its ends run along
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, lengths):
    n, m = x.size()
    out = torch.zeros([m], dtype=x.dtype, device=x.device)
    for tile_b in hl.tile(n):
        ends = lengths[tile_b]
        for tile_k in hl.jagged_tile(ends):
            row = x[tile_b, tile_k].sum(0)
            out[tile_k] = row
    return out
