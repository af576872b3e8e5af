# an `if` statement inside a device loop.
# EXPECT: FILE:12:9: error: an `if` statement is not supported inside a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        if n > 2:
            out[t, :] = x[t, :]
    return out
