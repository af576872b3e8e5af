# an `if` on a tile (a condition per lane) whose branch stores: kopt says to write torch.where.
# EXPECT: FILE:12:12: error: an `if` on a tile (one condition per lane) whose branches store or loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        if x[t, :] > 0:
            out[t, :] = x[t, :]
    return out
