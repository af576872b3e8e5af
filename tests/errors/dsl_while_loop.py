# a `while` loop inside a device loop.
# EXPECT: FILE:12:9: error: a `while` loop is not supported inside a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        while True:
            pass
    return out
