# hl.jagged_tile of one scalar end: each lane of the enclosing tile needs its own end (a tile of them).
# ARGS: FILE --signature "x: f32[N, M], lengths: i64[N]"
# EXPECT: FILE:14:38: error: hl.jagged_tile needs a tile of integer ends whose dims come from enclosing tiles (`lengths = offsets[tile_b.index + 1] - offsets[tile_b]`)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, lengths):
    n, m = x.size()
    out = torch.zeros([n], dtype=x.dtype, device=x.device)
    for i in hl.grid(n):
        acc = hl.zeros([1], dtype=torch.float32)
        for tile_k in hl.jagged_tile(lengths[i]):
            acc = acc + x[i, tile_k].sum()
        out[i] = acc.sum()
    return out
