# hl.jagged_tile as a kernel's outermost loop: its ends come from an enclosing tile, so there is none.
# ARGS: FILE --signature "x: f32[N, M], lengths: i64[N]"
# EXPECT: FILE:12:19: error: hl.jagged_tile cannot be an outermost loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, lengths):
    n, m = x.size()
    out = torch.empty_like(x)
    for tile_k in hl.jagged_tile(lengths):
        out[tile_k, :] = x[tile_k, :]
    return out
