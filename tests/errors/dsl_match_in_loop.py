# `match` inside a tile loop.
# EXPECT: FILE:12:9: error: a `match` statement is not supported inside a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        match n:
            case 0:
                pass
        out[t] = x[t]
    return out
